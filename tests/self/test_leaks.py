"""Leak check and sweeper: leftovers are listed after a run and removed by the sweeper."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from fixtures.backends import free_loopback_port
from tests.self.support import REPO_ROOT

LEAKING_TESTS = '''
import pytest


@pytest.mark.claim("demo.default-timeout")
def test_default_timeout(backend, names):
    backend.client("sqs").create_queue(QueueName=names.unique("leaked"))


@pytest.mark.claim("demo.max-messages")
def test_max_size(backend, names, cleanup):
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("tidy"))["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
'''

STUCK_TESTS = '''
import os
from pathlib import Path

import pytest


@pytest.mark.claim("demo.default-timeout")
def test_default_timeout(backend, names, cleanup, clock, eventually):
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("interrupted"))["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
    Path(os.environ["STARTED_MARKER"]).write_text(url)
    eventually(lambda: False, until=bool, timeout=60, interval=0.1, what="an interruption")


@pytest.mark.claim("demo.max-messages")
def test_max_size():
    pass
'''


RETAINED_BY_STACK_TESTS = '''
import json

import pytest


@pytest.mark.claim("demo.default-timeout")
def test_default_timeout(backend, names):
    queue = {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "Properties": {"QueueName": names.unique("retained")}}
    cloudformation = backend.client("cloudformation")
    stack = names.unique("stack")
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps({"Resources": {"Queue": queue}}))
    cloudformation.delete_stack(StackName=stack)


@pytest.mark.claim("demo.max-messages")
def test_max_size():
    pass
'''


def test_clean_run_reports_no_leaks(demo_project):
    result = demo_project.run("--fail-on-leaks")

    assert result.returncode == 0, result.output
    assert "leak check: no resources left after teardown" in result.output


# The second case calls no SQS operation, yet the leak check must still list SQS on moto,
# where it skips services whose moto package the run never imported.
@pytest.mark.parametrize("tests, queue_suffix", [
    pytest.param(LEAKING_TESTS, "-leaked-1", id="created-by-test"),
    pytest.param(RETAINED_BY_STACK_TESTS, "-retained-1", id="created-by-stack"),
])
def test_leaked_queue_reported(demo_project, tests, queue_suffix):
    demo_project.write("tests/test_demo.py", tests)

    result = demo_project.run()

    assert result.returncode == 0, result.output
    assert "leak check: 1 resource(s) left after teardown" in result.output
    assert "SQS queue apc-" in result.output
    assert queue_suffix in result.output


def test_fail_on_leaks_fails_run(demo_project):
    demo_project.write("tests/test_demo.py", LEAKING_TESTS)

    result = demo_project.run("--fail-on-leaks", "-n", "2")

    assert result.returncode == 1, result.output
    assert "leak check: 1 resource(s) left after teardown" in result.output


@pytest.fixture
def moto_server_process(tmp_path):
    """A standalone moto server on 127.0.0.1 that outlives the runs using it."""
    port = free_loopback_port()
    log = open(tmp_path / "moto_server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    sqs = boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    deadline = time.monotonic() + 20
    while True:
        try:
            sqs.list_queues()
            break
        except Exception:  # noqa: BLE001 - the server is still starting
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"moto server did not start; see {tmp_path / 'moto_server.log'}")
            time.sleep(0.1)
    yield url, sqs
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)
    log.close()


def start_interrupted_run(demo_project, url, marker, run_id):
    from tests.self.support import DemoProject  # noqa: F401 - documents where the project comes from

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMS_")}
    env.update({"PYTHONPATH": str(REPO_ROOT), "STARTED_MARKER": str(marker), "CLAIMS_RUN_ID": run_id})
    command = [
        sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
        "--rootdir", str(demo_project.root), "-c", os.devnull,
        "--claims-dir", str(demo_project.root / "scenarios"),
        "--expectations-dir", str(demo_project.root / "expectations"),
        "--reports-dir", str(demo_project.root / "reports"),
        "--backend", "endpoint", "--endpoint-url", url, "tests",
    ]
    process = subprocess.Popen(command, cwd=demo_project.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"the run never reached the scenario:\n{process.communicate()[0]}")
        time.sleep(0.05)
    return process


def queue_names(sqs, prefix):
    return [u.rsplit("/", 1)[-1] for u in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])]


def test_sigint_mid_scenario_cleans_up(demo_project, moto_server_process, tmp_path):
    url, sqs = moto_server_process
    demo_project.write("tests/test_demo.py", STUCK_TESTS)
    process = start_interrupted_run(demo_project, url, tmp_path / "started", "sigint1")

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 2, output
    assert queue_names(sqs, "apc-sigint1-") == [], output


def test_sweeper_removes_killed_run_leftovers(demo_project, moto_server_process, tmp_path):
    url, sqs = moto_server_process
    demo_project.write("tests/test_demo.py", STUCK_TESTS)
    process = start_interrupted_run(demo_project, url, tmp_path / "started", "killed1")
    process.kill()
    process.communicate(timeout=30)
    assert len(queue_names(sqs, "apc-killed1-")) == 1
    sqs.create_queue(QueueName="someone-elses-queue")

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    sweep = subprocess.run([sys.executable, "-m", "fixtures.sweep", "--endpoint-url", url, "--run-id", "killed1"],
                           cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert sweep.returncode == 0, sweep.stdout + sweep.stderr
    assert "removed SQS queue apc-killed1-gw-interrupted-1" in sweep.stdout
    assert "removed 1 leftover resource(s) with prefix 'apc-killed1-'" in sweep.stdout
    assert queue_names(sqs, "apc-killed1-") == []
    assert queue_names(sqs, "someone-elses-queue") == ["someone-elses-queue"]


def test_sweeper_rejects_remote_endpoint():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    sweep = subprocess.run([sys.executable, "-m", "fixtures.sweep", "--endpoint-url", "https://sqs.us-east-1.amazonaws.com"],
                           cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert sweep.returncode == 2
    assert "is not a loopback address" in sweep.stderr
