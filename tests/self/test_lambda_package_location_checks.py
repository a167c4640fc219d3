"""The package location checks pass on Lambda-shaped evidence and fail on wrong evidence.

The evidence comes from the real location probe, run in-process from an unpacked package.
Its temporary task root is then renamed to /var/task and its task root write is replaced by
the EROFS failure Lambda reports, which gives the evidence a compliant backend returns.
Every fault below changes one observed value and must make exactly the matching check fail.
"""

from __future__ import annotations

import copy
import errno
import json
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any, Callable

import pytest

from fixtures.lambda_context import LambdaContext, load_handler_module
from scenarios.lambda_environment.functions import PACKAGE_LOCATION
from scenarios.lambda_package_location.checks import (
    TASK_ROOT,
    check_task_root,
    check_task_root_read_only,
    check_working_directory,
)

Evidence = dict[str, Any]
HOST_FOLDER = "/srv/emulator/functions/probe/code"


@pytest.fixture
def lambda_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Evidence:
    """Evidence of the real probe, rewritten to the paths and errors Lambda reports."""
    task_root = tmp_path / "task"
    scratch = tmp_path / "scratch"
    task_root.mkdir()
    scratch.mkdir()
    with zipfile.ZipFile(BytesIO(PACKAGE_LOCATION.build_zip())) as package:
        package.extractall(task_root)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(task_root))
    monkeypatch.setenv("PROBE_TMP_ROOT", str(scratch))
    monkeypatch.chdir(task_root)

    probe = load_handler_module(task_root / "location_probe.py")
    raw = probe.handler({}, LambdaContext())

    text = json.dumps(raw).replace(str(task_root), TASK_ROOT).replace(str(scratch), "/tmp")
    evidence = json.loads(text)
    evidence["task_root_write"].update(
        written=False, errno=errno.EROFS, errno_name="EROFS",
        error="OSError: [Errno 30] Read-only file system",
    )
    return evidence


def relocated(evidence: Evidence) -> Evidence:
    """Move every /var/task path to a host folder, as an emulator that unpacks elsewhere reports."""
    return json.loads(json.dumps(evidence).replace(TASK_ROOT, HOST_FOLDER))


def writable_task_root(evidence: Evidence) -> Evidence:
    evidence["task_root_write"].update(written=True, errno=None, errno_name=None, error=None)
    return evidence


def failed_tmp_write(evidence: Evidence) -> Evidence:
    evidence["tmp_write"].update(written=False, errno=errno.EACCES, errno_name="EACCES", error="PermissionError")
    return evidence


def config_missing(evidence: Evidence) -> Evidence:
    evidence["config_reads"]["./config.json"].update(opened=False, content=None, errno_name="ENOENT")
    return evidence


def config_changed(evidence: Evidence) -> Evidence:
    evidence["config_reads"]["config.json"]["content"] = {"probe": "other"}
    return evidence


def cwd_elsewhere(evidence: Evidence) -> Evidence:
    evidence["cwd"] = "/"
    return evidence


def handler_in_subfolder(evidence: Evidence) -> Evidence:
    evidence["handler_file"] = f"{TASK_ROOT}/src/location_probe.py"
    evidence["handler_directory"] = f"{TASK_ROOT}/src"
    return evidence


def task_root_unset(evidence: Evidence) -> Evidence:
    evidence["lambda_task_root"] = None
    return evidence


def write_probe_elsewhere(evidence: Evidence) -> Evidence:
    evidence["task_root_write"]["path"] = "/var/.write-probe"
    return evidence


Check = Callable[[Evidence], None]
CHECKS: dict[str, Check] = {
    "task root": check_task_root,
    "working directory": check_working_directory,
    "read-only task root": check_task_root_read_only,
}

# fault -> the checks it must break; every other check must still pass.
FAULTS: dict[str, tuple[Callable[[Evidence], Evidence], set[str]]] = {
    "package unpacked elsewhere": (relocated, {"task root", "working directory", "read-only task root"}),
    "LAMBDA_TASK_ROOT unset": (task_root_unset, {"task root"}),
    "handler in a subfolder": (handler_in_subfolder, {"task root"}),
    "working directory elsewhere": (cwd_elsewhere, {"working directory"}),
    "config.json missing": (config_missing, {"working directory"}),
    "config.json changed": (config_changed, {"working directory"}),
    "task root writable": (writable_task_root, {"read-only task root"}),
    "write probe in another folder": (write_probe_elsewhere, {"read-only task root"}),
    "/tmp not writable": (failed_tmp_write, {"read-only task root"}),
}


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_lambda_evidence_passes(lambda_evidence: Evidence, check_name: str):
    CHECKS[check_name](lambda_evidence)


@pytest.mark.parametrize("fault_name", sorted(FAULTS))
def test_wrong_evidence_fails(lambda_evidence: Evidence, fault_name: str):
    make_wrong, broken = FAULTS[fault_name]
    wrong = make_wrong(copy.deepcopy(lambda_evidence))

    for check_name, check in sorted(CHECKS.items()):
        if check_name in broken:
            with pytest.raises(AssertionError):
                check(wrong)
        else:
            check(wrong)


def test_relocation_message_names_value(lambda_evidence: Evidence):
    with pytest.raises(AssertionError) as excinfo:
        check_task_root(relocated(lambda_evidence))

    assert HOST_FOLDER in str(excinfo.value)
    assert TASK_ROOT in str(excinfo.value)
