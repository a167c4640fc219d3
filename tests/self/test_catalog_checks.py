"""Collection checks: every compliance test names one known claim, every claim has a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.claims import CatalogError, load_catalog
from tests.self.support import REPO_ROOT


def test_demo_project_passes(demo_project):
    result = demo_project.run()

    assert result.returncode == 0, result.output
    assert result.verdicts() == {"demo.default-timeout": "honoured", "demo.max-messages": "honoured"}


def test_unknown_claim_id_rejected(demo_project):
    demo_project.write("tests/test_extra.py", """
        import pytest

        @pytest.mark.claim("demo.no-such-claim")
        def test_extra():
            pass
    """)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "unknown claim id 'demo.no-such-claim'" in result.output
    assert "Traceback" not in result.output


def test_test_without_claim_rejected(demo_project):
    demo_project.write("tests/test_extra.py", """
        def test_unlabelled():
            pass
    """)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "test_unlabelled: needs exactly one @pytest.mark.claim" in result.output


def test_claim_without_test_rejected(demo_project):
    demo_project.write("tests/test_demo.py", """
        import pytest

        @pytest.mark.claim("demo.default-timeout")
        def test_only_one():
            pass
    """)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "claim 'demo.max-messages'" in result.output
    assert "has no test" in result.output


def test_missing_source_rejected(demo_project):
    claims = (demo_project.root / "scenarios/demo/claims.toml").read_text()
    broken = claims.replace(
        'docs = ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html"]\n',
        "",
    )
    demo_project.write("scenarios/demo/claims.toml", broken)

    result = demo_project.run()

    assert result.returncode == 4, result.output
    assert "claim 'demo.max-messages': missing required field 'docs'" in result.output
    assert "Traceback" not in result.output


def test_source_must_be_https(tmp_path: Path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "claims.toml").write_text("""
[pattern]
id = "demo"
title = "t"
post = "p"
services = ["SQS"]

[[claim]]
id = "demo.one"
statement = "s"
status = "holds"
docs = ["docs.aws.amazon.com/page"]
""")

    with pytest.raises(CatalogError, match="is not an https URL"):
        load_catalog(tmp_path)


def test_repository_catalog_is_valid():
    catalog = load_catalog(REPO_ROOT / "scenarios")

    assert "sqs-visibility" in catalog.patterns
    for claim in catalog.claims.values():
        assert claim.docs, claim.id
        assert all(url.startswith("https://docs.aws.amazon.com/") for url in claim.docs), claim.id
