"""Deploy buckets that publish S3 events to SNS, queues that subscribe, and read what arrives.

Two buckets share nothing, because S3 rejects notification configurations whose filters
overlap for the same event type:

- the events bucket sends every ObjectCreated event to one topic, the events topic, whose
  subscriptions carry the filter policies under test;
- the folders bucket has one configuration per folder (prefix ``<folder>/``, suffix
  ``.csv``), each publishing to that folder's own topic with one queue subscribed.

Every queue is drained into an in-memory inbox, so tests that share the deployment look up
their own object keys and ignore everything else, such as S3's s3:TestEvent message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from fixtures.backends import Backend
from fixtures.clock import Clock
from fixtures.naming import Names
from fixtures.resources import Cleanup, allow_topic_to_send

FOLDERS = ("a", "b", "c")
CSV_SUFFIX = ".csv"
SPACED_FOLDER = "new data"  # a folder name that S3 must encode in its events
ATTRIBUTE_POLICY = {"folder": ["a"]}  # routes by folder through an attribute that S3 does not send

# Logical queue names on the events topic.
ALL_EVENTS = "all"  # no filter policy and no raw delivery: the SNS envelope stays visible
ATTRIBUTE_SCOPE = "attribute-scope"
ENCODED_PREFIX = "encoded-prefix"
PLAIN_PREFIX = "plain-prefix"


def body_key_prefix_policy(prefix: str) -> dict[str, Any]:
    """Return a MessageBody-scope policy that matches S3 events whose object key starts with ``prefix``."""
    return {"Records": {"s3": {"object": {"key": [{"prefix": prefix}]}}}}


def folder_queue(folder: str) -> str:
    """Return the logical name of the queue that receives ``folder`` through the events topic."""
    return f"body-{folder}"


def folder_topic_queue(folder: str) -> str:
    """Return the logical name of the queue on ``folder``'s own topic, fed by the folders bucket."""
    return f"topic-{folder}"


@dataclass(frozen=True)
class Timing:
    """Bounds in seconds on the test's clock, which lets no real time pass when it is virtual."""

    delivery: float  # wait for an event that must arrive
    quiet: float  # watch for events that must not arrive, after a control event has arrived
    interval: float  # pause between two drains of a queue


VIRTUAL = Timing(delivery=5, quiet=5, interval=0.5)
REAL = Timing(delivery=10, quiet=3, interval=0.5)


def timing_for(clock: Clock) -> Timing:
    return VIRTUAL if clock.virtual else REAL


@dataclass
class Delivery:
    """One S3 event as a queue received it."""

    event: dict[str, Any]  # the S3 notification document
    envelope: dict[str, Any] | None  # the SNS envelope, or None under raw message delivery
    sqs_attributes: dict[str, Any] = field(default_factory=dict)  # MessageAttributes of the SQS message

    @property
    def record(self) -> dict[str, Any]:
        return self.event["Records"][0]

    @property
    def encoded_key(self) -> str:
        """The object key exactly as the event carries it."""
        return self.record["s3"]["object"]["key"]

    @property
    def key(self) -> str:
        """The object key after URL-decoding, as it was written to the bucket."""
        return unquote_plus(self.encoded_key)


