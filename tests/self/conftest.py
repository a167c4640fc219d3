"""Fixtures of the harness's own tests.

``demo_project`` is a throwaway project that loads the suite's plugin. ``mysql_url`` and
``mysql_database`` give a real MySQL-compatible database: the server named by
CLAIMS_MYSQL_URL, or else a private MariaDB server that fixtures.database starts once per
test session. Without either, tests that use them are skipped with the reason from
MySQLUnavailable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.database import MySQLUnavailable, MySQLUrl, create_database, drop_database, provide_mysql
from tests.self.support import DemoProject


@pytest.fixture
def demo_project(tmp_path: Path) -> DemoProject:
    return DemoProject(tmp_path / "project")


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[MySQLUrl]:
    """URL of the session's database server, with a user that may create test databases."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(provide_mysql())
        except MySQLUnavailable as error:
            pytest.skip(str(error))
        yield url


@pytest.fixture
def mysql_database(mysql_url: MySQLUrl) -> Iterator[MySQLUrl]:
    """URL of an empty database that exists for one test only."""
    url = create_database(mysql_url)
    try:
        yield url
    finally:
        drop_database(url)
