"""The real-AWS guard stops a run before any request; emulator runs never use real credentials."""

from __future__ import annotations

import json
import textwrap

import pytest

from fixtures.backends import HarnessError, RealAWS, is_loopback_host

# Installed as sitecustomize in the child process: every name lookup and connection to a
# host other than loopback is recorded and refused, so the test can prove none happened.
NETWORK_TRAP = '''
import json, os, socket

_LOG = os.environ["NETWORK_TRAP_LOG"]
_LOOPBACK = ("127.", "::1", "localhost")


def _record(kind, target):
    with open(_LOG, "a") as handle:
        handle.write(json.dumps([kind, str(target)]) + "\\n")


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect


def getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_LOOPBACK):
        _record("getaddrinfo", host)
        raise OSError(f"network trap: lookup of {host} refused")
    return _getaddrinfo(host, *args, **kwargs)


def connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not host.startswith(_LOOPBACK) and self.family != socket.AF_UNIX:
        _record("connect", address)
        raise OSError(f"network trap: connection to {address} refused")
    return _connect(self, address)


socket.getaddrinfo = getaddrinfo
socket.socket.connect = connect
'''


@pytest.fixture
def trapped_env(tmp_path):
    trap_dir = tmp_path / "trap"
    trap_dir.mkdir()
    (trap_dir / "sitecustomize.py").write_text(NETWORK_TRAP)
    log = tmp_path / "network.log"
    log.write_text("")
    return log, {"NETWORK_TRAP_LOG": str(log), "PYTHONPATH_PREPEND": str(trap_dir)}


def run_trapped(demo_project, log_env, *args, extra_env=None):
    log, env = log_env
    from tests.self.support import REPO_ROOT

    full_env = {"PYTHONPATH": f"{env['PYTHONPATH_PREPEND']}:{REPO_ROOT}", "NETWORK_TRAP_LOG": env["NETWORK_TRAP_LOG"],
                **(extra_env or {})}
    result = demo_project.run(*args, env=full_env)
    attempts = [json.loads(line) for line in log.read_text().splitlines()]
    return result, attempts


def test_aws_backend_without_account_stops(demo_project, trapped_env):
    result, attempts = run_trapped(demo_project, trapped_env, "--backend", "aws")

    assert result.returncode == 4, result.output
    assert "--backend aws deploys real, billable resources and needs the allowed account" in result.output
    assert "nothing was sent" in result.output
    assert attempts == []
    assert "Traceback" not in result.output


def test_aws_backend_invalid_account_stops(demo_project, trapped_env):
    result, attempts = run_trapped(demo_project, trapped_env, "--backend", "aws", "--aws-account", "12345")

    assert result.returncode == 4, result.output
    assert "'12345' is not a 12-digit AWS account id" in result.output
    assert attempts == []


def test_trap_detects_outbound_attempts(demo_project, trapped_env):
    demo_project.write("tests/test_demo.py", """
        import socket
        import pytest

        @pytest.mark.claim("demo.default-timeout")
        def test_default_timeout():
            with pytest.raises(OSError, match="network trap"):
                socket.getaddrinfo("sqs.us-east-1.amazonaws.com", 443)

        @pytest.mark.claim("demo.max-messages")
        def test_max_size():
            pass
    """)

    result, attempts = run_trapped(demo_project, trapped_env)

    assert result.returncode == 0, result.output
    assert attempts == [["getaddrinfo", "sqs.us-east-1.amazonaws.com"]]


def test_moto_run_sends_nothing_outside(demo_project, trapped_env):
    result, attempts = run_trapped(demo_project, trapped_env)

    assert result.returncode == 0, result.output
    assert attempts == []


def test_emulator_run_ignores_shell_credentials(demo_project, trapped_env):
    demo_project.write("tests/test_demo.py", """
        import os
        import pytest

        @pytest.mark.claim("demo.default-timeout")
        def test_default_timeout(backend):
            credentials = backend.client("sqs")._request_signer._credentials
            assert credentials.access_key == "testing"
            assert credentials.secret_key == "testing"
            # moto's mock_aws swaps in its own fake key while it runs; the shell's key must be gone.
            assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAEXAMPLEREALKEY01"
            assert "AWS_PROFILE" not in os.environ
            assert "AWS_SESSION_TOKEN" not in os.environ
            assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"

        @pytest.mark.claim("demo.max-messages")
        def test_max_size():
            pass
    """)
    shell = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEREALKEY01", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret-but-pretend",
        "AWS_SESSION_TOKEN": "pretend-session-token", "AWS_PROFILE": "production",
    }

    result, attempts = run_trapped(demo_project, trapped_env, extra_env=shell)

    assert result.returncode == 0, result.output
    assert attempts == []


def test_check_allowed_account_accepts_twelve_digits():
    assert RealAWS.check_allowed_account("123456789012") == "123456789012"
    with pytest.raises(HarnessError):
        RealAWS.check_allowed_account(None)


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("127.10.0.3", True),
    ("169.254.169.254", False), ("sqs.us-east-1.amazonaws.com", False), ("10.0.0.1", False), (None, False),
])
def test_loopback_detection(host, expected):
    assert is_loopback_host(host) is expected


def test_endpoint_backend_rejects_remote_url(demo_project, trapped_env):
    result, attempts = run_trapped(demo_project, trapped_env, "--backend", "endpoint",
                                   "--endpoint-url", "https://sqs.us-east-1.amazonaws.com")

    assert result.returncode == 4, result.output
    assert "is not a loopback address" in result.output
    assert attempts == []
