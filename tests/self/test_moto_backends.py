"""The in-process moto backends share botocore's parsed models between sessions."""

from __future__ import annotations

import boto3
import pytest

from fixtures.backends import MotoInProcess, MotoServer


def _loader() -> object:
    return boto3.Session(region_name="us-east-1")._session.get_component("data_loader")


@pytest.mark.parametrize("backend_class", [MotoInProcess, MotoServer])
def test_sessions_share_one_model_loader_while_started(backend_class):
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
