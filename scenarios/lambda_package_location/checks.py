"""Checks of the package location claims against the evidence the location probe returns.

The probe (scenarios/lambda_environment/handlers/package_location) reports what it saw and
never judges it. These functions judge, so the compliance tests and the harness's own tests
apply the same rules to evidence from a backend and to evidence made wrong on purpose.
Each check raises AssertionError naming the first value that contradicts its claim.
"""

from __future__ import annotations

import posixpath
from typing import Any

TASK_ROOT = "/var/task"
TMP_ROOT = "/tmp"
HANDLER_MODULE = "location_probe"
RELATIVE_CONFIG_PATHS = ("config.json", "./config.json")
EXPECTED_CONFIG = {"probe": "package-location", "shipped_beside_handler": True}


def check_task_root(evidence: dict[str, Any]) -> None:
    """Check that LAMBDA_TASK_ROOT is /var/task and that the handler file is loaded from there."""
    task_root = evidence["lambda_task_root"]
    assert task_root == TASK_ROOT, f"LAMBDA_TASK_ROOT is {task_root!r}, expected {TASK_ROOT!r}"

    handler_directory = evidence["handler_directory"]
    assert handler_directory == TASK_ROOT, f"the handler module lives in {handler_directory!r}, expected {TASK_ROOT!r}"

    handler_file = evidence["handler_file"]
    expected_file = posixpath.join(TASK_ROOT, f"{HANDLER_MODULE}.py")
    assert handler_file == expected_file, f"the handler module was loaded from {handler_file!r}, expected {expected_file!r}"


def check_working_directory(evidence: dict[str, Any]) -> None:
    """Check that the working directory is /var/task and that config.json opens by relative paths."""
    for path in RELATIVE_CONFIG_PATHS:
        read = evidence["config_reads"][path]
        assert read["opened"] is True, f"open({path!r}) failed in {evidence['cwd']!r}: {read.get('error')}"
        assert read["content"] == EXPECTED_CONFIG, f"open({path!r}) returned {read['content']!r}, not the packaged config.json"

    cwd = evidence["cwd"]
    assert cwd == TASK_ROOT, f"the working directory is {cwd!r}, expected {TASK_ROOT!r}"


def check_task_root_read_only(evidence: dict[str, Any]) -> None:
    """Check that creating a file in /var/task failed and creating one in /tmp worked."""
    task_root_write = evidence["task_root_write"]
    assert task_root_write["written"] is False, (
        f"the function created {task_root_write['path']!r}, so its task root is writable"
    )
    written_in = posixpath.dirname(task_root_write["path"])
    assert written_in == TASK_ROOT, f"the probe tried to write in {written_in!r}, not in {TASK_ROOT!r}"

    tmp_write = evidence["tmp_write"]
    tmp_folder = posixpath.dirname(tmp_write["path"])
    assert tmp_folder == TMP_ROOT, f"the probe tried to write in {tmp_folder!r}, not in {TMP_ROOT!r}"
    assert tmp_write["written"] is True, f"creating {tmp_write['path']!r} failed: {tmp_write['error']}"
