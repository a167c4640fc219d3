"""Checks of the container reuse claims against the evidence the reuse probe returns.

The probe (scenarios/lambda_environment/handlers/container_reuse) reports its module state
and its /tmp listing on every invocation and never judges them. These functions judge, so
the compliance tests and the harness's own tests apply the same rules to evidence from a
backend and to evidence made wrong on purpose.

An execution environment is identified by the log stream name in the context object, which
the Python runtime documents as the log stream of the function instance
(https://docs.aws.amazon.com/lambda/latest/dg/python-context.html). That is the platform's
view; the init id that the probe creates at import time is the function's view. A claim is
contradicted when the two disagree, for example when one log stream reports two init ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Evidence = dict[str, Any]

ENVIRONMENT_KEY = "log_stream_name"
# Consecutive invocations that must reach one environment before a warm claim counts as
# observed; three give the counter sequence 1, 2, 3.
WARM_RUN_LENGTH = 3


def environment_of(invocation: Evidence) -> str:
    return invocation[ENVIRONMENT_KEY]


def group_by_environment(invocations: Sequence[Evidence]) -> dict[str, list[Evidence]]:
    """Group invocations by environment, keeping invocation order within each group."""
    groups: dict[str, list[Evidence]] = {}
    for invocation in invocations:
        groups.setdefault(environment_of(invocation), []).append(invocation)
    return groups


def longest_warm_run(invocations: Sequence[Evidence]) -> list[Evidence]:
    """Return the longest stretch of consecutive invocations that reached one environment."""
    longest: list[Evidence] = []
    current: list[Evidence] = []
    for invocation in invocations:
        if current and environment_of(current[-1]) != environment_of(invocation):
            current = []
        current.append(invocation)
        if len(current) > len(longest):
            longest = list(current)
    return longest


def check_reuse_observed(invocations: Sequence[Evidence], length: int = WARM_RUN_LENGTH) -> None:
    """Check that at least ``length`` consecutive invocations reached the same environment."""
    run = longest_warm_run(invocations)
    streams = [environment_of(invocation) for invocation in invocations]
    assert len(run) >= length, (
        f"no {length} consecutive invocations reached the same execution environment "
        f"(log streams in invocation order: {streams}), so the backend never showed reuse "
        f"and the warm claim could not be checked"
    )


def check_globals_persist(invocations: Sequence[Evidence]) -> None:
    """Check that each environment initialised its module once and counted 1, 2, 3, ..."""
    for environment, group in group_by_environment(invocations).items():
        init_ids = sorted({invocation["init_id"] for invocation in group})
        assert len(init_ids) == 1, (
            f"environment {environment!r} reported init ids {init_ids}, "
            f"so its module-level code ran more than once"
        )
        counters = [invocation["invocation_count"] for invocation in group]
        expected = list(range(1, len(group) + 1))
        assert counters == expected, (
            f"environment {environment!r} reported global counters {counters}, expected {expected}"
        )
    check_reuse_observed(invocations)


def check_tmp_persists(invocations: Sequence[Evidence]) -> None:
    """Check that every file written to /tmp is still listed by later invocations of its environment."""
    for environment, group in group_by_environment(invocations).items():
        written_before: list[str] = []
        for position, invocation in enumerate(group, start=1):
            listed = invocation["tmp_files"]
            missing = [name for name in written_before if name not in listed]
            assert not missing, (
                f"invocation {position} in environment {environment!r} no longer finds {missing} in "
                f"{invocation['tmp_folder']!r}, although earlier invocations there wrote them; it lists {listed}"
            )
            written = invocation["tmp_file_written"]
            assert written in listed, f"invocation {position} in environment {environment!r} wrote {written!r} but lists {listed}"
            written_before.append(written)
    check_reuse_observed(invocations)


def check_global_collection_grows(invocations: Sequence[Evidence]) -> None:
    """Check that the module-level list grows by one per invocation and the handler's list does not."""
    for environment, group in group_by_environment(invocations).items():
        module_lengths = [invocation["module_list_length"] for invocation in group]
        expected = list(range(1, len(group) + 1))
        assert module_lengths == expected, (
            f"environment {environment!r} reported module-level list lengths {module_lengths}, expected {expected}"
        )
        local_lengths = [invocation["local_list_length"] for invocation in group]
        assert local_lengths == [1] * len(group), (
            f"environment {environment!r} reported handler-local list lengths {local_lengths}, "
            f"expected 1 on every invocation"
        )
    check_reuse_observed(invocations)


def check_fresh_globals(before: Sequence[Evidence], after: Evidence, new_marker: str) -> None:
    """Check that the first invocation under the new configuration ran in a newly initialised module."""
    marker = after["configuration_marker"]
    assert marker == new_marker, f"the invocation ran with configuration {marker!r}, expected {new_marker!r}"

    earlier_init_ids = sorted({invocation["init_id"] for invocation in before})
    assert after["init_id"] not in earlier_init_ids, (
        f"the new configuration ran in the module initialised as {after['init_id']!r}, "
        f"which already served the old configuration"
    )
    assert after["invocation_count"] == 1, f"the global counter of the new environment starts at {after['invocation_count']}, expected 1"
    assert after["module_list_length"] == 1, (
        f"the module-level list of the new environment holds {after['module_list_length']} entries, expected 1"
    )


def check_own_tmp(before: Sequence[Evidence], after: Evidence) -> None:
    """Check that the new environment's /tmp contains no file written by an earlier environment."""
    earlier_init_ids = {invocation["init_id"] for invocation in before} - {after["init_id"]}
    # The probe names each file "<init id>-<invocation number>", and an init id is a UUID.
    inherited = [name for name in after["tmp_files"] if name.rsplit("-", 1)[0] in earlier_init_ids]
    assert not inherited, (
        f"the new environment finds {inherited} in {after['tmp_folder']!r}, "
        f"files that earlier environments of the function wrote"
    )
