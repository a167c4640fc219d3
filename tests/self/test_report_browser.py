"""Build an Allure report from a small generated run and check it in headless Chromium.

The module runs pytest in a subprocess on a two-claim test file, labelled the way the
suite's plugin labels claims, and builds the report with ``python -m fixtures.report``.
It opens the single-file report over file:// and checks the overview, the Categories tab,
the attached parity matrix and one claim's page. Screenshots go to reports/screenshots/.

Needs Node.js with ``npm ci`` run in the repository root, Debian's chromium at
/usr/bin/chromium, and the playwright Python package (it drives that browser, so no
browser download happens). Every request that leaves file:// is aborted and recorded,
and each test asserts that there were none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "reports" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Upper bound for one page to render or one element to appear, in milliseconds.
RENDER_TIMEOUT_MS = 20_000
SUBPROCESS_TIMEOUT_SECONDS = 300

HONOURED_PATTERN = "SQS visibility timeout"
HONOURED_STATEMENT = "A received message stays hidden from every consumer until its visibility timeout ends."
DEVIATING_PATTERN = "CloudWatch alarm on SNS SMS spend"
DEVIATING_STATEMENT = "A new alarm starts in the INSUFFICIENT_DATA state."
DEVIATING_CLAIM = "sms-spend-alarm.starts-insufficient-data"
DEVIATION_REASON = "deviates: moto starts new alarms in OK"

# A miniature compliance module: one honoured claim and one known deviation, labelled
# as the suite's plugin labels claims. The reason strings follow the verdict conventions:
# an expected deviation is a strict xfail whose reason starts with "deviates: ".
SAMPLE_TESTS = textwrap.dedent(
    f'''
    import allure
    import pytest


    def label_claim(pattern, service, claim_id, statement, doc_url):
        allure.dynamic.epic(pattern)
        allure.dynamic.feature(service)
        allure.dynamic.story(statement)
        allure.dynamic.label("claim", claim_id)
        allure.dynamic.tag("status:holds")
        allure.dynamic.tag("backend:moto")
        allure.dynamic.label("backend", "moto")
        allure.dynamic.link(doc_url, name="AWS documentation")


    def test_hidden_from_all_consumers():
        label_claim(
            {HONOURED_PATTERN!r},
            "SQS",
            "sqs-visibility.hidden-from-all-consumers",
            {HONOURED_STATEMENT!r},
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html",
        )
        assert True


    @pytest.mark.xfail(reason={DEVIATION_REASON!r}, strict=True)
    def test_alarm_starts_insufficient_data():
        label_claim(
            {DEVIATING_PATTERN!r},
            "CloudWatch",
            {DEVIATING_CLAIM!r},
            {DEVIATING_STATEMENT!r},
            "https://docs.aws.amazon.com/autoscaling/application/userguide/cloudwatch-alarm-notifications.html",
        )
        allure.dynamic.issue("https://github.com/getmoto/moto/issues", name="moto issues")
        state = "OK"
        assert state == "INSUFFICIENT_DATA"
    '''
)

SAMPLE_PARITY = {
    "backend": "moto",
    "versions": {"moto": "5.2.5"},
    "claims": {
        "sqs-visibility.hidden-from-all-consumers": {
            "pattern": HONOURED_PATTERN,
            "statement": HONOURED_STATEMENT,
            "status": "holds",
            "verdict": "honoured",
            "reason": None,
            "upstream": None,
        },
        DEVIATING_CLAIM: {
            "pattern": DEVIATING_PATTERN,
            "statement": DEVIATING_STATEMENT,
            "status": "holds",
            "verdict": "deviates",
            "reason": DEVIATION_REASON,
            "upstream": "https://github.com/getmoto/moto/issues",
        },
    },
}


def _missing_prerequisite() -> str | None:
    if shutil.which("node") is None:
        return "node not found: install Node.js and npm (Debian: apt-get install nodejs npm), then run `npm ci`"
    if not (ROOT / "node_modules" / "allure" / "cli.js").is_file():
        return f"Allure generator not installed: run `npm ci` in {ROOT}"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found: install Debian's browser with `apt-get install chromium`"
    return None


_SKIP_REASON = _missing_prerequisite()
pytestmark = pytest.mark.skipif(_SKIP_REASON is not None, reason=_SKIP_REASON or "")

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright Python package is not installed (pip install playwright; no browser download is needed)",
)


def _clean_env() -> dict[str, str]:
    # Options meant for the outer run must not leak into the inner pytest run.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        arguments,
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture(scope="module")
def report_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generate the sample run's results and report, and return the report's index.html."""
    work = tmp_path_factory.mktemp("report-browser")
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (work / "test_sample_claims.py").write_text(SAMPLE_TESTS, encoding="utf-8")
    results = work / "allure-results"

    sample_run = _run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-c", str(work / "pytest.ini"), "--rootdir", str(work),
            f"--alluredir={results}", "test_sample_claims.py",
        ],
        cwd=work,
    )
    assert sample_run.returncode == 0, f"sample run failed:\n{sample_run.stdout}\n{sample_run.stderr}"
    assert "1 passed, 1 xfailed" in sample_run.stdout

    parity_dir = work / "parity"
    parity_dir.mkdir()
    (parity_dir / "moto.json").write_text(json.dumps(SAMPLE_PARITY), encoding="utf-8")
    output = work / "allure-report"

    build = _run(
        [
            sys.executable, "-m", "fixtures.report",
            "--results", str(results),
            "--output", str(output),
            "--parity-dir", str(parity_dir),
            "--history", str(work / "history.jsonl"),
        ],
        cwd=ROOT,
    )
    assert build.returncode == 0, f"report build failed:\n{build.stdout}\n{build.stderr}"
    index_html = output / "index.html"
    assert build.stdout.strip().splitlines()[-1] == str(index_html)
    return index_html


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page that may load file:, data: and blob: URLs, with every other request aborted.

    The aborted URLs are stored in ``page.blocked_requests``.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def handle(route):
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", handle)
    new_page = context.new_page()
    new_page.set_default_timeout(RENDER_TIMEOUT_MS)
    new_page.blocked_requests = blocked
    yield new_page
    context.close()


