"""The in-process moto backends: shared botocore models, and services the leak check may skip."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest

from fixtures.backends import MotoInProcess, MotoServer
from tests.self.support import REPO_ROOT


def _loader() -> object:
    return boto3.Session(region_name="us-east-1")._session.get_component("data_loader")


@pytest.mark.parametrize("backend_class", [MotoInProcess, MotoServer])
def test_sessions_share_model_loader(backend_class):
    # The plugin has replaced the shell's credentials with fake ones for this process.
    assert _loader() is not _loader(), "before start, every session has its own loader"
    backend = backend_class()
    backend.start()
    try:
        shared = _loader()
        assert _loader() is shared
        backend.client("sqs").list_queues()
        assert backend._session._session.get_component("data_loader") is shared
    finally:
        backend.stop()

    assert _loader() is not _loader(), "stop must restore one loader per session"


def test_leak_check_skips_unimported_services():
    # A new interpreter, because this process has imported moto's packages already.
    code = (
        "from fixtures.backends import MotoInProcess, isolate_from_real_credentials\n"
        "isolate_from_real_credentials()\n"
        "backend = MotoInProcess()\n"
        "backend.start()\n"
        "before = backend.may_hold_resources('mq')\n"
        "backend.client('mq').list_brokers()\n"
        "print(before, backend.may_hold_resources('mq'), backend.may_hold_resources('cognito-idp'))\n"
        "backend.stop()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False"]
