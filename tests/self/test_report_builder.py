"""Tests for fixtures.report: results preparation, verdict categories and error messages.

The category test runs pytest in a subprocess with allure-pytest on one test per verdict.
It classifies each written result the way Allure 3 does, by taking the first category
whose statuses contain the result's status and whose message regex matches anywhere in
the message (``RegExp.test`` in @allurereport/core-api 3.18.0, categories.js).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixtures import report
from fixtures.report import ReportError

pytest.importorskip("allure_pytest", reason="allure-pytest is not installed (it is in the suite's dependency group)")

# One test per verdict, with the reasons the suite's plugin gives them.
VERDICT_SAMPLES = textwrap.dedent(
    '''
    import pytest


    def test_honoured():
        assert True


    @pytest.mark.xfail(reason="deviates: the emulator counts from send", strict=True)
    def test_deviates():
        assert False


    @pytest.mark.xfail(reason="deviates: fixed upstream since", strict=True)
    def test_stale_expectation():
        assert True


    def test_not_modelled():
        pytest.skip("not modelled: lambda.execute")


    def test_regressed():
        assert 1 == 2, "visibility timeout ignored"


    def test_error():
        raise RuntimeError("stack creation failed")
    '''
)

EXPECTED_CATEGORIES = {
    "test_honoured": None,
    "test_deviates": "deviates",
    "test_stale_expectation": "stale expectation",
    "test_not_modelled": "not modelled",
    "test_regressed": "regressed",
    "test_error": "error",
}


def classify(categories: list[dict], status: str, message: str) -> str | None:
    for category in categories:
        if status not in category.get("matchedStatuses", []):
            continue
        pattern = category.get("messageRegex")
        if pattern is None or re.search(pattern, message):
            return category["name"]
    return None


@pytest.fixture(scope="module")
def verdict_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("verdicts")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (work / "test_verdicts.py").write_text(VERDICT_SAMPLES, encoding="utf-8")
    results = work / "allure-results"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    completed = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-c", str(work / "pytest.ini"), "--rootdir", str(work),
            f"--alluredir={results}", "test_verdicts.py",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, f"expected failures from the sample run:\n{completed.stdout}\n{completed.stderr}"
    by_name = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        by_name[result["name"]] = result
    return by_name


@pytest.mark.parametrize("test_name", sorted(EXPECTED_CATEGORIES))
def test_categories_match_verdicts(verdict_results, test_name):
    categories = json.loads(report.CATEGORIES_SOURCE.read_text(encoding="utf-8"))
    result = verdict_results[test_name]
    message = (result.get("statusDetails") or {}).get("message") or ""

    assert classify(categories, result["status"], message) == EXPECTED_CATEGORIES[test_name], (
        f"{test_name}: status {result['status']!r}, message {message!r}"
    )


def test_strict_xpass_has_no_message(verdict_results):
    # allure-pytest 2.16.2 records a strict XPASS as failed without statusDetails, so
    # "[XPASS(strict)]" never reaches the report. That is why the stale-expectation
    # category also matches an empty message.
    result = verdict_results["test_stale_expectation"]

    assert result["status"] == "failed"
    assert not (result.get("statusDetails") or {}).get("message")


def test_categories_file_lists_verdicts():
    categories = json.loads(report.CATEGORIES_SOURCE.read_text(encoding="utf-8"))

    names = [category["name"] for category in categories]

    assert sorted(names) == sorted(["deviates", "regressed", "stale expectation", "not modelled", "error"])


def test_write_categories_when_missing(tmp_path):
    assert report.write_categories(tmp_path) is True
    assert json.loads((tmp_path / "categories.json").read_text(encoding="utf-8"))[0]["name"] == "stale expectation"


def test_write_categories_keeps_existing(tmp_path):
    (tmp_path / "categories.json").write_text("[]", encoding="utf-8")

    assert report.write_categories(tmp_path) is False
    assert (tmp_path / "categories.json").read_text(encoding="utf-8") == "[]"


def test_check_results_empty_folder(tmp_path):
    with pytest.raises(ReportError) as raised:
        report.check_results(tmp_path)

    assert str(tmp_path) in str(raised.value)
    assert "pytest --alluredir=" in str(raised.value)


def test_check_results_missing_folder(tmp_path):
    with pytest.raises(ReportError, match="no Allure test results"):
        report.check_results(tmp_path / "absent")


def test_check_results_counts(tmp_path):
    (tmp_path / "a-result.json").write_text("{}", encoding="utf-8")
    (tmp_path / "b-result.json").write_text("{}", encoding="utf-8")

    assert report.check_results(tmp_path) == 2


def test_find_cli_without_node(monkeypatch, tmp_path):
    monkeypatch.setattr(report.shutil, "which", lambda name: None)

    with pytest.raises(ReportError) as raised:
        report.find_allure_cli(tmp_path)

    assert "apt-get install nodejs npm" in str(raised.value)
    assert "npm ci" in str(raised.value)


def test_find_cli_old_node(monkeypatch, tmp_path):
    monkeypatch.setattr(report.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(report, "node_major_version", lambda node: 18)

    with pytest.raises(ReportError) as raised:
        report.find_allure_cli(tmp_path)

    assert "Node.js 18" in str(raised.value)
    assert "20 or newer" in str(raised.value)


def test_node_major_version_real():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found on PATH (apt-get install nodejs npm)")

    assert report.node_major_version(node) >= 1


def test_find_cli_without_npm_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(report.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(report, "node_major_version", lambda node: 20)

    with pytest.raises(ReportError) as raised:
        report.find_allure_cli(tmp_path)

    assert "npm ci" in str(raised.value)
    assert str(tmp_path / "node_modules" / "allure" / "cli.js") in str(raised.value)


def test_find_cli_with_install(monkeypatch, tmp_path):
    cli = tmp_path / "node_modules" / "allure" / "cli.js"
    cli.parent.mkdir(parents=True)
    cli.write_text("", encoding="utf-8")
    monkeypatch.setattr(report.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(report, "node_major_version", lambda node: 20)

    assert report.find_allure_cli(tmp_path) == ["/usr/bin/node", str(cli)]


def test_write_environment_escapes(tmp_path):
    written = report.write_environment(tmp_path, {"backend.moto version": "5.2.5", "path": "C:\\x\nnext"})

    assert written is True
    text = (tmp_path / "environment.properties").read_text(encoding="utf-8")
    assert "backend.moto\\ version=5.2.5\n" in text
    assert "path=C:\\\\x\\nnext\n" in text


def test_write_environment_keeps_existing(tmp_path):
    (tmp_path / "environment.xml").write_text("<environment/>", encoding="utf-8")

    assert report.write_environment(tmp_path, {"python": "3.11"}) is False
    assert not (tmp_path / "environment.properties").exists()


def test_collect_environment_backends(tmp_path):
    parity = tmp_path / "parity"
    parity.mkdir()
    (parity / "moto.json").write_text(
        json.dumps({"backend": "moto", "versions": {"moto": "5.2.5"}, "claims": {}}), encoding="utf-8"
    )

    environment = report.collect_environment(parity)

    assert environment["backends"] == "moto"
    assert environment["backend.moto.moto"] == "5.2.5"
    assert environment["parity-matrix"] == str(parity / "index.html")
    assert environment["python"]


def test_attach_parity_writes_globals(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    parity = tmp_path / "parity"
    parity.mkdir()
    (parity / "moto.json").write_text(
        json.dumps({"backend": "moto", "versions": {}, "claims": {}}), encoding="utf-8"
    )

    page = report.attach_parity(results, parity)

    assert page == parity / "index.html"
    assert page.is_file()
    globals_document = json.loads((results / report.PARITY_GLOBALS).read_text(encoding="utf-8"))
    assert globals_document["attachments"][0]["source"] == report.PARITY_ATTACHMENT
    assert globals_document["attachments"][0]["type"] == "text/html"
    assert (results / report.PARITY_ATTACHMENT).read_text(encoding="utf-8") == page.read_text(encoding="utf-8")


def test_attach_parity_without_data(tmp_path):
    assert report.attach_parity(tmp_path, tmp_path / "absent") is None
    assert not (tmp_path / report.PARITY_GLOBALS).exists()


GENERATED_HEAD = """<body>
    <script>window.allure = {};</script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-TEST"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
    </script>
    <script async>window.allureReportDataReady = false;</script>
</body>"""


def test_strip_analytics_removes_block(tmp_path):
    index_html = tmp_path / "index.html"
    index_html.write_text(GENERATED_HEAD, encoding="utf-8")

    assert report.strip_analytics(index_html) == 1
    text = index_html.read_text(encoding="utf-8")
    assert "googletagmanager" not in text
    assert "gtag(" not in text
    assert "window.allure = {};" in text
    assert "allureReportDataReady" in text


def test_strip_analytics_unknown_form(tmp_path):
    index_html = tmp_path / "index.html"
    index_html.write_text('<script src="https://www.googletagmanager.com/gtm.js"></script>', encoding="utf-8")

    with pytest.raises(ReportError, match="_ANALYTICS_BLOCK"):
        report.strip_analytics(index_html)


def test_main_reports_empty_results(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(report, "find_allure_cli", lambda root=report.ROOT: ["node", "cli.js"])

    exit_code = report.main(["--results", str(tmp_path), "--parity-dir", str(tmp_path / "parity")])

    assert exit_code == 2
    assert "no Allure test results" in capsys.readouterr().err
