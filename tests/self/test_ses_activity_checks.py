"""Show that the SES activity checks fail on wrong evidence and with broken consumers.

Only the visibility claim runs on in-process moto, so the other claims show here that
their checks can fail. The storage checks run a small pipeline of SNS and SQS in
in-process moto and the real MySQL-compatible database. A loop plays the event source
mapping. It receives batches, calls a consumer, and deletes the messages that the
consumer did not report in batchItemFailures.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scenarios.ses_activity.consumer import handler as consumer
from scenarios.ses_activity.sample_events import SAMPLE_NAMES, load_ses_event, sqs_record
from scenarios.ses_activity.scenario import (
    MESSAGE_TAG,
    PublishedEvent,
    SesEvent,
    event_shape_problems,
    fetch_rows,
    make_event,
    run_report,
    stored_once_problems,
)

Consumer = Callable[[dict[str, Any], Any], dict[str, Any]]
MAIL_TIME = "2024-05-06T07:08:09.000Z"


def tagged(event: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    changed["mail"]["tags"][MESSAGE_TAG[0]] = [MESSAGE_TAG[1]]
    return changed


# Event layout (claims events-published and event-shape)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_shape_of_sample_event_accepted(name):
    assert event_shape_problems(tagged(load_ses_event(name))) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e["mail"].pop("commonHeaders"), "mail.commonHeaders is missing"),
        (lambda e: e["mail"].pop("tags"), "mail.tags is missing"),
        (lambda e: e["mail"]["tags"].pop(MESSAGE_TAG[0]), f"mail.tags[{MESSAGE_TAG[0]!r}]"),
        (lambda e: e["mail"].update(destination="a@example.org"), "mail.destination is missing or not a list"),
        (lambda e: e.pop("bounce"), "the bounce object is missing"),
        (lambda e: e.update(eventType="Bounced"), "eventType 'Bounced' is not one of"),
        (lambda e: e.pop("mail"), "mail is missing"),
    ],
)
def test_shape_of_changed_event_rejected(change, expected):
    event = tagged(load_ses_event("bounce"))
    change(event)

    problems = event_shape_problems(event)

    assert any(expected in problem for problem in problems), problems


def test_shape_of_localstack_event_rejected():
    # A Send event as LocalStack core 2026.3.0 publishes it: no commonHeaders.
    event = {
        "eventType": "Send",
        "mail": {
            "timestamp": "2026-12-04T20:19:33.847313+00:00", "source": "sender@example.com",
            "sendingAccountId": "000000000000", "destination": ["success@simulator.amazonses.com"],
            "messageId": "zswhhrskjprkkepa", "tags": {MESSAGE_TAG[0]: [MESSAGE_TAG[1]]},
        },
        "send": {},
    }

    assert event_shape_problems(event) == ["Send event: mail.commonHeaders is missing or not a dict: None"]


# A pipeline with a replaceable consumer (claims stored-once, redelivery-stored-once,
# malformed-isolated and rates-match)


class LocalPipeline:
    """SNS topic and SQS queue in in-process moto, drained by a consumer called in this process."""

    def __init__(self) -> None:
        self.sns = boto3.client("sns", region_name="us-east-1")
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.topic_arn = self.sns.create_topic(Name="ses-events")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="ses-events")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def publish(self, events: list[SesEvent]) -> list[PublishedEvent]:
        return [
            PublishedEvent(event, self.sns.publish(TopicArn=self.topic_arn, Message=event.raw_json)["MessageId"])
            for event in events
        ]

    def send_body(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def last_notification_body(self, published: PublishedEvent) -> str:
        """Return a copy of the notification SNS delivered for ``published``, for a redelivery."""
        return json.dumps({"Type": "Notification", "MessageId": published.sns_message_id,
                           "TopicArn": self.topic_arn, "Message": published.ses_event.raw_json})

    def drain(self, consume: Consumer) -> list[str]:
        """Deliver every queued message once, in batches of 10, and return the bodies that failed."""
        failed_bodies = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=60, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return failed_bodies
            records = [sqs_record(m["Body"], message_id=m["MessageId"]) for m in messages]
            response = consume({"Records": records}, None)
            failed_ids = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] in failed_ids:
                    failed_bodies.append(message["Body"])
                else:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def dropping_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Store every record of the batch but the last, and report the whole batch as done."""
    return consumer.handler({"Records": event["Records"][:-1]}, context)