def _screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _expand_tree(page) -> None:
    # The tree starts collapsed when it has more than one epic: open pattern, service, claim.
    for pattern, service, statement in (
        (HONOURED_PATTERN, "SQS", HONOURED_STATEMENT),
        (DEVIATING_PATTERN, "CloudWatch", DEVIATING_STATEMENT),
    ):
        page.get_by_text(pattern, exact=True).click()
        page.get_by_text(service, exact=True).click()
        page.get_by_text(statement, exact=True).click()


def test_overview_lists_patterns(page, report_index):
    expect = sync_api.expect
    page.goto(report_index.as_uri())

    expect(page.get_by_text("AWS pattern claims").first).to_be_visible()
    expect(page.get_by_text(HONOURED_PATTERN, exact=True)).to_be_visible()
    expect(page.get_by_text(DEVIATING_PATTERN, exact=True)).to_be_visible()
    _expand_tree(page)
    expect(page.get_by_text(HONOURED_STATEMENT, exact=True)).to_be_visible()
    expect(page.get_by_text(DEVIATING_STATEMENT, exact=True)).to_be_visible()
    # environment.properties from fixtures.report, shown as report metadata.
    expect(page.get_by_text("allure-pytest", exact=True)).to_be_visible()

    path = _screenshot(page, "report-overview.png")
    assert path.stat().st_size > 0
    assert page.blocked_requests == []


def test_categories_tab_shows_deviates(page, report_index):
    expect = sync_api.expect
    page.goto(report_index.as_uri() + "#categories")

    category = page.get_by_text("deviates", exact=True)
    expect(category).to_be_visible()
    category.click()
    expect(page.get_by_text("test_alarm_starts_insufficient_data", exact=True)).to_be_visible()
    # Only the verdict categories that occurred are listed: the passing claim has none.
    expect(page.get_by_text("regressed", exact=True)).to_have_count(0)

    _screenshot(page, "report-categories.png")
    assert page.blocked_requests == []


def test_parity_matrix_is_attached(page, report_index):
    expect = sync_api.expect
    page.goto(report_index.as_uri() + "#globalAttachments")

    attachment = page.get_by_text("Parity matrix: claims x backends").first
    expect(attachment).to_be_visible()
    attachment.click()
    # The Awesome report previews an HTML attachment in an iframe.
    matrix = page.frame_locator("iframe").first
    expect(matrix.get_by_text(DEVIATING_CLAIM, exact=False)).to_be_visible()
    expect(matrix.get_by_text(DEVIATION_REASON, exact=True)).to_be_visible()

    _screenshot(page, "report-parity-attachment.png")
    assert page.blocked_requests == []


def test_claim_page_shows_deviation(page, report_index):
    expect = sync_api.expect
    page.goto(report_index.as_uri())

    _expand_tree(page)
    page.get_by_text("test_alarm_starts_insufficient_data", exact=True).click()

    expect(page.get_by_text("Category: deviates")).to_be_visible()
    expect(page.get_by_text(f"XFAIL {DEVIATION_REASON}").first).to_be_visible()
    expect(page.get_by_text(DEVIATING_CLAIM, exact=True)).to_be_visible()
    expect(page.get_by_text("status:holds", exact=True)).to_be_visible()
    expect(page.get_by_text("backend:moto", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="AWS documentation")).to_be_visible()
    expect(page.get_by_role("link", name="moto issues")).to_be_visible()

    _screenshot(page, "report-claim.png")
    assert page.blocked_requests == []
