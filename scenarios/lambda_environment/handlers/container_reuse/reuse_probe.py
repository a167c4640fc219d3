"""Probe what survives between invocations that reuse one execution environment.

Lambda runs a function's initialisation code (everything at module level) once per
execution environment and may reuse that environment for later invocations. Module-level
objects and files written to /tmp then survive from one invocation to the next, while
variables local to the handler start fresh each time. A new environment starts with new
module state, and its /tmp is not shared with other environments and starts empty.
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
https://aws.amazon.com/blogs/compute/using-larger-ephemeral-storage-for-aws-lambda/

The handler returns what it observed as a JSON-serialisable dict and never judges it, so
the tests decide what counts as the documented behaviour. Each invocation writes one file
named ``<init id>-<invocation number>`` into a folder of its own function under /tmp, so
the file list shows which environments wrote there.

PROBE_TMP_ROOT names the scratch folder to use instead of /tmp (tests point it to a
temporary folder). PROBE_MARKER is echoed back, so a test can tell which function
configuration served an invocation.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

TMP_ROOT_ENV = "PROBE_TMP_ROOT"
DEFAULT_TMP_ROOT = "/tmp"
MARKER_ENV = "PROBE_MARKER"

# Created once per execution environment, when the runtime imports this module.
INIT_ID = str(uuid.uuid4())
INIT_PROCESS_ID = os.getpid()
invocation_count = 0
request_ids_seen: list[str] = []


def scratch_folder(function_name: str) -> str:
    """Return the /tmp subfolder of ``function_name``, with unsafe characters replaced by '_'."""
    tmp_root = os.environ.get(TMP_ROOT_ENV, DEFAULT_TMP_ROOT)
    safe_name = re.sub(r"[^A-Za-z0-9_-]", "_", function_name)
    return os.path.join(tmp_root, f"container-reuse-{safe_name}")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Update module state, local state and /tmp, and return what each now holds."""
    global invocation_count
    invocation_count += 1
    request_ids_seen.append(context.aws_request_id)
    local_request_ids = [context.aws_request_id]

    folder = scratch_folder(context.function_name)
    os.makedirs(folder, exist_ok=True)
    file_name = f"{INIT_ID}-{invocation_count:04d}"
    with open(os.path.join(folder, file_name), "w", encoding="utf-8") as file:
        file.write(context.aws_request_id)

    return {
        "probe": "container-reuse",
        "init_id": INIT_ID,
        "init_process_id": INIT_PROCESS_ID,
        "process_id": os.getpid(),
        "invocation_count": invocation_count,
        "module_list_length": len(request_ids_seen),
        "local_list_length": len(local_request_ids),
        "tmp_folder": folder,
        "tmp_file_written": file_name,
        "tmp_files": sorted(os.listdir(folder)),
        "request_id": context.aws_request_id,
        "log_stream_name": context.log_stream_name,
        "function_name": context.function_name,
        "configuration_marker": os.environ.get(MARKER_ENV),
        "event": event,
    }
