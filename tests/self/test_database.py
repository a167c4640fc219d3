"""Tests of fixtures.database against a real MariaDB or MySQL server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from fixtures.database import (
    INSTALL_HINT,
    URL_ENV_VAR,
    InvalidMySQLUrl,
    MySQLServer,
    MySQLServerError,
    MySQLUnavailable,
    MySQLUrl,
    check_server,
    create_database,
    drop_database,
    find_server_programs,
    provide_mysql,
)

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def server_programs_or_skip() -> None:
    try:
        find_server_programs()
    except MySQLUnavailable as error:
        pytest.skip(str(error))


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def port_accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# URL parsing


def test_url_parse_full():
    url = MySQLUrl.parse("mysql://app%40ci:p%3Ass%2Fw@127.0.0.1:33061/claims_db")

    assert url.user == "app@ci"
    assert url.password == "p:ss/w"
    assert url.host == "127.0.0.1"
    assert url.port == 33061
    assert url.database == "claims_db"


def test_url_parse_defaults_port_and_password():
    url = MySQLUrl.parse("mysql+pymysql://app@127.0.0.1/claims")

    assert url.port == 3306
    assert url.password == ""


def test_url_render_round_trip():
    original = MySQLUrl("app@ci", "p:ss/w", "127.0.0.1", 33061, "claims")

    assert MySQLUrl.parse(original.render()) == original


def test_url_redacted_hides_password():
    url = MySQLUrl("app", "secret-value", "127.0.0.1", 33061, "claims")

    assert "secret-value" not in url.redacted()
    assert "secret-value" not in str(url)
    assert "secret-value" not in repr(url)
    assert url.redacted() == "mysql://app:***@127.0.0.1:33061/claims"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "expected mysql://"),
        ("postgres://app:pw@127.0.0.1:5432/claims", "scheme 'postgres' is not supported"),
        ("mysql://app:pw@:3306/claims", "the host is missing"),
        ("mysql://127.0.0.1:3306/claims", "the user name is missing"),
        ("mysql://app:pw@127.0.0.1:99999/claims", "the port must be an integer"),
        ("mysql://app:pw@127.0.0.1:port/claims", "the port must be an integer"),
        ("mysql://app:pw@127.0.0.1:3306", "the database name is missing"),
        ("mysql://app:pw@127.0.0.1:3306/a/b", "contains '/'"),
        ("mysql://app:pw@127.0.0.1:3306/claims?ssl=1", "query strings and fragments"),
    ],
)
def test_url_parse_rejects_malformed(url, expected):
    with pytest.raises(InvalidMySQLUrl) as error:
        MySQLUrl.parse(url)

    assert expected in str(error.value)
    assert ":pw@" not in str(error.value)


# Binary lookup without a server


def test_lookup_on_empty_path_raises_unavailable(tmp_path):
    with pytest.raises(MySQLUnavailable) as error:
        find_server_programs(search_path=str(tmp_path))

    message = str(error.value)
    assert "mariadbd" in message
    assert "mysqld" in message
    assert INSTALL_HINT in message
    assert URL_ENV_VAR in message


def test_server_start_on_empty_path_cleans_up(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    server = MySQLServer(base_dir=tmp_path)

    with pytest.raises(MySQLUnavailable):
        server.start()

    assert server.pid is None
    assert list(tmp_path.iterdir()) == []


def test_provide_mysql_without_server_or_url(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(URL_ENV_VAR, raising=False)

    with pytest.raises(MySQLUnavailable, match="apt-get install"):
        with provide_mysql():
            pass


def test_storage_tests_skip_without_server(tmp_path):
    """Run the consumer tests with no server on PATH: they skip, naming the install command."""
    environment = {key: value for key, value in os.environ.items() if key != URL_ENV_VAR}
    environment["PATH"] = str(tmp_path)
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest",
            "tests/self/test_ses_consumer.py",
            "-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-rs",
        ],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert " skipped" in output, output
    assert " failed" not in output, output
    assert " error" not in output, output
    assert "SKIPPED" in output, output
    assert "No MySQL-compatible server found" in output, output
    assert "apt-get install" in output, output


# A private server


def test_server_start_and_stop(tmp_path):
    server_programs_or_skip()
    log_path = tmp_path / "server.log"
    server = MySQLServer(log_path=log_path)

    server.start()
    pid = server.pid
    port = server.port
    base_dir = server.base_dir
    try:
        assert pid is not None
        assert process_exists(pid)
        assert port_accepts_connections(port)
        assert server.url.host == "127.0.0.1"
        assert server.url.render().startswith(f"mysql://claims:{server.password}@127.0.0.1:{port}/")
        assert base_dir is not None and (base_dir / "data").is_dir()
        with server.url.connect() as connection, connection.cursor() as cursor:
            cursor.execute("SELECT DATABASE(), CURRENT_USER(), @@bind_address, @@time_zone")
            database, user, bind_address, time_zone = cursor.fetchone()
        assert database == "claims"
        assert user == "claims@127.0.0.1"
        assert bind_address == "127.0.0.1"
        assert time_zone == "+00:00"
    finally:
        server.stop()

    assert server.pid is None
    assert not process_exists(pid)
    assert not port_accepts_connections(port)
    assert not base_dir.exists()
    log_text = log_path.read_text()
    assert f"Server PID {pid} ended with code 0" in log_text
    assert "ready for connections" in log_text


def test_server_stop_twice_is_harmless(tmp_path):
    server_programs_or_skip()
    server = MySQLServer(log_path=tmp_path / "server.log").start()

    server.stop()
    server.stop()

    assert server.pid is None


def test_server_url_before_start_raises():
    server = MySQLServer()

    with pytest.raises(MySQLServerError, match="call start"):
        server.url


def test_server_rejects_unsafe_names():
    with pytest.raises(ValueError, match="Invalid database name"):
        MySQLServer(database="claims; DROP")


def test_server_password_not_in_log(tmp_path):
    server_programs_or_skip()
    log_path = tmp_path / "server.log"

    with MySQLServer(log_path=log_path) as server:
        password = server.password

    assert password not in log_path.read_text()


# Databases on the session's server


def test_create_and_drop_database(mysql_url):
    url = create_database(mysql_url, suffix="lifecycle")
    try:
        assert url.database == f"{mysql_url.database}_lifecycle"
        with url.connect() as connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE probe (id INT PRIMARY KEY)")
            cursor.execute("INSERT INTO probe VALUES (1)")
            connection.commit()
            cursor.execute("SELECT COUNT(*) FROM probe")
            assert cursor.fetchone() == (1,)
    finally:
        drop_database(url)

    with pytest.raises(pymysql.err.OperationalError) as error:
        url.connect().close()
    assert error.value.args[0] in (1044, 1049)


def test_database_is_utf8mb4(mysql_database):
    with mysql_database.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT @@character_set_database")
        (charset,) = cursor.fetchone()

    assert charset == "utf8mb4"


def test_check_server_returns_version(mysql_url):
    version = check_server(mysql_url)

    assert version[0].isdigit()


def test_check_server_reports_closed_port():
    url = MySQLUrl("claims", "testing", "127.0.0.1", closed_loopback_port(), "claims")

    with pytest.raises(MySQLServerError) as error:
        check_server(url, timeout=2.0)

    message = str(error.value)
    assert f"127.0.0.1:{url.port}" in message
    assert URL_ENV_VAR in message
    assert "testing" not in message


def test_check_server_reports_wrong_password(mysql_url):
    wrong = MySQLUrl(mysql_url.user, "wrong-password", mysql_url.host, mysql_url.port, mysql_url.database)

    with pytest.raises(MySQLServerError, match="Access denied"):
        check_server(wrong)


def test_provide_mysql_uses_url_from_environment(mysql_url, tmp_path):
    environ = {URL_ENV_VAR: mysql_url.render(), "PATH": str(tmp_path)}

    with provide_mysql(environ=environ) as url:
        assert url == mysql_url


def test_provide_mysql_rejects_malformed_environment_url():
    environ = {URL_ENV_VAR: "mysql://claims:pw@127.0.0.1:3306"}

    with pytest.raises(InvalidMySQLUrl, match="the database name is missing"):
        with provide_mysql(environ=environ):
            pass
