"""Lint every CloudFormation template of the scenarios with cfn-lint.

Templates live in ``scenarios/*/templates/``. A template whose file name starts with
``invalid_`` is broken on purpose, and cfn-lint must report an error for it. Every
other template must lint without errors. Warnings are not failures, because new
cfn-lint releases add warnings that do not stop a deployment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.match import Match

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
INVALID_PREFIX = "invalid_"
LINT_REGIONS = ["us-east-1"]


def find_templates() -> list[Path]:
    templates_dirs = sorted((REPOSITORY_ROOT / "scenarios").glob("*/templates"))
    return sorted(
        path
        for directory in templates_dirs
        for path in directory.rglob("*")
        if path.is_file() and path.suffix in TEMPLATE_SUFFIXES
    )


ALL_TEMPLATES = find_templates()
VALID_TEMPLATES = [path for path in ALL_TEMPLATES if not path.name.startswith(INVALID_PREFIX)]
INVALID_TEMPLATES = [path for path in ALL_TEMPLATES if path.name.startswith(INVALID_PREFIX)]


def template_id(path: Path) -> str:
    return str(path.relative_to(REPOSITORY_ROOT))


def lint_errors(path: Path) -> list[Match]:
    matches = lint_file(path, config=ManualArgs(regions=LINT_REGIONS))
    return [match for match in matches if match.rule.id.startswith("E")]


def describe(matches: list[Match]) -> str:
    return "\n".join(f"  {match.rule.id} line {match.linenumber}: {match.message}" for match in matches)


def test_templates_are_found() -> None:
    assert VALID_TEMPLATES, "no valid template found under scenarios/*/templates"
    assert INVALID_TEMPLATES, f"no template named {INVALID_PREFIX}* found under scenarios/*/templates"


@pytest.mark.parametrize("template", VALID_TEMPLATES, ids=template_id)
def test_valid_template_lints_clean(template: Path) -> None:
    errors = lint_errors(template)

    assert not errors, f"cfn-lint reported errors in {template_id(template)}:\n{describe(errors)}"


@pytest.mark.parametrize("template", INVALID_TEMPLATES, ids=template_id)
def test_invalid_template_is_flagged(template: Path) -> None:
    errors = lint_errors(template)

    assert errors, f"cfn-lint accepted {template_id(template)}, which is invalid on purpose"


def test_intrinsic_parameter_default_flagged() -> None:
    template = REPOSITORY_ROOT / "scenarios/cloudformation_outputs/templates/invalid_parameter_default.yaml"

    errors = lint_errors(template)

    # E2001 checks the properties of each parameter, and Default must be a literal.
    flagged = [match for match in errors if match.rule.id == "E2001" and "Fn::Sub" in match.message]
    assert flagged, f"expected E2001 on the Fn::Sub Default, got:\n{describe(errors)}"
