"""Drive the container reuse probe: a warm series of invocations and a configuration change."""

from __future__ import annotations

import posixpath
import shutil
from dataclasses import dataclass, field

from fixtures.backends import Backend
from fixtures.clock import RealClock, eventually
from fixtures.resources import Cleanup
from scenarios.lambda_container_reuse.checks import WARM_RUN_LENGTH, Evidence, longest_warm_run
from scenarios.lambda_environment.deploy import ProbeDeployment

# Bound on consecutive invocations made while looking for a warm run. ministack 1.5.33
# reuses its worker from the second invocation on. AWS usually does too, but never promises it.
MAX_WARM_INVOCATIONS = 6
MARKER_ENV = "PROBE_MARKER"
OLD_MARKER = "configuration-1"
NEW_MARKER = "configuration-2"
# Bound on invoking after UpdateFunctionConfiguration until the new configuration serves.
NEW_CONFIGURATION_TIMEOUT = 30.0

# Backends whose handlers run as processes on this machine, so /tmp in a handler is this
# machine's /tmp (measured on ministack 1.5.33 with LAMBDA_EXECUTOR=local).
HOST_PROCESS_BACKENDS = frozenset({"ministack"})
HOST_TMP_ROOT = "/tmp"


@dataclass
class ConfigurationChange:
    """Invocations before a configuration change and the first one served by the new configuration."""

    before: list[Evidence] = field(default_factory=list)
    after: Evidence | None = None


def scratch_folder(function_name: str) -> str:
    """Return the /tmp folder the reuse probe writes to for ``function_name``."""
    return posixpath.join(HOST_TMP_ROOT, f"container-reuse-{function_name}")


def remove_host_scratch(backend: Backend, cleanup: Cleanup, function_name: str) -> None:
    """Register removal of the probe's /tmp folder when the backend's handlers write to this machine."""
    if backend.name not in HOST_PROCESS_BACKENDS:
        return
    folder = scratch_folder(function_name)
    cleanup.add(f"remove {folder}", shutil.rmtree, folder, ignore_errors=True)


def invoke_warm_series(deployment: ProbeDeployment) -> list[Evidence]:
    """Invoke one after another until WARM_RUN_LENGTH consecutive invocations share an environment.

    Stops after MAX_WARM_INVOCATIONS, because Lambda never promises reuse; the checks then
    report that reuse was not observed.
    """
    invocations: list[Evidence] = []
    while len(invocations) < MAX_WARM_INVOCATIONS:
        invocations.append(deployment.invoke({"step": len(invocations) + 1}))
        if len(longest_warm_run(invocations)) >= WARM_RUN_LENGTH:
            break
    return invocations


def change_configuration(deployment: ProbeDeployment, warm_invocations: int = 2) -> ConfigurationChange:
    """Invoke under the old configuration, change an environment variable and invoke again.

    Returns every invocation made before the first one that reports the new configuration.
    """
    change = ConfigurationChange()
    for step in range(1, warm_invocations + 1):
        change.before.append(deployment.invoke({"step": step}))

    deployment.set_environment({MARKER_ENV: NEW_MARKER})

    def invoke_once() -> Evidence:
        invocation = deployment.invoke({"step": "after-update"})
        if invocation["configuration_marker"] != NEW_MARKER:
            change.before.append(invocation)
        return invocation

    change.after = eventually(
        RealClock(), invoke_once, until=lambda invocation: invocation["configuration_marker"] == NEW_MARKER,
        timeout=NEW_CONFIGURATION_TIMEOUT, interval=1.0,
        what=f"an invocation of {deployment.function_name} served with {MARKER_ENV}={NEW_MARKER}",
    )
    return change
