"""The flake check reads outcomes from JUnit XML, xfail included."""

from __future__ import annotations

from fixtures.flake_check import outcomes_from_junit

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="tests.test_a" name="test_pass"/>
  <testcase classname="tests.test_a" name="test_fail"><failure message="boom"/></testcase>
  <testcase classname="tests.test_a" name="test_error"><error message="setup"/></testcase>
  <testcase classname="tests.test_a" name="test_skip"><skipped type="pytest.skip" message="not modelled"/></testcase>
  <testcase classname="tests.test_a" name="test_xfail"><skipped type="pytest.xfail" message="deviates"/></testcase>
</testsuite></testsuites>
"""


def test_outcomes_from_junit(tmp_path):
    path = tmp_path / "run.xml"
    path.write_text(JUNIT)

    outcomes = outcomes_from_junit(path)

    assert outcomes == {
        "tests.test_a::test_pass": "passed",
        "tests.test_a::test_fail": "failed",
        "tests.test_a::test_error": "error",
        "tests.test_a::test_skip": "skipped",
        "tests.test_a::test_xfail": "xfailed",
    }
