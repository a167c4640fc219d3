"""The benchmark's arithmetic (overhead, speed-up, targets, phases) and one real run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import benchmark
from tests.self.support import REPO_ROOT


def _process(worker: str, api: float, wait: float, tests: list[tuple[float, float]], **fields: float) -> dict:
    """Return a timing file as the plugin writes it. ``tests`` lists (seconds, api_seconds) per test."""
    return {
        "backend": "moto", "worker": worker, "run_id": "r1",
        "configured_at": fields.get("configured_at", 100.0),
        "finished_at": fields.get("finished_at", 104.0),
        "process_seconds": fields.get("process_seconds", 4.0),
        "setup_seconds": fields.get("setup_seconds", 0.5),
        "api_seconds_total": api,
        "client_seconds_total": fields.get("client_seconds_total", 0.2),
        "clients_created": 3,
        "gc_seconds": fields.get("gc_seconds", 0.1),
        "gc_full_collections": 1,
        "tests": [
            {"nodeid": f"tests/test_a.py::t{i}", "module": "test_a.py", "seconds": seconds, "api_seconds": api_part,
             "api_calls": 2, "client_seconds": 0.0, "create_calls": {"sqs.CreateQueue": 1},
             "real_wait_seconds": wait / len(tests), "virtual_wait_seconds": 0.0}
            for i, (seconds, api_part) in enumerate(tests)
        ],
        "module_setups": [{"module": "test_a.py", "fixture": "deployment", "seconds": 0.1, "api_seconds": 0.1}],
    }


def _write_run(tmp_path: Path, name: str, processes: list[dict]) -> Path:
    reports = tmp_path / name
    (reports / "timings").mkdir(parents=True)
    for process in processes:
        (reports / "timings" / f"moto-{process['worker']}.json").write_text(json.dumps(process))
    return reports


def _run(mode: str, index: int, wall: float, summary: dict) -> dict:
    return {"backend": "moto", "mode": mode, "run": index, "wall_seconds": wall, "load_before": [0.1, 0, 0],
            "exit_code": 0, "command": "python -m pytest", **summary}


def test_critical_path_uses_busiest_worker(tmp_path):
    reports = _write_run(tmp_path, "n2", [
        _process("gw0", api=1.0, wait=0.0, tests=[(1.5, 1.0)]),
        _process("gw1", api=2.0, wait=0.5, tests=[(3.0, 2.0)]),
    ])

    summary = benchmark.summarise_reports(reports, "moto")

    assert summary["api_seconds"] == pytest.approx(3.0)
    assert summary["critical_path_seconds"] == pytest.approx(2.5)
    assert summary["tests"] == 2
    assert [p["test_api_seconds"] for p in summary["processes"]] == [1.0, 2.0]


def test_overhead_phases_split_process():
    process = _process("gw", api=2.0, wait=0.0, tests=[(1.0, 0.8), (2.0, 1.2)], configured_at=100.3,
                       finished_at=104.3, process_seconds=4.0, setup_seconds=0.6, client_seconds_total=0.25)
    # 0.3 s of the process's API time fell outside tests (a capability probe, the leak check).
    process.update(test_seconds=3.0, test_api_seconds=2.0, api_seconds=2.3, real_wait_seconds=0.0)

    phases = benchmark.overhead_phases({"processes": [process]}, launched_at=100.0, ended_at=104.8)

    assert phases["before_plugin"] == pytest.approx(0.3)
    assert phases["setup"] == pytest.approx(0.6)
    assert phases["tests_outside_calls"] == pytest.approx(1.0)
    assert phases["client_creation"] == pytest.approx(0.25)
    assert phases["between_tests"] == pytest.approx(0.4)
    assert phases["after_tests"] == pytest.approx(0.5)


def test_overhead_phases_absent_for_old_files():
    process = {"worker": "gw", "api_seconds": 1.0, "real_wait_seconds": 0.0, "configured_at": None}

    assert benchmark.overhead_phases({"processes": [process]}, launched_at=0.0, ended_at=1.0) is None


def _targets_for(serial_wall: float, n2_wall: float, api: float, setups: int = 1) -> dict[str, dict]:
    summary = {"api_seconds": api, "real_wait_seconds": 0.0, "virtual_wait_seconds": 30.0,
               "critical_path_seconds": api, "processes": [{"process_seconds": serial_wall - 0.5}],
               "modules": {"test_a.py": {"tests": 2, "seconds": 1.0, "api_seconds": api, "real_wait_seconds": 0.0,
                                         "virtual_wait_seconds": 30.0, "api_calls": 4, "tests_with_create_calls": 2,
                                         "module_fixture_setups": {"deployment": setups}}}}
    runs = [_run("serial", 1, serial_wall, summary), _run("n2", 1, n2_wall, summary)]
    return {row["target"]: row for row in benchmark.evaluate_targets(benchmark.summarise(runs))}


def test_overhead_target_limit():
    assert _targets_for(serial_wall=4.0, n2_wall=2.0, api=3.0)["moto: harness overhead / wall (1 process)"]["met"]
    assert not _targets_for(serial_wall=4.0, n2_wall=2.0, api=2.9)["moto: harness overhead / wall (1 process)"]["met"]


def test_speedup_target_limit():
    assert _targets_for(serial_wall=3.0, n2_wall=2.0, api=2.5)["moto: -n 2 speed-up"]["met"]
    assert not _targets_for(serial_wall=3.0, n2_wall=2.1, api=2.5)["moto: -n 2 speed-up"]["met"]


def test_repeated_deployment_fails_target():
    once = _targets_for(serial_wall=3.0, n2_wall=2.0, api=2.5)["moto: module deployment once per scenario"]
    twice = _targets_for(serial_wall=3.0, n2_wall=2.0, api=2.5, setups=2)["moto: module deployment once per scenario"]

    assert once["met"]
    assert not twice["met"]
    assert "test_a.py: 2 (1 process), 2 (-n 2)" in twice["measured"]


def test_markdown_block_replaced_in_place(tmp_path):
    page = tmp_path / "bench.md"
    page.write_text(f"# Intro\n\n{benchmark.BLOCK_BEGIN}\nold numbers\n{benchmark.BLOCK_END}\n\nAfter.\n")

    benchmark.write_markdown(page, "new numbers\n")

    text = page.read_text()
    assert "old numbers" not in text
    assert "new numbers" in text
    assert text.startswith("# Intro\n")
    assert text.endswith("After.\n")


@pytest.mark.slow
def test_benchmark_command_writes_table(tmp_path):
    out = tmp_path / "bench"
    command = [sys.executable, "-m", "fixtures.benchmark", "--runs", "1", "--warmup", "1", "--output-dir", str(out),
               "--markdown", str(tmp_path / "bench.md"), "--", "-k", "visibility"]

    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "latest.json").read_text())
    assert "moto warm-up #1" in result.stdout
    assert sorted(run["mode"] for run in report["runs"]) == ["n2", "serial"], "the warm-up run must not count"
    assert all(run["phases"] for run in report["runs"]), "every run must carry the overhead split"
    table = (tmp_path / "bench.md").read_text()
    assert "| moto: harness overhead / wall (1 process) | <= 25% |" in table
    assert "## Where the overhead goes" in table
    assert "test_sqs_visibility.py" in table


def test_default_run_leaves_docs_alone():
    args = benchmark.parse_args([])

    assert args.markdown == REPO_ROOT / "reports" / "bench" / "benchmarks.md"
    assert args.backends == ["moto"]
    assert args.warmup == 1
