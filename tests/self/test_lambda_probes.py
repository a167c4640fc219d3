"""In-process tests of the Lambda execution environment probe handlers.

Each probe is built with the suite's zip builder, unpacked into a temporary task root and
imported from there, as Lambda does with a .zip package. The context object follows
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import zipfile
from io import BytesIO
from pathlib import Path
from types import ModuleType

import pytest

from fixtures.lambda_context import LambdaContext, load_handler_module
from scenarios.lambda_environment.functions import CONTAINER_REUSE, PACKAGE_LOCATION, ProbeFunction

LOG_STREAM_PATTERN = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def unpack_probe(function: ProbeFunction, task_root: Path) -> Path:
    """Unpack the probe's package into ``task_root`` and return the handler module's path."""
    with zipfile.ZipFile(BytesIO(function.build_zip())) as package:
        package.extractall(task_root)
    module_name = function.handler.rsplit(".", 1)[0]
    return task_root / f"{module_name}.py"


@pytest.fixture
def tmp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("PROBE_TMP_ROOT", str(folder))
    return folder


@pytest.fixture
def task_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "task"
    folder.mkdir()
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(folder))
    monkeypatch.chdir(folder)
    # Lambda's task root is read-only, so importing the handler writes no __pycache__ there.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return folder


@pytest.fixture
def location_probe(task_root: Path, tmp_root: Path) -> ModuleType:
    return load_handler_module(unpack_probe(PACKAGE_LOCATION, task_root))


@pytest.fixture
def reuse_probe_path(task_root: Path, tmp_root: Path) -> Path:
    return unpack_probe(CONTAINER_REUSE, task_root)


# Context object


def test_context_documented_attributes():
    context = LambdaContext(function_name="probe", memory_limit_in_mb=256, timeout_seconds=3)

    assert context.function_name == "probe"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:probe"
    assert context.memory_limit_in_mb == 256
    assert UUID_PATTERN.match(context.aws_request_id)
    assert context.log_group_name == "/aws/lambda/probe"
    assert LOG_STREAM_PATTERN.match(context.log_stream_name)
    assert context.identity is None
    assert context.client_context is None
    assert 0 < context.get_remaining_time_in_millis() <= 3000


def test_context_remaining_time_floor():
    context = LambdaContext(timeout_seconds=1, started_at=time.monotonic() - 5)

    assert context.get_remaining_time_in_millis() == 0


def test_context_qualified_arn():
    context = LambdaContext(function_name="probe", function_version="7")

    assert context.invoked_function_arn.endswith(":function:probe:7")


def test_context_next_invocation():
    first = LambdaContext(function_name="probe")
    second = first.next_invocation()

    assert second.aws_request_id != first.aws_request_id
    assert second.log_stream_name == first.log_stream_name
    assert second.function_name == "probe"


# Package location probe


def test_location_reports_task_root_and_cwd(location_probe: ModuleType, task_root: Path):
    evidence = location_probe.handler({}, LambdaContext())

    assert evidence["probe"] == "package-location"
    assert evidence["lambda_task_root"] == str(task_root)
    assert evidence["cwd"] == str(task_root)
    assert evidence["handler_file"] == str(task_root / "location_probe.py")
    assert evidence["handler_directory"] == str(task_root)
    assert evidence["cwd_entries"] == ["config.json", "location_probe.py"]


def test_location_reads_config_both_ways(location_probe: ModuleType):
    evidence = location_probe.handler({}, LambdaContext())

    expected = {"probe": "package-location", "shipped_beside_handler": True}
    for path in ("config.json", "./config.json"):
        read = evidence["config_reads"][path]
        assert read["opened"] is True, path
        assert read["content"] == expected, path
        assert read["error"] is None, path
    assert evidence["config_beside_handler"]["content"] == expected


def test_location_config_missing_from_other_cwd(
    location_probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    evidence = location_probe.handler({}, LambdaContext())

    for path in ("config.json", "./config.json"):
        read = evidence["config_reads"][path]
        assert read["opened"] is False, path
        assert read["errno_name"] == "ENOENT", path
    assert evidence["config_beside_handler"]["opened"] is True


def test_location_writable_task_root_reported(location_probe: ModuleType, task_root: Path):
    context = LambdaContext()

    evidence = location_probe.handler({}, context)

    write = evidence["task_root_write"]
    assert write["path"] == str(task_root / f".write-probe-{context.aws_request_id}")
    assert write["written"] is True
    assert write["errno"] is None
    assert not Path(write["path"]).exists(), "the probe must remove its test file"


def test_location_failed_task_root_write_errno(
    location_probe: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path / "absent"))

    evidence = location_probe.handler({}, LambdaContext())

    write = evidence["task_root_write"]
    assert write["written"] is False
    assert write["errno"] == 2
    assert write["errno_name"] == "ENOENT"
    assert write["error"].startswith("FileNotFoundError")


def test_location_tmp_write(location_probe: ModuleType, tmp_root: Path):
    evidence = location_probe.handler({}, LambdaContext())

    write = evidence["tmp_write"]
    assert write["written"] is True
    assert Path(write["path"]).parent == tmp_root
    assert list(tmp_root.iterdir()) == []


def test_location_evidence_is_json(location_probe: ModuleType):
    evidence = location_probe.handler({}, LambdaContext())

    assert json.loads(json.dumps(evidence)) == evidence


# Container reuse probe


def test_reuse_warm_invocations_keep_globals(reuse_probe_path: Path):
    probe = load_handler_module(reuse_probe_path)
    context = LambdaContext(function_name="reuse")
    results = []
    for _ in range(3):
        results.append(probe.handler({}, context))
        context = context.next_invocation()

    assert len({result["init_id"] for result in results}) == 1
    assert [result["invocation_count"] for result in results] == [1, 2, 3]
    assert [result["module_list_length"] for result in results] == [1, 2, 3]
    assert [result["local_list_length"] for result in results] == [1, 1, 1]
    assert len({result["request_id"] for result in results}) == 3
    assert len({result["log_stream_name"] for result in results}) == 1


def test_reuse_tmp_files_accumulate(reuse_probe_path: Path, tmp_root: Path):
    probe = load_handler_module(reuse_probe_path)
    context = LambdaContext(function_name="reuse")

    first = probe.handler({}, context)
    second = probe.handler({}, context.next_invocation())

    init_id = first["init_id"]
    assert first["tmp_files"] == [f"{init_id}-0001"]
    assert second["tmp_files"] == [f"{init_id}-0001", f"{init_id}-0002"]
    assert second["tmp_folder"] == str(tmp_root / "container-reuse-reuse")
    assert (tmp_root / "container-reuse-reuse" / f"{init_id}-0002").read_text() == second["request_id"]


def test_reuse_new_environment_resets_globals(reuse_probe_path: Path):
    warm = load_handler_module(reuse_probe_path)
    warm.handler({}, LambdaContext(function_name="reuse"))
    warm_result = warm.handler({}, LambdaContext(function_name="reuse"))

    cold = load_handler_module(reuse_probe_path)
    cold_result = cold.handler({}, LambdaContext(function_name="reuse"))

    assert cold_result["init_id"] != warm_result["init_id"]
    assert cold_result["invocation_count"] == 1
    assert cold_result["module_list_length"] == 1
    # Both environments share one scratch folder here, so the probe lists the files of both:
    # a test on a backend decides whether that matches Lambda's per-environment /tmp.
    assert len(cold_result["tmp_files"]) == 3


def test_reuse_reports_process_ids(reuse_probe_path: Path):
    probe = load_handler_module(reuse_probe_path)

    evidence = probe.handler({}, LambdaContext(function_name="reuse"))

    assert evidence["process_id"] == os.getpid()
    assert evidence["init_process_id"] == os.getpid()


def test_reuse_sanitises_folder_name(reuse_probe_path: Path, tmp_root: Path):
    probe = load_handler_module(reuse_probe_path)

    evidence = probe.handler({}, LambdaContext(function_name="../odd name"))

    assert evidence["tmp_folder"] == str(tmp_root / "container-reuse-___odd_name")


def test_reuse_echoes_marker_and_event(reuse_probe_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PROBE_MARKER", "generation-2")
    probe = load_handler_module(reuse_probe_path)
    context = LambdaContext(function_name="reuse")

    evidence = probe.handler({"step": 1}, context)

    assert evidence["configuration_marker"] == "generation-2"
    assert evidence["event"] == {"step": 1}
    assert evidence["function_name"] == "reuse"
    assert evidence["log_stream_name"] == context.log_stream_name
    assert json.loads(json.dumps(evidence)) == evidence