def duplicating_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Store the batch twice, as Lambda does when it retries a batch after its inserts committed."""
    consumer.handler(event, context)
    return consumer.handler(event, context)


@pytest.fixture
def storage(mysql_database, monkeypatch) -> Iterator[Any]:
    with mysql_database.connect() as connection:
        consumer.apply_schema(connection)
    monkeypatch.setenv(consumer.DATABASE_URL_ENV, mysql_database.render())
    yield mysql_database
    consumer.close_connection()


@pytest.fixture
def storage_without_unique_key(storage) -> Any:
    """The table of a consumer that has no key against redelivered notifications."""
    with storage.connect() as connection, connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ses_events DROP INDEX uq_ses_events_notification_recipient")
    return storage


@pytest.fixture
def pipeline() -> Iterator[LocalPipeline]:
    with mock_aws():
        yield LocalPipeline()


def four_events() -> list[SesEvent]:
    message_id = f"check-{uuid.uuid4()}"
    recipient = "check@example.org"
    return [
        make_event(kind, ses_message_id=message_id, recipient=recipient, mail_timestamp=MAIL_TIME,
                   event_timestamp=None if kind == "send" else "2024-05-06T07:09:00.000Z")
        for kind in ("send", "delivery", "bounce", "complaint")
    ]


def stored_once_after(pipeline: LocalPipeline, storage: Any, consume: Consumer) -> list[str]:
    """Publish four events, drain with ``consume``, and return the stored-once problems."""
    published = pipeline.publish(four_events())
    pipeline.drain(consume)
    return stored_once_problems(published, fetch_rows(storage, [published[0].ses_event.ses_message_id]))


def redelivery_problems_after(pipeline: LocalPipeline, storage: Any, consume: Consumer) -> list[str]:
    """Deliver one notification twice, one delivery per batch, and return the stored-once problems."""
    [published] = pipeline.publish(four_events()[1:2])
    pipeline.drain(consume)
    pipeline.send_body(pipeline.last_notification_body(published))
    pipeline.drain(consume)
    return stored_once_problems([published], fetch_rows(storage, [published.ses_event.ses_message_id]))


def test_stored_once_check_passes_with_consumer(pipeline, storage):
    assert stored_once_after(pipeline, storage, consumer.handler) == []


def test_stored_once_check_fails_with_dropping_consumer(pipeline, storage):
    problems = stored_once_after(pipeline, storage, dropping_consumer)

    assert any("0 rows stored, expected exactly 1" in problem for problem in problems), problems


def test_stored_once_check_fails_with_duplicating_consumer(pipeline, storage_without_unique_key):
    problems = stored_once_after(pipeline, storage_without_unique_key, duplicating_consumer)

    assert any("2 rows stored, expected exactly 1" in problem for problem in problems), problems


def test_redelivery_check_passes_with_consumer(pipeline, storage):
    assert redelivery_problems_after(pipeline, storage, consumer.handler) == []


def test_redelivery_check_fails_with_dropping_consumer(pipeline, storage):
    problems = redelivery_problems_after(pipeline, storage, dropping_consumer)

    assert problems, "a dropped redelivery went unnoticed"
    assert "0 rows stored" in problems[0], problems


def test_redelivery_check_fails_with_duplicating_consumer(pipeline, storage_without_unique_key):
    problems = redelivery_problems_after(pipeline, storage_without_unique_key, duplicating_consumer)

    assert problems, "duplicate rows went unnoticed"
    assert "rows stored, expected exactly 1" in problems[0], problems


def test_redelivery_check_fails_without_unique_key(pipeline, storage_without_unique_key):
    problems = redelivery_problems_after(pipeline, storage_without_unique_key, consumer.handler)

    assert len(problems) == 1, problems
    assert "2 rows stored" in problems[0], problems


def test_stored_once_check_reports_wrong_field(pipeline, storage):
    published = pipeline.publish(four_events()[:1])
    pipeline.drain(consumer.handler)
    other = PublishedEvent(published[0].ses_event, "some-other-sns-id")

    problems = stored_once_problems([other], fetch_rows(storage, [other.ses_event.ses_message_id]))

    assert problems, "a wrong SNS MessageId went unnoticed"
    assert "sns_message_id is" in problems[0], problems


def test_malformed_message_fails_alone(pipeline, storage):
    published = pipeline.publish(four_events()[:2])
    pipeline.send_body("not an SNS notification")

    failed = pipeline.drain(consumer.handler)

    assert failed == ["not an SNS notification"]
    assert stored_once_problems(published, fetch_rows(storage, [published[0].ses_event.ses_message_id])) == []


def test_rates_differ_with_dropping_consumer(pipeline, storage):
    since = datetime(2031, 2, 3, 4, 0, 0)
    events = []
    for index in range(4):
        mail_time = (since + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        message_id = f"rate-{uuid.uuid4()}"
        recipient = f"rate.{index}@example.org"
        events.append(make_event("send", ses_message_id=message_id, recipient=recipient, mail_timestamp=mail_time))
        if index == 0:
            events.append(make_event("bounce", ses_message_id=message_id, recipient=recipient,
                                     mail_timestamp=mail_time))
    pipeline.publish(events)

    pipeline.drain(dropping_consumer)

    report = run_report(storage, "bounce_rate", since, since + timedelta(hours=1))
    assert report["sent"] != 4 or float(report["bounce_rate"] or 0) != pytest.approx(1 / 4), report