def parse_delivery(body: str, sqs_attributes: dict[str, Any] | None = None) -> Delivery | None:
    """Parse an SQS message body into a Delivery; return None for anything but an S3 event."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    envelope = None
    if document.get("Type") == "Notification" and "Message" in document:
        envelope = document
        try:
            document = json.loads(envelope["Message"])
        except ValueError:
            return None
    records = document.get("Records") if isinstance(document, dict) else None
    if not records or not isinstance(records, list):
        return None  # s3:TestEvent and any other message
    return Delivery(event=document, envelope=envelope, sqs_attributes=sqs_attributes or {})


class S3SnsScenario:
    """The deployed buckets, topics and queues, with an inbox per queue."""

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.s3 = backend.client("s3")
        self.sns = backend.client("sns")
        self.sqs = backend.client("sqs")
        self.queue_urls: dict[str, str] = {}
        self.subscription_arns: dict[str, str] = {}
        self.inbox: dict[str, list[Delivery]] = {}
        self.events_bucket = ""
        self.folders_bucket = ""
        self.events_topic = ""
        self.folder_topics: dict[str, str] = {}

    # deployment ------------------------------------------------------------------
    def deploy(self) -> S3SnsScenario:
        self.events_bucket = self.create_bucket()
        self.events_topic = self.create_topic(self.events_bucket)
        self.subscribe(ALL_EVENTS, self.events_topic, raw=False)
        # No FilterPolicyScope: SNS applies the policy to message attributes by default.
        self.subscribe(ATTRIBUTE_SCOPE, self.events_topic, policy=ATTRIBUTE_POLICY)
        for folder in FOLDERS:
            self.subscribe(folder_queue(folder), self.events_topic,
                           policy=body_key_prefix_policy(f"{folder}/"), scope="MessageBody")
        self.subscribe(ENCODED_PREFIX, self.events_topic,
                       policy=body_key_prefix_policy(SPACED_FOLDER.replace(" ", "+") + "/"), scope="MessageBody")
        self.subscribe(PLAIN_PREFIX, self.events_topic,
                       policy=body_key_prefix_policy(SPACED_FOLDER + "/"), scope="MessageBody")
        self.s3.put_bucket_notification_configuration(
            Bucket=self.events_bucket,
            NotificationConfiguration={"TopicConfigurations": [
                {"Id": "all-objects", "TopicArn": self.events_topic, "Events": ["s3:ObjectCreated:*"]},
            ]},
        )

        self.folders_bucket = self.create_bucket()
        configurations = []
        for folder in FOLDERS:
            topic = self.create_topic(self.folders_bucket)
            self.folder_topics[folder] = topic
            self.subscribe(folder_topic_queue(folder), topic)
            configurations.append({
                "Id": f"folder-{folder}",
                "TopicArn": topic,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [
                    {"Name": "prefix", "Value": f"{folder}/"},
                    {"Name": "suffix", "Value": CSV_SUFFIX},
                ]}},
            })
        self.s3.put_bucket_notification_configuration(
            Bucket=self.folders_bucket, NotificationConfiguration={"TopicConfigurations": configurations},
        )
        return self

    def create_bucket(self) -> str:
        name = self.names.unique("bucket")
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.backend.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.backend.region}
        self.s3.create_bucket(**kwargs)
        self.cleanup.add(f"empty and delete bucket {name}", self.delete_bucket, name)
        return name

    def delete_bucket(self, name: str) -> None:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                self.s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
        self.s3.delete_bucket(Bucket=name)

    def create_topic(self, bucket: str) -> str:
        """Create a topic whose access policy lets S3 publish events of ``bucket`` to it."""
        name = self.names.unique("topic", max_length=256)
        arn = self.sns.create_topic(Name=name)["TopicArn"]
        self.cleanup.add(f"delete topic {name}", self.sns.delete_topic, TopicArn=arn)
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "S3PublishesBucketEvents",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": arn,
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                    "StringEquals": {"aws:SourceAccount": self.backend.account_id},
                },
            }],
        }
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
        return arn

    def create_queue(self, topic_arn: str, cleanup: Cleanup | None = None) -> tuple[str, str]:
        """Create a queue whose access policy lets ``topic_arn`` send to it; return its URL and ARN."""
        cleanup = cleanup or self.cleanup
        name = self.names.unique("queue", max_length=80)
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        cleanup.add(f"delete queue {name}", self.sqs.delete_queue, QueueUrl=url)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow_topic_to_send(self.sqs, url, arn, topic_arn)
        return url, arn

    def subscribe(self, queue: str, topic_arn: str, policy: dict[str, Any] | None = None,
                  scope: str | None = None, raw: bool = True) -> str:
        """Subscribe a new queue, known as ``queue``, to ``topic_arn``; return the subscription ARN."""
        url, queue_arn = self.create_queue(topic_arn)
        attributes = {"RawMessageDelivery": "true" if raw else "false"}
        if policy is not None:
            attributes["FilterPolicy"] = json.dumps(policy)
        if scope is not None:
            attributes["FilterPolicyScope"] = scope
        arn = self.sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self.cleanup.add(f"unsubscribe queue {queue}", self.sns.unsubscribe, SubscriptionArn=arn)
        self.queue_urls[queue] = url
        self.subscription_arns[queue] = arn
        self.inbox[queue] = []
        return arn

    # objects -----------------------------------------------------------------------
    def put(self, bucket: str, key: str, body: bytes = b"payload") -> dict[str, Any]:
        return self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    # reading queues ----------------------------------------------------------------
    def drain(self, queue: str) -> None:
        """Receive and delete every message now in ``queue``, keeping the S3 events in its inbox.

        WaitTimeSeconds=0, because long polling never returns under a frozen virtual clock.
        """
        url = self.queue_urls[queue]
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return
            for message in messages:
                delivery = parse_delivery(message["Body"], message.get("MessageAttributes"))
                if delivery is not None:
                    self.inbox[queue].append(delivery)
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ])

    def received(self, queue: str, keys: Iterable[str]) -> dict[str, list[Delivery]]:
        """Return the deliveries in ``queue``'s inbox for each of ``keys`` that arrived, by decoded key."""
        expected = set(keys)
        found: dict[str, list[Delivery]] = {}
        for delivery in self.inbox[queue]:
            if delivery.key in expected:
                found.setdefault(delivery.key, []).append(delivery)
        return found

    def wait_for(self, queue: str, keys: Iterable[str], eventually: Callable[..., Any],
                 timing: Timing) -> dict[str, list[Delivery]]:
        """Drain ``queue`` until an event for every key in ``keys`` has arrived; return them by key."""
        expected = set(keys)

        def probe() -> dict[str, list[Delivery]]:
            self.drain(queue)
            return self.received(queue, expected)

        return eventually(
            probe, until=lambda found: set(found) >= expected, timeout=timing.delivery, interval=timing.interval,
            what=f"S3 events for keys {sorted(expected)} in queue {queue!r}",
        )

    def watch(self, queues: Iterable[str], clock: Clock, timing: Timing) -> None:
        """Drain ``queues`` for ``timing.quiet`` seconds, so late deliveries reach their inboxes."""
        queues = list(queues)
        deadline = clock.now() + timing.quiet
        while True:
            for queue in queues:
                self.drain(queue)
            if clock.now() >= deadline:
                return
            clock.wait(min(timing.interval, max(deadline - clock.now(), 0.001)))
