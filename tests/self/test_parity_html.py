"""Tests for fixtures.parity_html: validation of parity files and the merged matrix page."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from fixtures.parity_html import (
    NOT_RUN,
    ParityFileError,
    load_backend_runs,
    parse_backend_run,
    render_parity_html,
    write_parity_html,
)


def claim(pattern="SQS visibility timeout", statement="Hidden from every consumer.", verdict="honoured",
          reason=None, upstream=None):
    return {
        "pattern": pattern,
        "statement": statement,
        "status": "holds",
        "verdict": verdict,
        "reason": reason,
        "upstream": upstream,
    }


MOTO = {
    "backend": "moto",
    "versions": {"moto": "5.2.5"},
    "claims": {
        "sqs-visibility.hidden-from-all-consumers": claim(),
        "sqs-visibility.max-from-receive": claim(
            statement="The 12-hour maximum counts from the receive.",
            verdict="deviates",
            reason="deviates: counted from send",
            upstream="https://github.com/getmoto/moto/issues",
        ),
        "cognito-presignup.rejects-emoji": claim(
            pattern="Cognito PreSignUp trigger",
            statement="A raising trigger rejects the sign-up.",
            verdict="not modelled",
            reason="not modelled: cognito.triggers",
        ),
    },
}

MINISTACK = {
    "backend": "ministack",
    "versions": {"ministack": "1.5.33"},
    "claims": {
        "sqs-visibility.hidden-from-all-consumers": claim(
            verdict="regressed", reason="message <b>visible</b> at once", upstream="javascript:alert(1)"
        ),
        "cognito-presignup.rejects-emoji": claim(
            pattern="Cognito PreSignUp trigger",
            statement="A raising trigger rejects the sign-up.",
            verdict="stale expectation",
            reason="expected a deviation but the claim was honoured",
        ),
    },
}


class TableReader(HTMLParser):
    """Collect the text of each table row and the href of each anchor."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read_table(page: str) -> TableReader:
    reader = TableReader()
    reader.feed(page)
    return reader


def runs():
    return sorted(
        [parse_backend_run(MOTO, "moto.json"), parse_backend_run(MINISTACK, "ministack.json")],
        key=lambda run: run.backend,
    )


def row_for(reader: TableReader, claim_id: str) -> list[str]:
    matches = [row for row in reader.rows if row and claim_id in row[0]]
    assert len(matches) == 1, f"expected one row for {claim_id}, got {matches}"
    return matches[0]


def test_matrix_has_backend_columns():
    reader = read_table(render_parity_html(runs()))

    header = reader.rows[0]

    assert header[0] == "claim"
    assert header[1].startswith("ministack")
    assert "ministack 1.5.33" in header[1]
    assert header[2].startswith("moto")
    assert "moto 5.2.5" in header[2]


def test_matrix_groups_by_pattern():
    reader = read_table(render_parity_html(runs()))

    pattern_rows = [row[0] for row in reader.rows if len(row) == 1]

    assert pattern_rows == ["Cognito PreSignUp trigger", "SQS visibility timeout"]


def test_cell_shows_reason_and_link():
    reader = read_table(render_parity_html(runs()))

    row = row_for(reader, "sqs-visibility.max-from-receive")

    assert row[1] == NOT_RUN
    assert row[2].startswith("deviates")
    assert "deviates: counted from send" in row[2]
    assert "upstream: https://github.com/getmoto/moto/issues" in row[2]
    assert "https://github.com/getmoto/moto/issues" in reader.links


def test_honoured_cell_is_bare():
    page = render_parity_html([parse_backend_run(
        {"backend": "moto", "versions": {}, "claims": {"c.one": claim(reason="ignored", upstream="https://x.test")}}
    )])

    row = row_for(read_table(page), "c.one")

    assert row[1] == "honoured"


def test_markup_is_escaped():
    page = render_parity_html(runs())

    assert "<b>visible</b>" not in page
    assert "&lt;b&gt;visible&lt;/b&gt;" in page


def test_only_web_links_are_anchors():
    reader = read_table(render_parity_html(runs()))

    assert all(link.startswith(("https://", "http://")) for link in reader.links)
    assert "upstream: javascript:alert(1)" in row_for(reader, "sqs-visibility.hidden-from-all-consumers")[1]


def test_totals_per_backend():
    reader = read_table(render_parity_html(runs()))

    totals = {row[0]: row[1:] for row in reader.rows if len(row) == 3}

    assert totals["honoured"] == ["0", "1"]
    assert totals["deviates"] == ["0", "1"]
    assert totals["regressed"] == ["1", "0"]
    assert totals["stale expectation"] == ["1", "0"]
    assert totals["not modelled"] == ["0", "1"]
    assert totals["error"] == ["0", "0"]
    assert totals["claims run"] == ["2", "3"]


def test_page_loads_nothing():
    page = render_parity_html(runs())

    assert "<script" not in page
    assert "src=" not in page
    assert "<link" not in page


def test_empty_matrix_says_so():
    page = render_parity_html([])

    assert "No parity files were found" in page


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "expected a JSON object"),
        ({"versions": {}, "claims": {}}, "'backend' must be a non-empty string"),
        ({"backend": "moto", "claims": []}, "'claims' must be an object"),
        ({"backend": "moto", "versions": [], "claims": {}}, "'versions' must be an object"),
        ({"backend": "moto", "claims": {"c": {"pattern": "p"}}}, "claim 'c' is missing statement"),
        ({"backend": "moto", "claims": {"c": claim(verdict="passed")}}, "verdict 'passed'"),
        ({"backend": "moto", "claims": {"c": claim(reason=3)}}, "'reason' must be a string or null"),
    ],
)
def test_parse_rejects_invalid(document, problem):
    with pytest.raises(ParityFileError) as raised:
        parse_backend_run(document, "moto.json")

    assert "moto.json" in str(raised.value)
    assert problem in str(raised.value)


def test_load_rejects_invalid_json(tmp_path):
    (tmp_path / "moto.json").write_text("{", encoding="utf-8")

    with pytest.raises(ParityFileError, match="not valid JSON"):
        load_backend_runs(tmp_path)


def test_load_rejects_duplicate_backend(tmp_path):
    (tmp_path / "moto.json").write_text(json.dumps(MOTO), encoding="utf-8")
    (tmp_path / "moto-old.json").write_text(json.dumps(MOTO), encoding="utf-8")

    with pytest.raises(ParityFileError, match="two parity files name backend 'moto'"):
        load_backend_runs(tmp_path)


def test_write_merges_files(tmp_path):
    (tmp_path / "moto.json").write_text(json.dumps(MOTO), encoding="utf-8")
    (tmp_path / "ministack.json").write_text(json.dumps(MINISTACK), encoding="utf-8")

    page = write_parity_html(tmp_path)

    assert page == tmp_path / "index.html"
    reader = read_table(page.read_text(encoding="utf-8"))
    assert len(row_for(reader, "cognito-presignup.rejects-emoji")) == 3
