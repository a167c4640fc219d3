"""Deployable PreSignUp trigger of the Cognito emoji username scenario."""

from __future__ import annotations

from pathlib import Path

from fixtures.packaging import build_zip

HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
RUNTIME = "python3.12"
PRESIGNUP_HANDLER = "presignup.handler"
# emoji 2.16.0 follows Unicode's emoji data; raise the pin to recognise newer emoji.
PRESIGNUP_REQUIREMENTS = ("emoji==2.16.0",)


def build_presignup_zip() -> bytes:
    """Build the PreSignUp trigger's package with the emoji library vendored into it."""
    return build_zip(HANDLERS_DIR, PRESIGNUP_REQUIREMENTS)
