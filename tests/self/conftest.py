"""Fixtures of the harness's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.support import DemoProject


@pytest.fixture
def demo_project(tmp_path: Path) -> DemoProject:
    return DemoProject(tmp_path / "project")
