"""Every claim that runs on in-process moto has a fault that makes its test fail."""

from __future__ import annotations

import pytest

from fixtures import fault_check


@pytest.fixture(scope="module")
def fault_results():
    return fault_check.check(jobs=2)


def test_every_fault_changes_exactly_its_claims(fault_results):
    _, outcomes, _ = fault_results

    assert outcomes, "no faults are registered"
    problems = {o.fault.id: o.problems for o in outcomes if not o.ok}
    assert problems == {}


def test_every_moto_claim_demonstrated(fault_results):
    _, _, shown = fault_results

    missing = sorted(claim_id for claim_id, how in shown.items() if not how)
    assert missing == []


def test_judge_flags_undeclared_change():
    from fixtures.faults import Fault

    fault = Fault("demo.fault", ("a.one",), "demo", lambda backend: None, __name__)
    baseline = {"a.one": "honoured", "a.two": "honoured"}

    outcome = fault_check.judge(fault, baseline, {"a.one": "regressed", "a.two": "regressed"})

    assert not outcome.ok
    assert outcome.problems == ["a.two: changed from honoured to regressed but is not declared"]


def test_judge_flags_fault_without_effect():
    from fixtures.faults import Fault

    fault = Fault("demo.fault", ("a.one",), "demo", lambda backend: None, __name__)

    outcome = fault_check.judge(fault, {"a.one": "honoured"}, {"a.one": "honoured"})

    assert outcome.problems == ["a.one: expected to fail under the fault, got honoured"]


def test_fault_on_top_of_repair_enters_both():
    from contextlib import contextmanager

    from fixtures.faults import REGISTRY, fault

    entered: list[str] = []

    @contextmanager
    def record(name):
        entered.append(f"enter {name}")
        yield
        entered.append(f"exit {name}")

    fault("demo.repair", ["a.one"], expect="pass")(lambda backend: record("repair"))
    fault("demo.on-top", ["a.one"], base="demo.repair")(lambda backend: record("fault"))
    try:
        with REGISTRY["demo.on-top"].factory(None):
            pass
    finally:
        REGISTRY.pop("demo.repair")
        REGISTRY.pop("demo.on-top")

    assert entered == ["enter repair", "enter fault", "exit fault", "exit repair"]
