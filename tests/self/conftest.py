"""Fixtures of the harness's own tests.

``demo_project`` is a throwaway project that loads the suite's plugin. The database
fixtures ``mysql_url`` and ``mysql_database`` come from the plugin (fixtures/plugin.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.support import DemoProject


@pytest.fixture
def demo_project(tmp_path: Path) -> DemoProject:
    return DemoProject(tmp_path / "project")
