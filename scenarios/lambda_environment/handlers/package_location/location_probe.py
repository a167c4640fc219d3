"""Probe where Lambda puts the deployment package and which paths are writable.

Lambda unpacks a .zip package into /var/task, names that folder in LAMBDA_TASK_ROOT
("the path to your Lambda function code") and starts the handler with it as the working
directory. /tmp is the execution environment's writable scratch space.
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
https://aws.amazon.com/blogs/compute/using-larger-ephemeral-storage-for-aws-lambda/

NOTE: the read-only task root (writes fail with EROFS) is widely observed on Lambda, but
no AWS page cited here states it. The probe reports the errno so tests can record it.

The handler returns what it observed as a JSON-serialisable dict and never judges it, so
the tests decide what counts as the documented behaviour.

PROBE_TMP_ROOT names the scratch folder to test instead of /tmp (tests point it to a
temporary folder).
"""

from __future__ import annotations

import errno
import json
import os
import sys
from typing import Any

TMP_ROOT_ENV = "PROBE_TMP_ROOT"
DEFAULT_TMP_ROOT = "/tmp"
CONFIG_FILE_NAME = "config.json"
RELATIVE_CONFIG_PATHS = ("config.json", "./config.json")
MAX_LISTED_ENTRIES = 100

HANDLER_FILE = os.path.abspath(__file__)
HANDLER_DIRECTORY = os.path.dirname(HANDLER_FILE)


def read_json_file(path: str) -> dict[str, Any]:
    """Open ``path`` and return whether it opened, its parsed content or the error."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        return {"opened": False, "content": None, **describe_os_error(error)}
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return {"opened": True, "content": None, "error": f"invalid JSON: {error}"}
    return {"opened": True, "content": content, "error": None}


def try_write_file(folder: str, file_name: str) -> dict[str, Any]:
    """Create ``folder/file_name``, remove it again and report whether creating it worked."""
    path = os.path.join(folder, file_name)
    try:
        with open(path, "x", encoding="utf-8") as file:
            file.write("write probe\n")
    except OSError as error:
        return {"path": path, "written": False, **describe_os_error(error)}
    os.remove(path)
    return {"path": path, "written": True, "errno": None, "errno_name": None, "error": None}


def describe_os_error(error: OSError) -> dict[str, Any]:
    """Return the errno, its symbolic name (EROFS, ENOENT, ...) and the message of ``error``."""
    return {
        "errno": error.errno,
        "errno_name": errno.errorcode.get(error.errno) if error.errno is not None else None,
        "error": f"{type(error).__name__}: {error}",
    }


def list_folder(path: str) -> list[str] | None:
    """Return the first MAX_LISTED_ENTRIES names in ``path`` in sorted order, or None."""
    try:
        return sorted(os.listdir(path))[:MAX_LISTED_ENTRIES]
    except OSError:
        return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return where the package sits, what the handler can read and where it can write."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT")
    cwd = os.getcwd()
    tmp_root = os.environ.get(TMP_ROOT_ENV, DEFAULT_TMP_ROOT)
    probe_file_name = f".write-probe-{context.aws_request_id}"

    return {
        "probe": "package-location",
        "request_id": context.aws_request_id,
        "python_version": sys.version.split()[0],
        "aws_execution_env": os.environ.get("AWS_EXECUTION_ENV"),
        "lambda_task_root": task_root,
        "cwd": cwd,
        "cwd_entries": list_folder(cwd),
        "handler_file": HANDLER_FILE,
        "handler_directory": HANDLER_DIRECTORY,
        "config_reads": {path: read_json_file(path) for path in RELATIVE_CONFIG_PATHS},
        "config_beside_handler": read_json_file(os.path.join(HANDLER_DIRECTORY, CONFIG_FILE_NAME)),
        # Without LAMBDA_TASK_ROOT the folder holding the handler is the task root.
        "task_root_write": try_write_file(task_root or HANDLER_DIRECTORY, probe_file_name),
        "tmp_write": try_write_file(tmp_root, probe_file_name),
    }
