"""Tests of the Custom::SubscriptionFilterPolicy Lambda handler, run in-process.

The handler sends its response to a real HTTP server on 127.0.0.1 that replaces
CloudFormation's pre-signed ResponseURL, and its SNS calls go to moto's in-process
backend (``moto.mock_aws``).
"""

from __future__ import annotations

import http.server
import json
import logging
import queue
import threading
import urllib.error
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scenarios.cfn_custom_resource.handler import handler as cfn_handler

REGION = "us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/filter-policy/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
LOGICAL_ID = "SubscriptionFilterPolicy"
RESOURCE_TYPE = "Custom::SubscriptionFilterPolicy"
SERVICE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:filter-policy"
RESPONSE_WAIT_SECONDS = 10


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class ResponseServer:
    """HTTP server on 127.0.0.1 that records every request, like a pre-signed S3 URL."""

    url: str
    requests: "queue.Queue[ReceivedRequest]"
    # HTTP status codes to respond with, in order. 200 once the list is empty.
    statuses: list[int] = field(default_factory=list)

    def next_request(self) -> ReceivedRequest:
        try:
            return self.requests.get(timeout=RESPONSE_WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError(
                f"no request reached {self.url} within {RESPONSE_WAIT_SECONDS} s"
            ) from None

    def assert_no_more_requests(self) -> None:
        assert self.requests.empty(), f"unexpected extra request: {self.requests.get_nowait()}"


@pytest.fixture
def response_server() -> Iterator[ResponseServer]:
    received: queue.Queue[ReceivedRequest] = queue.Queue()
    server_state = ResponseServer(url="", requests=received)

    class RecordingHandler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            received.put(ReceivedRequest(self.command, self.path, dict(self.headers), body))
            status = server_state.statuses.pop(0) if server_state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PUT = _record
        do_POST = _record

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by http.server
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    server_state.url = f"http://{host}:{port}/cloudformation-response/{uuid.uuid4()}?X-Amz-Signature=secret-signature"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=RESPONSE_WAIT_SECONDS)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def sns(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        # Clients cached by an earlier test belong to another moto backend.
        cfn_handler._sns_client.cache_clear()
        yield boto3.client("sns", region_name=REGION)
    cfn_handler._sns_client.cache_clear()


@pytest.fixture
def subscription_arn(sns: Any) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    suffix = uuid.uuid4().hex[:8]
    topic_arn = sns.create_topic(Name=f"events-{suffix}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"filtered-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]


@pytest.fixture(autouse=True)
def no_put_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cfn_handler, "RESPONSE_PUT_BACKOFF_SECONDS", 0.0)


def make_event(
    request_type: str,
    response_url: str,
    properties: dict[str, Any],
    *,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": LOGICAL_ID,
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": {"ServiceToken": SERVICE_TOKEN, **properties},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = {"ServiceToken": SERVICE_TOKEN, **old_properties}
    return event


def subscription_attributes(sns: Any, arn: str) -> dict[str, str]:
    return sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]


def run_create(server: ResponseServer, arn: str, policy: Any, scope: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"SubscriptionArn": arn, "FilterPolicy": policy}
    if scope is not None:
        properties["FilterPolicyScope"] = scope
    cfn_handler.handler(make_event("Create", server.url, properties), None)
    return server.next_request().json()


def test_create_sends_success_body(response_server: ResponseServer, subscription_arn: str) -> None:
    event = make_event(
        "Create",
        response_server.url,
        {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"event": ["order_placed"]}'},
    )

    cfn_handler.handler(event, None)

    request = response_server.next_request()
    assert request.method == "PUT"
    url_parts = urllib.parse.urlsplit(response_server.url)
    assert request.path == f"{url_parts.path}?{url_parts.query}"
    assert request.headers.get("Content-Type") == ""
    body = request.json()
    assert body["Status"] == "SUCCESS"
    assert body["Reason"] == ""
    assert body["PhysicalResourceId"] == subscription_arn
    assert body["StackId"] == STACK_ID
    assert body["RequestId"] == event["RequestId"]
    assert body["LogicalResourceId"] == LOGICAL_ID
    assert body["NoEcho"] is False
    assert body["Data"] == {
        "SubscriptionArn": subscription_arn,
        "FilterPolicy": '{"event":["order_placed"]}',
        "FilterPolicyScope": "MessageAttributes",
    }
    assert len(request.body) <= cfn_handler.RESPONSE_BODY_LIMIT_BYTES
    response_server.assert_no_more_requests()


