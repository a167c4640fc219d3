"""Deployable probe functions of the Lambda execution environment scenario."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixtures.packaging import build_zip

HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
RUNTIME = "python3.12"


@dataclass(frozen=True)
class ProbeFunction:
    """A probe handler folder and the Lambda handler setting that runs it."""

    source_dir: Path
    handler: str
    runtime: str = RUNTIME

    def build_zip(self) -> bytes:
        """Build the probe's deployment package."""
        return build_zip(self.source_dir)


PACKAGE_LOCATION = ProbeFunction(HANDLERS_DIR / "package_location", "location_probe.handler")
CONTAINER_REUSE = ProbeFunction(HANDLERS_DIR / "container_reuse", "reuse_probe.handler")
