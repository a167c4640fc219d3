"""Unique names per run and per pytest-xdist worker."""

from __future__ import annotations

import json

import pytest

from fixtures.naming import Names, run_id_from_env

NAME_DUMP_TEST = '''
import json
import os
from pathlib import Path

import pytest


@pytest.mark.claim("demo.default-timeout")
@pytest.mark.parametrize("index", range(20))
def test_default_timeout(names, index):
    out = Path(os.environ["NAME_DUMP"]) / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{index}.json"
    out.write_text(json.dumps([names.unique("queue") for _ in range(5)]))


@pytest.mark.claim("demo.max-messages")
def test_max_size():
    pass
'''


def test_names_unique_and_prefixed():
    names = Names("abc123", "gw1")
    first, second = names.unique("queue"), names.unique("queue")
    assert first != second
    assert first.startswith("apc-abc123-gw1-queue-")


def test_name_length_checked():
    names = Names("abc123", "gw0")
    with pytest.raises(ValueError, match="exceeds 20 characters"):
        names.unique("a-rather-long-kind", max_length=20)


def test_run_id_rejects_invalid(monkeypatch):
    monkeypatch.setenv("CLAIMS_RUN_ID", "Bad Id!")
    with pytest.raises(ValueError, match="CLAIMS_RUN_ID='Bad Id!' is invalid"):
        run_id_from_env()


def test_unique_across_xdist_workers(demo_project, tmp_path):
    dump = tmp_path / "names"
    dump.mkdir()
    demo_project.write("tests/test_demo.py", NAME_DUMP_TEST)

    # --dist load: without a --dist mode the harness keeps this one module on one worker.
    result = demo_project.run("-n", "2", "--dist", "load", env={"NAME_DUMP": str(dump)})

    assert result.returncode == 0, result.output
    names = [name for path in dump.iterdir() for name in json.loads(path.read_text())]
    assert len(names) == 100
    assert len(set(names)) == len(names)
    workers = {name.split("-")[2] for name in names}
    assert workers == {"gw0", "gw1"}
    run_ids = {name.split("-")[1] for name in names}
    assert len(run_ids) == 1
