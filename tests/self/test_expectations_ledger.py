"""Ledger semantics: deviations run as strict xfails; a passing one fails the run as stale."""

from __future__ import annotations

import json


def test_expected_deviation_reported_deviates(demo_project):
    demo_project.write("tests/test_demo.py", demo_project.root.joinpath("tests/test_demo.py").read_text()
                       .replace('== "30"', '== "31"'))
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.default-timeout"]
        verdict = "deviates"
        reason = "the demo backend reports 30"
        upstream = "https://example.org/issue/1"
    """)

    result = demo_project.run()

    assert result.returncode == 0, result.output
    parity = result.parity()["claims"]["demo.default-timeout"]
    assert parity["verdict"] == "deviates"
    assert parity["reason"] == "the demo backend reports 30"
    assert parity["upstream"] == "https://example.org/issue/1"


def test_passing_deviation_is_stale(demo_project):
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.default-timeout"]
        verdict = "deviates"
        reason = "recorded long ago"
    """)

    result = demo_project.run()

    assert result.returncode == 1, result.output
    assert "[XPASS(strict)] deviates: recorded long ago" in result.output
    assert result.verdicts()["demo.default-timeout"] == "stale expectation"
    allure_results = [json.loads(p.read_text()) for p in (result.project / "reports/allure-results").glob("*-result.json")]
    stale = [r for r in allure_results if r["name"] == "test_default_timeout"]
    assert stale[0]["status"] == "failed"
    assert "stale expectation" in stale[0]["statusDetails"]["message"]


def test_unexpected_failure_is_regressed(demo_project):
    demo_project.write("tests/test_demo.py", demo_project.root.joinpath("tests/test_demo.py").read_text()
                       .replace('== "30"', '== "31"'))

    result = demo_project.run()

    assert result.returncode == 1, result.output
    assert result.verdicts()["demo.default-timeout"] == "regressed"
    assert "AWS calls (last 15)" in result.output
    assert "sqs.GetQueueAttributes -> HTTP 200" in result.output


def test_missing_capability_not_modelled(demo_project):
    claims = demo_project.root.joinpath("scenarios/demo/claims.toml").read_text()
    demo_project.write("scenarios/demo/claims.toml", claims.replace(
        'status = "holds"\ndocs = ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"]',
        'status = "holds"\nrequires = ["teleport.instant"]\n'
        'docs = ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"]',
    ))

    result = demo_project.run()

    assert result.returncode == 0, result.output
    parity = result.parity()["claims"]["demo.default-timeout"]
    assert parity["verdict"] == "not modelled"
    assert "lacks capability teleport.instant" in parity["reason"]


def test_malformed_ledger_one_error(demo_project):
    demo_project.write("expectations/moto/demo.toml", '["demo.default-timeout"\nverdict = \n')

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "invalid expectations ledger" in result.output
    assert "demo.toml: invalid TOML" in result.output
    assert "Traceback" not in result.output


def test_ledger_unknown_claim_rejected(demo_project):
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.gone"]
        verdict = "deviates"
        reason = "x"
    """)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "entry 'demo.gone' names an unknown claim id" in result.output


def test_ledger_entry_needs_reason(demo_project):
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.default-timeout"]
        verdict = "deviates"
    """)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "missing 'reason'" in result.output


def test_ignore_expectations_runs_plainly(demo_project):
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.default-timeout"]
        verdict = "deviates"
        reason = "recorded long ago"
    """)

    result = demo_project.run("--ignore-expectations")

    assert result.returncode == 0, result.output
    assert result.verdicts()["demo.default-timeout"] == "honoured"


def test_setup_failure_not_hidden_by_ledger(demo_project):
    demo_project.write("tests/test_demo.py", demo_project.root.joinpath("tests/test_demo.py").read_text()
                       .replace("import pytest\n", "import pytest\n\n\n@pytest.fixture\ndef broken_deployment():\n"
                                "    raise RuntimeError('stack creation failed')\n", 1)
                       .replace("def test_default_timeout(backend, names, cleanup):",
                                "def test_default_timeout(backend, names, cleanup, broken_deployment):"))
    demo_project.write("expectations/moto/demo.toml", """
        ["demo.default-timeout"]
        verdict = "deviates"
        reason = "recorded deviation in the test body"
    """)

    result = demo_project.run()

    assert result.returncode == 1, result.output
    parity = result.parity()["claims"]["demo.default-timeout"]
    assert parity["verdict"] == "error"
    assert "stack creation failed" in parity["reason"]
