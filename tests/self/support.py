"""Run the suite's plugin on a small generated project, for the harness's own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.emulators import InterpreterNotFoundError, ManagedEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
EMULATOR_START_TIMEOUT_SECONDS = 120

DEMO_CLAIMS = """
[pattern]
id = "demo"
title = "Demo pattern"
post = "A demo post"
services = ["SQS"]
requires = ["service.sqs"]

[[claim]]
id = "demo.default-timeout"
statement = "A new queue's visibility timeout is 30 seconds."
status = "holds"
docs = ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"]

[[claim]]
id = "demo.max-messages"
statement = "A queue reports its maximum message size."
status = "holds"
docs = ["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html"]
"""

DEMO_TESTS = '''
import pytest


@pytest.mark.claim("demo.default-timeout")
def test_default_timeout(backend, names, cleanup):
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("q"))["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"


@pytest.mark.claim("demo.max-messages")
def test_max_size(backend, names, cleanup):
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("q"))["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"]
    assert int(attributes["MaximumMessageSize"]) > 0
'''


@dataclass
class RunResult:
    returncode: int
    output: str
    project: Path

    def parity(self, backend: str = "moto") -> dict:
        return json.loads((self.project / "reports" / "parity" / f"{backend}.json").read_text())

    def verdicts(self, backend: str = "moto") -> dict[str, str]:
        return {claim_id: entry["verdict"] for claim_id, entry in self.parity(backend)["claims"].items()}


class DemoProject:
    """A throwaway project that loads the suite's plugin, with its own claims, tests and ledgers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "scenarios" / "demo").mkdir(parents=True)
        (root / "tests").mkdir()
        (root / "expectations").mkdir()
        (root / "conftest.py").write_text('pytest_plugins = ["fixtures.plugin"]\n')
        self.write("scenarios/demo/claims.toml", DEMO_CLAIMS)
        self.write("tests/test_demo.py", DEMO_TESTS)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> RunResult:
        command = [
            sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
            "--rootdir", str(self.root), "-c", os.devnull,
            "--claims-dir", str(self.root / "scenarios"),
            "--expectations-dir", str(self.root / "expectations"),
            "--reports-dir", str(self.root / "reports"),
            *args,
        ]
        if not any(a.startswith("tests") or a.startswith(str(self.root)) for a in args):
            command.append("tests")
        full_env = {key: value for key, value in os.environ.items() if not key.startswith("CLAIMS_")}
        full_env["PYTHONPATH"] = str(REPO_ROOT)
        full_env.update(env or {})
        completed = subprocess.run(command, cwd=self.root, env=full_env, capture_output=True, text=True,
                                   timeout=timeout)
        return RunResult(completed.returncode, completed.stdout + completed.stderr, self.root)


def start_or_skip(emulator: ManagedEmulator) -> str:
    """Start the emulator, installing it first if needed, and return its endpoint URL.

    Skips the test on a machine without the Python version the emulator needs.
    """
    try:
        return emulator.start(timeout=EMULATOR_START_TIMEOUT_SECONDS)
    except InterpreterNotFoundError as error:
        pytest.skip(str(error))
