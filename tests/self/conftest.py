"""Fixtures of the harness's own tests.

``demo_project`` is a throwaway project that loads the suite's plugin, and ``presignup``
the Cognito trigger imported from its built package. The database fixtures ``mysql_url``
and ``mysql_database`` come from the plugin (fixtures/plugin.py).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from scenarios.cognito_emoji.functions import build_presignup_zip
from tests.self.support import DemoProject

# Top-level modules of the PreSignUp package, dropped from sys.modules around each import.
PRESIGNUP_MODULES = ("presignup", "emoji")


@pytest.fixture
def demo_project(tmp_path: Path) -> DemoProject:
    return DemoProject(tmp_path / "project")


def _forget_presignup_modules() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in PRESIGNUP_MODULES:
            del sys.modules[name]


@pytest.fixture(scope="module")
def presignup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The PreSignUp trigger imported from its built package, vendored emoji library included."""
    zip_path = tmp_path_factory.mktemp("presignup") / "presignup.zip"
    zip_path.write_bytes(build_presignup_zip())
    _forget_presignup_modules()
    sys.path.insert(0, str(zip_path))
    try:
        module = importlib.import_module("presignup")
        assert module.__file__.startswith(str(zip_path))
        assert module.emoji.__file__.startswith(str(zip_path)), "emoji must come from the package"
        yield module
    finally:
        sys.path.remove(str(zip_path))
        _forget_presignup_modules()
