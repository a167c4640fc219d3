"""Claims of the SQS visibility timeout pattern."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from scenarios.sqs_visibility.scenario import MAX_VISIBILITY, SqsScenario, timing_for

REJECTED_ATTRIBUTE_CODES = {"InvalidAttributeValue", "InvalidParameterValue"}


@pytest.fixture
def sqs_scenario(backend, names, cleanup) -> SqsScenario:
    return SqsScenario(backend, names, cleanup)


@pytest.fixture
def timing(clock):
    return timing_for(clock)


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.mark.claim("sqs-visibility.default-timeout-30s")
def test_default_visibility_timeout(sqs_scenario):
    url = sqs_scenario.create_queue()

    assert sqs_scenario.queue_attribute(url, "VisibilityTimeout") == "30"


@pytest.mark.claim("sqs-visibility.queue-attribute-range")
@pytest.mark.parametrize("operation", ["CreateQueue", "SetQueueAttributes"])
def test_visibility_attribute_range(sqs_scenario, operation):
    def apply(value: int) -> str:
        if operation == "CreateQueue":
            return sqs_scenario.create_queue(VisibilityTimeout=value)
        url = sqs_scenario.create_queue()
        sqs_scenario.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(value)})
        return url

    for accepted in (0, MAX_VISIBILITY):
        url = apply(accepted)
        assert sqs_scenario.queue_attribute(url, "VisibilityTimeout") == str(accepted)

    for rejected in (MAX_VISIBILITY + 1, -1):
        with pytest.raises(ClientError) as excinfo:
            apply(rejected)
        assert error_code(excinfo) in REJECTED_ATTRIBUTE_CODES, f"VisibilityTimeout={rejected}"


@pytest.mark.claim("sqs-visibility.hidden-from-all-consumers")
def test_received_message_hidden_from_all(sqs_scenario, backend, clock, timing):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    other_consumer = backend.new_client("sqs")
    sqs_scenario.send(url, "hidden")

    received = sqs_scenario.receive_one(url)
    assert received["Body"] == "hidden"

    assert sqs_scenario.receive(url) == [], "the receiving consumer got the message again at once"
    assert sqs_scenario.receive(url, client=other_consumer) == [], "another consumer got the message at once"

    clock.wait(timing.visibility - 1)
    assert sqs_scenario.receive(url) == [], f"the message came back before {timing.visibility} s passed"
    assert sqs_scenario.receive(url, client=other_consumer) == [], "another consumer got it before the timeout"


@pytest.mark.claim("sqs-visibility.redelivered-after-expiry")
def test_redelivered_after_expiry(sqs_scenario, clock, timing, eventually):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    message_id = sqs_scenario.send(url, "again")

    first = sqs_scenario.receive_one(url, AttributeNames=["ApproximateReceiveCount"])
    assert first["MessageId"] == message_id
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"

    clock.wait(timing.visibility)
    messages = eventually(
        lambda: sqs_scenario.receive(url, AttributeNames=["ApproximateReceiveCount"]),
        until=bool,
        timeout=timing.poll,
        what=f"redelivery after a {timing.visibility} s visibility timeout",
    )
    assert len(messages) == 1
    assert messages[0]["MessageId"] == message_id
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.claim("sqs-visibility.change-restarts-timeout")
def test_change_visibility_restarts(sqs_scenario, clock, timing):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.extension_timeout)
    sqs_scenario.send(url, "extended")
    handle = sqs_scenario.receive_one(url)["ReceiptHandle"]

    extensions = 3  # 9 s in all, well past the original 5 s timeout
    for round_number in range(1, extensions + 1):
        clock.wait(timing.extension_interval)
        elapsed = round_number * timing.extension_interval
        assert sqs_scenario.receive(url) == [], f"the message reappeared {elapsed} s after the receive"
        sqs_scenario.sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=timing.extension_timeout
        )

    clock.wait(timing.extension_interval)
    assert sqs_scenario.receive(url) == [], "the message reappeared before the last extension ran out"

    sqs_scenario.sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    clock.wait(timing.extension_timeout)
    assert sqs_scenario.receive(url) == [], "the message came back after deletion with the last receipt handle"


@pytest.mark.claim("sqs-visibility.change-to-zero")
def test_change_visibility_to_zero(sqs_scenario, timing, eventually):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    message_id = sqs_scenario.send(url, "now")
    handle = sqs_scenario.receive_one(url)["ReceiptHandle"]

    sqs_scenario.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)

    # A frozen virtual clock needs a 1 ms step, because moto requires now > visible_at.
    messages = eventually(lambda: sqs_scenario.receive(url), until=bool, timeout=1.0, interval=0.05,
                          what="receive right after ChangeMessageVisibility to 0")
    assert [m["MessageId"] for m in messages] == [message_id]


@pytest.mark.claim("sqs-visibility.twelve-hour-cap-from-receive")
def test_twelve_hour_cap_counts_from_receive(sqs_scenario, clock, timing):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    sqs_scenario.send(url, "long job")
    clock.wait(timing.queued)
    handle = sqs_scenario.receive_one(url)["ReceiptHandle"]
    clock.wait(timing.after_receive)

    budget = MAX_VISIBILITY - timing.after_receive
    within = budget - timing.cap_slack
    sqs_scenario.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=within)

    beyond = budget + timing.cap_slack
    with pytest.raises(ClientError) as excinfo:
        sqs_scenario.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=beyond)
    assert error_code(excinfo) == "InvalidParameterValue", f"VisibilityTimeout={beyond}"


@pytest.mark.claim("sqs-visibility.delete-removes-message")
def test_delete_removes_message(sqs_scenario, clock, timing):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    sqs_scenario.send(url, "done")
    handle = sqs_scenario.receive_one(url)["ReceiptHandle"]

    sqs_scenario.sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)

    clock.wait(timing.visibility + 1)
    assert sqs_scenario.receive(url) == [], "the deleted message came back after its visibility timeout"


@pytest.mark.claim("sqs-visibility.receive-zero-visibility-bounds")
def test_receive_zero_visibility_bounds(sqs_scenario, timing, eventually):
    url = sqs_scenario.create_queue(VisibilityTimeout=timing.visibility)
    sent = {sqs_scenario.send(url, f"message {i}") for i in range(5)}
    maximum = 3

    messages = eventually(
        lambda: sqs_scenario.receive(url, MaxNumberOfMessages=maximum, VisibilityTimeout=0),
        until=bool, timeout=timing.poll, what="a receive with VisibilityTimeout=0",
    )
    assert len(messages) <= maximum
    assert {m["MessageId"] for m in messages} <= sent
