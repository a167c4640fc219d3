"""Tests of the managed emulators: real installs, real processes, loopback only.

Tests marked `slow` install an emulator on first use (measured on a 2-core machine with a
warm pip cache: LocalStack 56 s, ministack 13 s) and then start and stop it for real.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import boto3
import pytest

from fixtures.emulators import (
    EmulatorError,
    EndpointUnreachableError,
    InterpreterNotFoundError,
    ManagedEmulator,
    NotAnEmulatorError,
    default_home,
    default_log_dir,
    detect_services,
    get_emulator,
    probe_endpoint,
)
from fixtures.emulators.base import REPOSITORY_ROOT
from fixtures.emulators.install import find_python
from fixtures.emulators.process import listening_sockets, process_group_alive
from tests.self.support import start_or_skip

EMULATOR_NAMES = ["localstack", "ministack"]
PINNED_VERSIONS = {"ministack": "1.5.33"}


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module", params=EMULATOR_NAMES)
def running_emulator(request: pytest.FixtureRequest) -> Iterator[ManagedEmulator]:
    emulator = get_emulator(request.param, default_home(), default_log_dir())
    start_or_skip(emulator)
    try:
        yield emulator
    finally:
        emulator.stop()


def closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Probing without a managed emulator


def test_probe_closed_port_fails_fast() -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"
    started = time.monotonic()

    with pytest.raises(EndpointUnreachableError) as raised:
        probe_endpoint(url, timeout=8.0)

    assert time.monotonic() - started < 10
    assert url in str(raised.value)
    assert "refused" in str(raised.value)
    assert "python -m fixtures.emulators start" in str(raised.value)


def test_probe_plain_http_server_rejected() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(NotAnEmulatorError) as raised:
            probe_endpoint(url, timeout=8.0)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert "not an AWS emulator" in str(raised.value)
    assert url in str(raised.value)


def test_probe_silent_server_times_out() -> None:
    # The kernel completes connections to a listening socket that never calls accept(), so requests hang.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()

        with pytest.raises(EndpointUnreachableError) as raised:
            probe_endpoint(url, timeout=2.0)

    assert time.monotonic() - started < 5
    assert "timed out" in str(raised.value)


def test_probe_rejects_non_loopback_url() -> None:
    # The .invalid top-level domain never resolves, and the URL is rejected before any lookup.
    with pytest.raises(EmulatorError) as raised:
        probe_endpoint("http://emulator.invalid:4566", timeout=2.0)

    assert "not on a loopback address" in str(raised.value)


def test_probe_identifies_moto_server() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=closed_loopback_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        info = probe_endpoint(f"http://{host}:{port}", timeout=8.0)
    finally:
        server.stop()

    assert info.kind == "moto"
    assert detect_services(info.url, info.kind) == {}


def test_get_emulator_unknown_name() -> None:
    with pytest.raises(EmulatorError) as raised:
        get_emulator("floci")

    assert "localstack, ministack" in str(raised.value)


def test_find_python_bad_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_TEST_PYTHON", "/nonexistent/python3.13")

    with pytest.raises(EmulatorError) as raised:
        find_python(("3.13",), "CLAIMS_TEST_PYTHON", "a test")

    assert "CLAIMS_TEST_PYTHON='/nonexistent/python3.13'" in str(raised.value)


def test_stop_before_start_is_noop() -> None:
    emulator = get_emulator("ministack")
    emulator.stop()
    emulator.stop()

    assert emulator.pid is None


# Real emulator processes


@pytest.mark.slow
def test_start_returns_loopback_url(running_emulator: ManagedEmulator) -> None:
    assert running_emulator.endpoint_url.startswith("http://127.0.0.1:")
    assert running_emulator.pid is not None
    assert running_emulator.log_path.is_file()


@pytest.mark.slow
def test_listens_on_loopback_only(running_emulator: ManagedEmulator) -> None:
    sockets = listening_sockets(running_emulator.pid)
    port = int(running_emulator.endpoint_url.rsplit(":", 1)[1])

    assert sockets, f"no listening socket found for process group {running_emulator.pid}"
    assert {s.address for s in sockets} == {"127.0.0.1"}, sockets
    assert port in {s.port for s in sockets}


@pytest.mark.slow
def test_probe_identifies_emulator(running_emulator: ManagedEmulator) -> None:
    info = probe_endpoint(running_emulator.endpoint_url)

    assert info.kind == running_emulator.name
    assert info.version
    if running_emulator.name in PINNED_VERSIONS:
        assert info.version == PINNED_VERSIONS[running_emulator.name]
    assert "sqs" in info.services


@pytest.mark.slow
def test_detect_services_reports_sqs(running_emulator: ManagedEmulator) -> None:
    services = detect_services(running_emulator.endpoint_url, running_emulator.name)

    assert services.get("sqs") in {"available", "running"}, services


@pytest.mark.slow
def test_emulator_serves_sqs(running_emulator: ManagedEmulator) -> None:
    sqs = boto3.client(
        "sqs",
        endpoint_url=running_emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queue_url = sqs.create_queue(QueueName=f"emulator-self-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="ping")

    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])

    assert [m["Body"] for m in messages] == ["ping"]
    sqs.delete_queue(QueueUrl=queue_url)


@pytest.mark.slow
def test_ensure_installed_is_fast_when_done(running_emulator: ManagedEmulator) -> None:
    started = time.monotonic()
    python = running_emulator.ensure_installed()

    assert time.monotonic() - started < 5
    assert python.is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", EMULATOR_NAMES)
def test_stop_ends_process_group(name: str) -> None:
    emulator = get_emulator(name)
    start_or_skip(emulator)
    pid = emulator.pid
    url = emulator.endpoint_url

    emulator.stop()

    assert not process_group_alive(pid)
    assert emulator.pid is None
    with pytest.raises(EndpointUnreachableError):
        probe_endpoint(url, timeout=3.0)
    emulator.stop()


@pytest.mark.slow
def test_cli_start_status_stop() -> None:
    emulator = get_emulator("ministack")
    if emulator.state_path.exists():
        pytest.skip(f"{emulator.state_path} exists: a ministack started from the command line may be running")
    try:
        emulator.ensure_installed()
    except InterpreterNotFoundError as error:
        pytest.skip(str(error))
    command = [sys.executable, "-m", "fixtures.emulators"]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=180,
                              cwd=REPOSITORY_ROOT, env=environment)

    started = run("start", "ministack")
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        assert url.startswith("http://127.0.0.1:")

        status = run("status", "ministack")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "running and healthy" in status.stdout
    finally:
        stopped = run("stop", "ministack")

    assert stopped.returncode == 0, stopped.stderr
    assert not emulator.state_path.exists()
    after = run("status", "ministack")
    assert after.returncode == 3
    assert "not running" in after.stdout
