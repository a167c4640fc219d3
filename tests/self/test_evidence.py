"""Evidence: each test's AWS calls reach its Allure result, with secrets redacted everywhere."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.evidence import REDACTED, Redactor

PLANTED_SECRET = "planted-Secret-9f3b2c71"

SECRET_TESTS = '''
import os

import pytest


@pytest.mark.claim("demo.default-timeout")
def test_default_timeout(backend, names, cleanup):
    secret = os.environ["DEMO_SERVICE_SECRET"]
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("q"), tags={"Password": secret})["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="token is " + secret)
    assert False, "fail on purpose so the failure summary is written too"


@pytest.mark.claim("demo.max-messages")
def test_max_size(backend, names, cleanup):
    sqs = backend.client("sqs")
    url = sqs.create_queue(QueueName=names.unique("q"))["QueueUrl"]
    cleanup.add("delete queue", sqs.delete_queue, QueueUrl=url)
'''


def test_redactor_masks_secret_keys_and_values():
    redact = Redactor(extra_secrets={"hunter2-secret"})

    cleaned = redact({
        "SecretAccessKey": "abc", "Password": "pw", "SessionToken": "t",
        "Body": "the secret is hunter2-secret", "Url": "https://x/?X-Amz-Signature=deadbeef&a=1",
        "Nested": [{"ClientSecret": "s"}],
    })

    assert cleaned["SecretAccessKey"] == REDACTED
    assert cleaned["Password"] == REDACTED
    assert cleaned["SessionToken"] == REDACTED
    assert cleaned["Body"] == f"the secret is {REDACTED}"
    assert cleaned["Url"] == f"https://x/?X-Amz-Signature={REDACTED}&a=1"
    assert cleaned["Nested"][0]["ClientSecret"] == REDACTED


def test_redactor_reads_environment_secrets(monkeypatch):
    monkeypatch.setenv("SERVICE_API_TOKEN", "env-token-value-123")
    monkeypatch.setenv("PLAIN_SETTING", "visible-value-123")

    redact = Redactor()

    assert redact.text("a env-token-value-123 b visible-value-123") == f"a {REDACTED} b visible-value-123"


def test_calls_attached_to_allure(demo_project):
    result = demo_project.run()

    assert result.returncode == 0, result.output
    results_dir = demo_project.root / "reports" / "allure-results"
    attachments = [json.loads(p.read_text()) for p in results_dir.glob("*-attachment.json")]
    operations = {call["operation"] for calls in attachments for call in calls}
    assert {"CreateQueue", "GetQueueAttributes"} <= operations
    test_results = [json.loads(p.read_text()) for p in results_dir.glob("*-result.json")]
    labels = {(label["name"], label["value"]) for r in test_results for label in r["labels"]}
    assert ("epic", "Demo pattern") in labels
    assert ("feature", "SQS") in labels
    assert ("claim", "demo.default-timeout") in labels
    assert ("tag", "status:holds") in labels
    assert ("backend", "moto") in labels
    environment = (results_dir / "environment.properties").read_text()
    assert "backend.moto=account 123456789012" in environment


def test_planted_secret_not_in_reports(demo_project):
    demo_project.write("tests/test_demo.py", SECRET_TESTS)

    result = demo_project.run(env={"DEMO_SERVICE_SECRET": PLANTED_SECRET})

    assert result.returncode == 1, result.output
    assert "AWS calls (last 15)" in result.output
    assert PLANTED_SECRET not in result.output
    leaked = [
        path for path in Path(demo_project.root / "reports").rglob("*")
        if path.is_file() and PLANTED_SECRET in path.read_text(errors="replace")
    ]
    assert leaked == []
