"""The container reuse checks pass on Lambda-shaped evidence and fail on wrong evidence.

Evidence comes from the real reuse probe, run in-process. One loaded module with one log
stream stands for one execution environment (``LambdaContext.next_invocation`` keeps the
stream), and loading the module again stands for a new environment. Some faults replay what
a backend does wrongly (a new container per invocation, a shared /tmp); others change one
recorded value. Each must make exactly the checks of the claims it contradicts fail.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fixtures.lambda_context import LambdaContext, load_handler_module
from scenarios.lambda_container_reuse.checks import (
    check_fresh_globals,
    check_global_collection_grows,
    check_globals_persist,
    check_own_tmp,
    check_reuse_observed,
    check_tmp_persists,
    longest_warm_run,
)
from scenarios.lambda_container_reuse.scenario import MARKER_ENV, NEW_MARKER, OLD_MARKER
from scenarios.lambda_environment.functions import CONTAINER_REUSE

Evidence = dict[str, Any]
FUNCTION_NAME = "reuse-probe"

WARM_CHECKS: dict[str, Callable[[list[Evidence]], None]] = {
    "globals persist": check_globals_persist,
    "tmp persists": check_tmp_persists,
    "collection grows": check_global_collection_grows,
}


class ProbeEnvironments:
    """Load the reuse probe as often as a test needs execution environments."""

    def __init__(self, handler_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handler_file = handler_file
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        self.use_scratch("shared")

    def use_scratch(self, name: str) -> None:
        """Point the probe's /tmp to the folder ``name``, so environments given one name share /tmp."""
        folder = self.tmp_path / "scratch" / name
        folder.mkdir(parents=True, exist_ok=True)
        self.monkeypatch.setenv("PROBE_TMP_ROOT", str(folder))

    def new_environment(self) -> tuple[ModuleType, LambdaContext]:
        return load_handler_module(self.handler_file), LambdaContext(function_name=FUNCTION_NAME)

    def warm_series(self, count: int) -> list[Evidence]:
        """Invoke one environment ``count`` times, as Lambda does when it reuses it."""
        module, context = self.new_environment()
        invocations = []
        for _ in range(count):
            invocations.append(module.handler({}, context))
            context = context.next_invocation()
        return invocations


@pytest.fixture
def environments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProbeEnvironments:
    task_root = tmp_path / "task"
    task_root.mkdir()
    with zipfile.ZipFile(BytesIO(CONTAINER_REUSE.build_zip())) as package:
        package.extractall(task_root)
    monkeypatch.setenv(MARKER_ENV, OLD_MARKER)
    return ProbeEnvironments(task_root / "reuse_probe.py", tmp_path, monkeypatch)


def assert_only_broken(invocations: list[Evidence], broken: set[str]) -> None:
    for name, check in sorted(WARM_CHECKS.items()):
        if name in broken:
            with pytest.raises(AssertionError):
                check(invocations)
        else:
            check(invocations)


# Warm claims


def test_warm_series_passes(environments: ProbeEnvironments):
    invocations = environments.warm_series(3)

    assert_only_broken(invocations, broken=set())


def test_environment_switch_passes(environments: ProbeEnvironments):
    # Lambda may move to a new environment at any time, so only a contradiction fails a claim.
    first = environments.warm_series(2)
    second = environments.warm_series(3)

    assert_only_broken(first + second, broken=set())


def test_container_per_invoke_fails(environments: ProbeEnvironments):
    # moto with Docker starts a new container for every Invoke.
    invocations = []
    for _ in range(6):
        module, context = environments.new_environment()
        invocations.append(module.handler({}, context))

    assert len(longest_warm_run(invocations)) == 1
    assert_only_broken(invocations, broken=set(WARM_CHECKS))


def test_reuse_message_lists_streams(environments: ProbeEnvironments):
    invocations = [environments.warm_series(1)[0] for _ in range(2)]

    with pytest.raises(AssertionError) as excinfo:
        check_reuse_observed(invocations)

    for invocation in invocations:
        assert invocation["log_stream_name"] in str(excinfo.value)


def test_module_reset_in_environment_fails(environments: ProbeEnvironments):
    invocations = environments.warm_series(2)
    module, context = environments.new_environment()
    context.log_stream_name = invocations[0]["log_stream_name"]
    invocations.append(module.handler({}, context))

    # /tmp kept its files, so only the module-state claims are contradicted.
    assert_only_broken(invocations, broken={"globals persist", "collection grows"})


def test_tmp_wiped_between_invocations_fails(environments: ProbeEnvironments):
    invocations = copy.deepcopy(environments.warm_series(3))
    first_file = invocations[0]["tmp_file_written"]
    invocations[2]["tmp_files"].remove(first_file)

    assert_only_broken(invocations, broken={"tmp persists"})


def test_file_not_written_fails(environments: ProbeEnvironments):
    invocations = copy.deepcopy(environments.warm_series(3))
    invocations[1]["tmp_files"] = list(invocations[0]["tmp_files"])

    assert_only_broken(invocations, broken={"tmp persists"})


def test_handler_list_grows_fails(environments: ProbeEnvironments):
    invocations = copy.deepcopy(environments.warm_series(3))
    invocations[2]["local_list_length"] = 3

    assert_only_broken(invocations, broken={"collection grows"})


def test_counter_skips_fails(environments: ProbeEnvironments):
    invocations = copy.deepcopy(environments.warm_series(3))
    invocations[2]["invocation_count"] = 4

    assert_only_broken(invocations, broken={"globals persist"})


# New environment after a configuration change


def new_configuration(environments: ProbeEnvironments, separate_tmp: bool) -> tuple[list[Evidence], Evidence]:
    before = environments.warm_series(2)
    environments.monkeypatch.setenv(MARKER_ENV, NEW_MARKER)
    if separate_tmp:
        environments.use_scratch("new-environment")
    module, context = environments.new_environment()
    return before, module.handler({}, context)


def test_new_environment_passes(environments: ProbeEnvironments):
    before, after = new_configuration(environments, separate_tmp=True)

    check_fresh_globals(before, after, NEW_MARKER)
    check_own_tmp(before, after)


def test_shared_tmp_fails(environments: ProbeEnvironments):
    # ministack's handler processes all use the host's /tmp.
    before, after = new_configuration(environments, separate_tmp=False)

    check_fresh_globals(before, after, NEW_MARKER)
    with pytest.raises(AssertionError) as excinfo:
        check_own_tmp(before, after)
    assert before[0]["tmp_file_written"] in str(excinfo.value)


def test_environment_kept_fails(environments: ProbeEnvironments):
    module, context = environments.new_environment()
    before = [module.handler({}, context)]
    environments.monkeypatch.setenv(MARKER_ENV, NEW_MARKER)
    after = module.handler({}, context.next_invocation())

    with pytest.raises(AssertionError):
        check_fresh_globals(before, after, NEW_MARKER)


def test_old_configuration_fails(environments: ProbeEnvironments):
    before, after = new_configuration(environments, separate_tmp=True)
    stale = dict(after, configuration_marker=OLD_MARKER)

    with pytest.raises(AssertionError):
        check_fresh_globals(before, stale, NEW_MARKER)


def test_counter_continues_fails(environments: ProbeEnvironments):
    before, after = new_configuration(environments, separate_tmp=True)
    continued = dict(after, invocation_count=3, module_list_length=3)

    with pytest.raises(AssertionError):
        check_fresh_globals(before, continued, NEW_MARKER)
