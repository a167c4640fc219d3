"""Misconfiguration ends the run within seconds with one message naming the value and the fix."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from fixtures.backends import free_loopback_port

ERROR_DEADLINE_SECONDS = 10


def assert_one_clear_error(result, *fragments: str) -> None:
    assert result.returncode == 4, result.output
    for fragment in fragments:
        assert fragment in result.output
    assert "Traceback" not in result.output
    assert "INTERNALERROR" not in result.output
    assert result.output.count("ERROR:") == 1, result.output


def timed_run(demo_project, *args, env=None):
    started = time.monotonic()
    result = demo_project.run(*args, env=env)
    return result, time.monotonic() - started


def test_unknown_backend_option(demo_project):
    result, elapsed = timed_run(demo_project, "--backend", "motto")

    assert_one_clear_error(result, "unknown backend 'motto'", "choose one of: moto, moto-server")
    assert elapsed < ERROR_DEADLINE_SECONDS


def test_unknown_backend_environment(demo_project):
    result, elapsed = timed_run(demo_project, env={"CLAIMS_BACKEND": "localstak"})

    assert_one_clear_error(result, "unknown backend 'localstak'", "CLAIMS_BACKEND")
    assert elapsed < ERROR_DEADLINE_SECONDS


def test_endpoint_refused(demo_project):
    closed_port = free_loopback_port()

    result, elapsed = timed_run(demo_project, "--backend", "localstack",
                                "--endpoint-url", f"http://127.0.0.1:{closed_port}")

    assert_one_clear_error(result, f"127.0.0.1:{closed_port}", "python -m fixtures.emulators start")
    assert elapsed < ERROR_DEADLINE_SECONDS


@pytest.fixture
def plain_http_server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_endpoint_not_an_emulator(demo_project, plain_http_server):
    result, elapsed = timed_run(demo_project, "--backend", "endpoint", "--endpoint-url", plain_http_server)

    assert_one_clear_error(result, plain_http_server, "not an AWS emulator")
    assert elapsed < ERROR_DEADLINE_SECONDS


def test_endpoint_backend_needs_url(demo_project):
    result, elapsed = timed_run(demo_project, "--backend", "endpoint")

    assert_one_clear_error(result, "--backend endpoint needs the emulator's URL", "--endpoint-url")
    assert elapsed < ERROR_DEADLINE_SECONDS


def test_unknown_fault(demo_project):
    result, elapsed = timed_run(demo_project, "--fault", "no.such-fault")

    assert_one_clear_error(result, "unknown fault 'no.such-fault'")
    assert elapsed < ERROR_DEADLINE_SECONDS