def test_create_sets_filter_policy(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    run_create(response_server, subscription_arn, '{"event": ["order_placed"]}')

    attributes = subscription_attributes(sns, subscription_arn)
    assert json.loads(attributes["FilterPolicy"]) == {"event": ["order_placed"]}
    assert attributes["FilterPolicyScope"] == "MessageAttributes"


def test_create_message_body_scope(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    nested_policy = {"order": {"status": ["placed"], "total": [{"numeric": [">", 100]}]}}

    body = run_create(response_server, subscription_arn, json.dumps(nested_policy), "MessageBody")

    assert body["Status"] == "SUCCESS", body["Reason"]
    attributes = subscription_attributes(sns, subscription_arn)
    assert attributes["FilterPolicyScope"] == "MessageBody"
    assert json.loads(attributes["FilterPolicy"]) == nested_policy


def test_create_accepts_policy_object(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    body = run_create(response_server, subscription_arn, {"store": ["example_corp"]})

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert json.loads(subscription_attributes(sns, subscription_arn)["FilterPolicy"]) == {"store": ["example_corp"]}


def test_update_keeps_physical_id(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    old_properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"event": ["order_placed"]}'}
    run_create(response_server, subscription_arn, old_properties["FilterPolicy"])
    new_properties = {
        "SubscriptionArn": subscription_arn,
        "FilterPolicy": '{"event": ["order_cancelled"]}',
        "FilterPolicyScope": "MessageBody",
    }

    cfn_handler.handler(
        make_event(
            "Update",
            response_server.url,
            new_properties,
            physical_id=subscription_arn,
            old_properties=old_properties,
        ),
        None,
    )

    body = response_server.next_request().json()
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == subscription_arn
    assert body["Data"]["FilterPolicyScope"] == "MessageBody"
    attributes = subscription_attributes(sns, subscription_arn)
    assert json.loads(attributes["FilterPolicy"]) == {"event": ["order_cancelled"]}
    assert attributes["FilterPolicyScope"] == "MessageBody"


def test_update_back_to_attributes_scope(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    run_create(response_server, subscription_arn, '{"order": {"status": ["placed"]}}', "MessageBody")
    new_properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"status": ["placed"]}'}

    cfn_handler.handler(
        make_event("Update", response_server.url, new_properties, physical_id=subscription_arn),
        None,
    )

    body = response_server.next_request().json()
    assert body["Status"] == "SUCCESS", body["Reason"]
    attributes = subscription_attributes(sns, subscription_arn)
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert json.loads(attributes["FilterPolicy"]) == {"status": ["placed"]}


def test_delete_removes_filter_policy(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"event": ["order_placed"]}'}
    run_create(response_server, subscription_arn, properties["FilterPolicy"], "MessageBody")

    cfn_handler.handler(
        make_event("Delete", response_server.url, properties, physical_id=subscription_arn), None
    )

    body = response_server.next_request().json()
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == subscription_arn
    assert body["Data"] == {}
    attributes = subscription_attributes(sns, subscription_arn)
    # SNS documents "{}" as the value that removes a filter policy. moto 5.2.5 keeps
    # the "{}" string while AWS may drop the attribute, so both count as removed.
    assert attributes.get("FilterPolicy", "{}") == "{}"
    assert attributes.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes"


def test_delete_of_gone_subscription(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    sns.unsubscribe(SubscriptionArn=subscription_arn)
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"event": ["order_placed"]}'}

    cfn_handler.handler(
        make_event("Delete", response_server.url, properties, physical_id=subscription_arn), None
    )

    body = response_server.next_request().json()
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == subscription_arn


def test_delete_after_failed_create(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    create_body = run_create(response_server, subscription_arn, "not json")
    assert create_body["Status"] == "FAILED"
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": "not json"}

    cfn_handler.handler(
        make_event("Delete", response_server.url, properties, physical_id=create_body["PhysicalResourceId"]),
        None,
    )

    body = response_server.next_request().json()
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == create_body["PhysicalResourceId"]
    assert "FilterPolicy" not in subscription_attributes(sns, subscription_arn)


def test_invalid_policy_fails_create(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    body = run_create(response_server, subscription_arn, "{not json")

    assert body["Status"] == "FAILED"
    assert "FilterPolicy is not valid JSON" in body["Reason"]
    assert body["PhysicalResourceId"].startswith(cfn_handler.FAILED_CREATE_ID_PREFIX)
    assert body["StackId"] == STACK_ID
    assert body["LogicalResourceId"] == LOGICAL_ID
    assert "FilterPolicy" not in subscription_attributes(sns, subscription_arn)


@pytest.mark.parametrize(
    ("properties", "reason_fragment"),
    [
        ({"FilterPolicy": '{"a": ["b"]}'}, "SubscriptionArn None is not an SNS subscription ARN"),
        ({"SubscriptionArn": "arn:aws:sqs:us-east-1:123456789012:q", "FilterPolicy": '{"a": ["b"]}'}, "is not an SNS subscription ARN"),
        ({"SubscriptionArn": "{arn}", "FilterPolicy": "{}"}, "must be a non-empty JSON object"),
        ({"SubscriptionArn": "{arn}", "FilterPolicy": '["a"]'}, "must be a non-empty JSON object"),
        ({"SubscriptionArn": "{arn}", "FilterPolicy": '{"a": ["b"]}', "FilterPolicyScope": "Body"}, "FilterPolicyScope 'Body' is invalid"),
    ],
)
def test_invalid_properties_fail_create(
    response_server: ResponseServer,
    subscription_arn: str,
    properties: dict[str, Any],
    reason_fragment: str,
) -> None:
    properties = {key: value.replace("{arn}", subscription_arn) for key, value in properties.items()}

    cfn_handler.handler(make_event("Create", response_server.url, properties), None)

    body = response_server.next_request().json()
    assert body["Status"] == "FAILED"
    assert reason_fragment in body["Reason"]


def test_sns_error_fails_create(response_server: ResponseServer, sns: Any, subscription_arn: str) -> None:
    sns.unsubscribe(SubscriptionArn=subscription_arn)

    body = run_create(response_server, subscription_arn, '{"event": ["order_placed"]}')

    assert body["Status"] == "FAILED"
    assert "NotFound" in body["Reason"]
    assert body["Data"] == {}


def test_update_failure_keeps_physical_id(response_server: ResponseServer, subscription_arn: str) -> None:
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": "{broken"}

    cfn_handler.handler(
        make_event("Update", response_server.url, properties, physical_id=subscription_arn), None
    )

    body = response_server.next_request().json()
    assert body["Status"] == "FAILED"
    assert body["PhysicalResourceId"] == subscription_arn


def test_unknown_request_type_fails(response_server: ResponseServer, subscription_arn: str) -> None:
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"a": ["b"]}'}

    cfn_handler.handler(make_event("Replace", response_server.url, properties), None)

    body = response_server.next_request().json()
    assert body["Status"] == "FAILED"
    assert "RequestType 'Replace' is not supported" in body["Reason"]


def test_oversized_response_fails_before_change(
    response_server: ResponseServer, sns: Any, subscription_arn: str
) -> None:
    # The policy is echoed in Data, so a 5,000-byte policy cannot fit in 4,096 bytes.
    large_policy = json.dumps({"event": [f"value-{index:05d}" for index in range(400)]})
    assert len(large_policy) > cfn_handler.RESPONSE_BODY_LIMIT_BYTES

    body = run_create(response_server, subscription_arn, large_policy)

    assert body["Status"] == "FAILED"
    assert "4096-byte limit" in body["Reason"]
    assert body["Data"] == {}
    assert "FilterPolicy" not in subscription_attributes(sns, subscription_arn)


def test_responder_replaces_oversized_body(response_server: ResponseServer) -> None:
    event = make_event("Create", response_server.url, {})
    responder = cfn_handler.Responder(event, None)
    data = {"Blob": "x" * (cfn_handler.RESPONSE_BODY_LIMIT_BYTES + 1)}

    sent = responder.send("SUCCESS", physical_id="resource-id", data=data)

    request = response_server.next_request()
    assert len(request.body) <= cfn_handler.RESPONSE_BODY_LIMIT_BYTES
    body = request.json()
    assert body == sent
    assert body["Status"] == "FAILED"
    assert "over the 4096-byte limit" in body["Reason"]
    assert body["PhysicalResourceId"] == "resource-id"


def test_long_reason_is_truncated(response_server: ResponseServer, subscription_arn: str) -> None:
    long_scope = "S" * 10_000
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"a": ["b"]}', "FilterPolicyScope": long_scope}

    cfn_handler.handler(make_event("Create", response_server.url, properties), None)

    request = response_server.next_request()
    assert len(request.body) <= cfn_handler.RESPONSE_BODY_LIMIT_BYTES
    body = request.json()
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("InvalidRequestError: FilterPolicyScope 'SSS")
    assert body["Reason"].endswith("[truncated]")


def test_failed_reason_names_log_stream(response_server: ResponseServer, subscription_arn: str) -> None:
    class LambdaContext:
        log_stream_name = "2026/12/04/[$LATEST]0123456789abcdef"

    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": "{broken"}

    cfn_handler.handler(make_event("Create", response_server.url, properties), LambdaContext())

    body = response_server.next_request().json()
    assert body["Status"] == "FAILED"
    assert LambdaContext.log_stream_name in body["Reason"]


def test_timeout_guard_sends_failed(
    response_server: ResponseServer, subscription_arn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    release_work = threading.Event()

    def blocked_process_request(event: dict[str, Any]) -> tuple[str, dict[str, str]]:
        assert release_work.wait(RESPONSE_WAIT_SECONDS), "the timeout guard never sent its response"
        return subscription_arn, {}

    class LambdaContext:
        log_stream_name = "stream"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            # The guard fires TIMEOUT_MARGIN_SECONDS before the end, so 50 ms from now.
            return int(cfn_handler.TIMEOUT_MARGIN_SECONDS * 1000) + 50

    monkeypatch.setattr(cfn_handler, "process_request", blocked_process_request)
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"a": ["b"]}'}
    worker = threading.Thread(
        target=cfn_handler.handler,
        args=(make_event("Create", response_server.url, properties), LambdaContext()),
    )
    worker.start()

    body = response_server.next_request().json()
    release_work.set()
    worker.join(timeout=RESPONSE_WAIT_SECONDS)

    assert not worker.is_alive()
    assert body["Status"] == "FAILED"
    assert "timed out" in body["Reason"]
    response_server.assert_no_more_requests()


def test_put_retries_server_errors(response_server: ResponseServer, subscription_arn: str) -> None:
    response_server.statuses.extend([500, 503])

    run_create(response_server, subscription_arn, '{"event": ["order_placed"]}')
    second = response_server.next_request().json()
    third = response_server.next_request().json()

    assert second["Status"] == "SUCCESS"
    assert third["Status"] == "SUCCESS"
    response_server.assert_no_more_requests()


def test_put_client_error_not_retried(response_server: ResponseServer, subscription_arn: str) -> None:
    # An expired pre-signed URL returns 403. The handler tries SUCCESS, then FAILED,
    # and raises because no response could be delivered.
    response_server.statuses.extend([403, 403])
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"a": ["b"]}'}

    with pytest.raises(urllib.error.HTTPError):
        cfn_handler.handler(make_event("Create", response_server.url, properties), None)

    assert response_server.next_request().json()["Status"] == "SUCCESS"
    assert response_server.next_request().json()["Status"] == "FAILED"
    response_server.assert_no_more_requests()


def test_missing_response_url_returns_none(aws_credentials: None) -> None:
    event = make_event("Create", "", {"FilterPolicy": '{"a": ["b"]}'})
    del event["ResponseURL"]

    assert cfn_handler.handler(event, None) is None


def test_non_http_response_url_rejected(aws_credentials: None, tmp_path: Any) -> None:
    target = tmp_path / "response.json"
    event = make_event("Delete", target.as_uri(), {}, physical_id="failed-create-x")

    with pytest.raises(cfn_handler.InvalidRequestError, match="scheme 'file'"):
        cfn_handler.handler(event, None)

    assert not target.exists()


def test_request_logged_as_json(
    response_server: ResponseServer, subscription_arn: str, caplog: pytest.LogCaptureFixture
) -> None:
    properties = {"SubscriptionArn": subscription_arn, "FilterPolicy": '{"event": ["order_placed"]}'}
    event = make_event("Update", response_server.url, properties, physical_id=subscription_arn, old_properties=properties)

    with caplog.at_level(logging.INFO, logger=cfn_handler.LOGGER.name):
        cfn_handler.handler(event, None)
    response_server.next_request()

    records = [cfn_handler.parse_request_log_line(record.getMessage()) for record in caplog.records]
    requests = [record for record in records if record is not None]
    assert len(requests) == 1
    logged = requests[0]
    assert logged["RequestType"] == "Update"
    assert logged["RequestId"] == event["RequestId"]
    assert logged["StackId"] == STACK_ID
    assert logged["LogicalResourceId"] == LOGICAL_ID
    assert logged["PhysicalResourceId"] == subscription_arn
    assert logged["ResourceType"] == RESOURCE_TYPE
    assert logged["ResourceProperties"] == event["ResourceProperties"]
    assert logged["OldResourceProperties"] == event["OldResourceProperties"]
    assert "secret-signature" not in logged["ResponseURL"]
    assert logged["ResponseURL"].endswith("?<redacted>")


def test_parse_log_line_with_lambda_prefix() -> None:
    record = {"message": cfn_handler.REQUEST_LOG_MESSAGE, "RequestType": "Create"}
    line = "[INFO]\t2026-12-04T20:00:00.000Z\t3f1c\t" + json.dumps(record)

    assert cfn_handler.parse_request_log_line(line) == record
    assert cfn_handler.parse_request_log_line("[INFO]\tno json here") is None
    assert cfn_handler.parse_request_log_line('{"message": "other"}') is None
