"""Deploy SES -> SNS -> SQS -> Lambda -> MySQL and check what each stage produced.

The deployment consists of an SNS topic and a verified sender identity with a
configuration set whose SNS event destination is the topic. A queue with a dead-letter
queue is subscribed to the topic without raw message delivery. The consumer function
(consumer/handler.py with PyMySQL vendored) reads the queue through an SQS event source
mapping with ReportBatchItemFailures. The check functions return a list of problems, so that the compliance tests and the harness's
own tests judge the same evidence the same way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pymysql
from botocore.exceptions import ClientError

from fixtures.backends import Backend
from fixtures.database import MySQLUrl, create_database, drop_database
from fixtures.naming import Names
from fixtures.packaging import build_zip
from fixtures.resources import Cleanup, allow_topic_to_send, record_known_leftover
from scenarios.ses_activity.consumer import handler as consumer
from scenarios.ses_activity.sample_events import load_ses_event, sns_notification, with_message

logger = logging.getLogger(__name__)

CONSUMER_DIR = Path(__file__).resolve().parent / "consumer"
CONSUMER_HANDLER = "handler.handler"
CONSUMER_RUNTIME = "python3.12"
PYMYSQL_REQUIREMENT = "pymysql==1.1.1"

# Lambda advises a queue visibility timeout of at least six times the function timeout
# (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). The function
# timeout is short because the redrive of a malformed message waits for the visibility
# timeout once per receive.
FUNCTION_TIMEOUT = 3
VISIBILITY_TIMEOUT = 6 * FUNCTION_TIMEOUT
# AWS advises a maxReceiveCount of at least 5 for Lambda consumers. 2 keeps the wait for
# the dead-letter queue near three visibility timeouts.
MAX_RECEIVE_COUNT = 2
BATCH_SIZE = 10

SENDER = "sender@example.com"
SIMULATOR = {
    "success": "success@simulator.amazonses.com",
    "bounce": "bounce@simulator.amazonses.com",
    "complaint": "complaint@simulator.amazonses.com",
}
MESSAGE_TAG = ("campaign", "claims-ses-activity")

# Event types that SES publishes for mail to each simulator address: every message gets
# a Send event, and the address decides the outcome.
EXPECTED_SIMULATOR_EVENTS = {
    "success": ("Send", "Delivery"),
    "bounce": ("Send", "Bounce"),
    "complaint": ("Send", "Complaint"),
}

# The object that carries the details of each event type
# (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html).
DETAIL_OBJECTS = {
    "Send": "send",
    "Delivery": "delivery",
    "Bounce": "bounce",
    "Complaint": "complaint",
    "Reject": "reject",
    "Open": "open",
    "Click": "click",
    "Rendering Failure": "failure",
    "DeliveryDelay": "deliveryDelay",
    "Subscription": "subscription",
}
MAIL_FIELDS = {
    "timestamp": str,
    "messageId": str,
    "source": str,
    "destination": list,
    "commonHeaders": dict,
    "tags": dict,
}

EVENT_DESTINATION_TYPES = ["send", "reject", "bounce", "complaint", "delivery"]


# Events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SesEvent:
    """An SES sending event with one recipient, and the row the consumer must store for it."""

    event: dict[str, Any]
    event_type: str
    ses_message_id: str
    recipient: str
    timestamp: datetime

    @property
    def raw_json(self) -> str:
        return json.dumps(self.event, sort_keys=True)


@dataclass(frozen=True)
class PublishedEvent:
    """An SES event and the MessageId of the SNS notification that carries it."""

    ses_event: SesEvent
    sns_message_id: str


def make_event(kind: str, *, ses_message_id: str, recipient: str, mail_timestamp: str,
               event_timestamp: str | None = None, bounce_type: str = "Permanent") -> SesEvent:
    """Build an SES event of ``kind`` (send, delivery, bounce, complaint) for one recipient.

    The layout is that of events/<kind>.json. Timestamps are ISO 8601 strings in UTC.
    Send events have no timestamp of their own, so the row's timestamp is the mail's.
    """
    event = with_message(load_ses_event(kind), message_id=ses_message_id,
                         destination=[recipient], timestamp=mail_timestamp)
    event["mail"]["commonHeaders"]["to"] = [recipient]
    own_timestamp = event_timestamp or mail_timestamp
    if kind == "delivery":
        event["delivery"]["recipients"] = [recipient]
        event["delivery"]["timestamp"] = own_timestamp
    elif kind == "bounce":
        event["bounce"]["bouncedRecipients"][0]["emailAddress"] = recipient
        event["bounce"]["bounceType"] = bounce_type
        event["bounce"]["timestamp"] = own_timestamp
    elif kind == "complaint":
        event["complaint"]["complainedRecipients"][0]["emailAddress"] = recipient
        event["complaint"]["timestamp"] = own_timestamp
    else:
        own_timestamp = mail_timestamp
    return SesEvent(
        event=event,
        event_type=event["eventType"],
        ses_message_id=ses_message_id,
        recipient=recipient,
        timestamp=utc_naive(own_timestamp),
    )


def utc_naive(timestamp: str) -> datetime:
    """Parse an ISO 8601 UTC timestamp into the naive UTC datetime a DATETIME column returns."""
    parsed = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


# Checks -----------------------------------------------------------------------------


def event_shape_problems(event: Any, *, tag: tuple[str, str] = MESSAGE_TAG) -> list[str]:
    """Return how a published SES event differs from the documented layout, [] when it matches."""
    if not isinstance(event, dict):
        return [f"the event is not a JSON object: {event!r}"]
    event_type = event.get("eventType")
    if event_type not in DETAIL_OBJECTS:
        return [f"eventType {event_type!r} is not one of {sorted(DETAIL_OBJECTS)}"]

    label = f"{event_type} event"
    problems = []
    mail = event.get("mail")
    if not isinstance(mail, dict):
        return problems + [f"{label}: mail is missing or not an object: {mail!r}"]
    for name, expected_type in MAIL_FIELDS.items():
        value = mail.get(name)
        if not isinstance(value, expected_type):
            problems.append(f"{label}: mail.{name} is missing or not a {expected_type.__name__}: {value!r}")
    tags = mail.get("tags")
    tag_name, tag_value = tag
    if isinstance(tags, dict) and tags.get(tag_name) != [tag_value]:
        problems.append(f"{label}: mail.tags[{tag_name!r}] is {tags.get(tag_name)!r}, expected [{tag_value!r}]")

    detail_key = DETAIL_OBJECTS[event_type]
    if not isinstance(event.get(detail_key), dict):
        problems.append(f"{label}: the {detail_key} object is missing or not an object: {event.get(detail_key)!r}")
    return problems


def stored_once_problems(published: list[PublishedEvent], rows: list[dict[str, Any]]) -> list[str]:
    """Return how the stored rows differ from one row per published event, [] when they match.

    ``rows`` may contain rows of other events. Rows are matched to an event by SES
    message id and event type, so a duplicate shows as a second match.
    """
    problems = []
    for item in published:
        expected = item.ses_event
        label = f"{expected.event_type} event of message {expected.ses_message_id} (SNS {item.sns_message_id})"
        matches = [
            row for row in rows
            if row["ses_message_id"] == expected.ses_message_id and row["event_type"] == expected.event_type
        ]
        if len(matches) != 1:
            problems.append(f"{label}: {len(matches)} rows stored, expected exactly 1")
            continue
        row = matches[0]
        actual_fields = {
            "sns_message_id": row["sns_message_id"],
            "recipient": row["recipient"],
            "event_timestamp": row["event_timestamp"],
            "raw_json": json.loads(row["raw_json"]),
        }
        expected_fields = {
            "sns_message_id": item.sns_message_id,
            "recipient": expected.recipient,
            "event_timestamp": expected.timestamp,
            "raw_json": expected.event,
        }
        for name, value in expected_fields.items():
            if actual_fields[name] != value:
                problems.append(f"{label}: {name} is {actual_fields[name]!r}, expected {value!r}")
    return problems


# Database ---------------------------------------------------------------------------


def prepare_database(server_url: MySQLUrl) -> MySQLUrl:
    """Create an empty database with the consumer's schema on the server and return its URL."""
    url = create_database(server_url)
    try:
        with url.connect() as connection:
            consumer.apply_schema(connection)
    except BaseException:
        drop_database(url)
        raise
    return url


def fetch_rows(url: MySQLUrl, ses_message_ids: list[str]) -> list[dict[str, Any]]:
    """Return the rows of ses_events for the given SES message ids, in insert order."""
    if not ses_message_ids:
        return []
    placeholders = ", ".join(["%s"] * len(ses_message_ids))
    with url.connect() as connection, connection.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(
            "SELECT sns_message_id, event_type, ses_message_id, recipient, event_timestamp, raw_json "
            f"FROM ses_events WHERE ses_message_id IN ({placeholders}) ORDER BY id",
            ses_message_ids,
        )
        return list(cursor.fetchall())


def run_report(url: MySQLUrl, name: str, since: datetime, until: datetime) -> dict[str, Any]:
    """Run a named report of consumer/rates.sql over [since, until) and return its one row."""
    with url.connect() as connection, connection.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(consumer.REPORTS[name], {"since": since, "until": until})
        return cursor.fetchone()


# Deployment -------------------------------------------------------------------------


@dataclass
class SesActivityScenario:
    """The deployed pattern on one backend; every resource gets a cleanup entry when created."""

    backend: Backend
    names: Names
    cleanup: Cleanup
    topic_arn: str = ""
    queue_url: str = ""
    queue_arn: str = ""
    dlq_url: str = ""
    dlq_arn: str = ""
    function_name: str = ""
    configuration_set: str = ""
    observer_url: str = ""
    observed: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sns = self.backend.client("sns")
        self.sqs = self.backend.client("sqs")

    # topic, SES and queues ---------------------------------------------------------

    def deploy_topic(self) -> None:
        name = self.names.unique("ses-events", max_length=256)
        self.topic_arn = self.sns.create_topic(Name=name)["TopicArn"]
        self.cleanup.add(f"delete topic {name}", self.sns.delete_topic, TopicArn=self.topic_arn)

    def deploy_ses(self) -> None:
        """Verify the sender and send the configuration set's events to the topic.

        Run it before the queues are subscribed: SES publishes a validation message to the
        topic when the destination is added (measured on LocalStack), and the consumer
        would reject that message as malformed.
        """
        ses = self.backend.client("ses")
        ses.verify_email_identity(EmailAddress=SENDER)
        self.cleanup.add(f"delete identity {SENDER}", ses.delete_identity, Identity=SENDER)

        self.configuration_set = self.names.unique("ses-config", max_length=64)
        ses.create_configuration_set(ConfigurationSet={"Name": self.configuration_set})
        self.cleanup.add(f"delete configuration set {self.configuration_set}", ses.delete_configuration_set,
                         ConfigurationSetName=self.configuration_set)
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=self.configuration_set,
            EventDestination={
                "Name": "to-sns",
                "Enabled": True,
                "MatchingEventTypes": EVENT_DESTINATION_TYPES,
                "SNSDestination": {"TopicARN": self.topic_arn},
            },
        )
        self.cleanup.add("delete event destination to-sns", ses.delete_configuration_set_event_destination,
                         ConfigurationSetName=self.configuration_set, EventDestinationName="to-sns")

    def deploy_queues(self) -> None:
        """Create the dead-letter queue and the source queue, and subscribe the source queue."""
        self.dlq_url, self.dlq_arn = self._create_queue("ses-events-dlq")
        redrive = {"deadLetterTargetArn": self.dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
        self.queue_url, self.queue_arn = self._create_queue(
            "ses-events", VisibilityTimeout=str(VISIBILITY_TIMEOUT), RedrivePolicy=json.dumps(redrive),
        )
        self._subscribe(self.queue_url, self.queue_arn)

    def deploy_observer(self) -> None:
        """Subscribe a second queue that only the tests read, so they see what SES published."""
        self.observer_url, observer_arn = self._create_queue("ses-observer")
        self._subscribe(self.observer_url, observer_arn)

    def _create_queue(self, kind: str, **attributes: str) -> tuple[str, str]:
        name = self.names.unique(kind, max_length=80)
        kwargs: dict[str, Any] = {"QueueName": name}
        if attributes:
            kwargs["Attributes"] = attributes
        url = self.sqs.create_queue(**kwargs)["QueueUrl"]
        self.cleanup.add(f"delete queue {name}", self.sqs.delete_queue, QueueUrl=url)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def _subscribe(self, queue_url: str, queue_arn: str) -> None:
        allow_topic_to_send(self.sqs, queue_url, queue_arn, self.topic_arn)
        arn = self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.cleanup.add(f"unsubscribe {queue_arn}", self.sns.unsubscribe, SubscriptionArn=arn)

    # consumer ----------------------------------------------------------------------

    def deploy_function(self, database_url: MySQLUrl | None) -> None:
        """Create the execution role and the consumer function.

        Without ``database_url`` the function has no DATABASE_URL and must not be invoked.
        """
        iam = self.backend.client("iam")
        role_name = self.names.unique("ses-consumer-role", max_length=64)
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        self.cleanup.add(f"delete role {role_name}", iam.delete_role, RoleName=role_name)
        # The permissions an SQS event source mapping needs on the source queue
        # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
        permissions = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Resource": self.queue_arn,
                 "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]},
                {"Effect": "Allow", "Resource": "*",
                 "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]},
            ],
        }
        iam.put_role_policy(RoleName=role_name, PolicyName="consume-queue", PolicyDocument=json.dumps(permissions))
        self.cleanup.add(f"delete policy of role {role_name}", iam.delete_role_policy,
                         RoleName=role_name, PolicyName="consume-queue")

        variables = {"LOG_LEVEL": "INFO"}
        if database_url is not None:
            variables[consumer.DATABASE_URL_ENV] = database_url.render()
            self.backend.recorder.redactor.add_secret(database_url.password)
        lambda_client = self.backend.client("lambda")
        self.function_name = self.names.unique("ses-consumer", max_length=64)
        lambda_client.create_function(
            FunctionName=self.function_name,
            Runtime=CONSUMER_RUNTIME,
            Handler=CONSUMER_HANDLER,
            Role=role_arn,
            Code={"ZipFile": build_zip(CONSUMER_DIR, [PYMYSQL_REQUIREMENT])},
            Timeout=FUNCTION_TIMEOUT,
            Environment={"Variables": variables},
        )
        # Lambda creates the function's log group on first invoke; it goes after the function.
        logs = self.backend.client("logs")
        self.cleanup.add(f"delete log group of {self.function_name}", logs.delete_log_group,
                         logGroupName=f"/aws/lambda/{self.function_name}")
        self.cleanup.add(f"delete function {self.function_name}", self._delete_function, self.function_name)

    def _delete_function(self, name: str) -> None:
        try:
            self.backend.client("lambda").delete_function(FunctionName=name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            # NOTE: LocalStack core 2026.3.0 without Docker returns HTTP
            # 500 InternalError to DeleteFunction of a function it could not start. The function stays until
            # the emulator stops. Any other backend or error still fails the teardown.
            if code != "InternalError" or "lambda.execute" in self.backend.capabilities:
                raise
            logger.warning("DeleteFunction %s failed with %s on %s, which cannot run Lambda code. "
                           "The function stays until the emulator stops.", name, code, self.backend.name)
            record_known_leftover(name, f"{self.backend.name} rejects DeleteFunction of a function it could not start")

    def connect_event_source(self) -> None:
        """Let Lambda poll the queue and invoke the function, with partial batch responses."""
        lambda_client = self.backend.client("lambda")
        lambda_client.get_waiter("function_active_v2").wait(
            FunctionName=self.function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60},
        )
        mapping = lambda_client.create_event_source_mapping(
            EventSourceArn=self.queue_arn,
            FunctionName=self.function_name,
            BatchSize=BATCH_SIZE,
            MaximumBatchingWindowInSeconds=0,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
        self.cleanup.add(f"delete event source mapping {mapping['UUID']}",
                         lambda_client.delete_event_source_mapping, UUID=mapping["UUID"])

    # traffic -----------------------------------------------------------------------

    def send_to_simulator(self) -> dict[str, str]:
        """Send one message with the configuration set to each simulator address.

        Returns the SES message id of each outcome (success, bounce, complaint).
        """
        ses = self.backend.client("ses")
        message_ids = {}
        for outcome, address in SIMULATOR.items():
            response = ses.send_email(
                Source=SENDER,
                Destination={"ToAddresses": [address]},
                Message={"Subject": {"Data": f"Claims suite: {outcome}"},
                         "Body": {"Text": {"Data": "Sent by the SES activity claims."}}},
                ConfigurationSetName=self.configuration_set,
                Tags=[{"Name": MESSAGE_TAG[0], "Value": MESSAGE_TAG[1]}],
            )
            message_ids[outcome] = response["MessageId"]
        return message_ids

    def read_observer(self) -> list[dict[str, Any]]:
        """Move the SES events that reached the observer queue into ``observed``; return them all.

        Messages whose Message is not a JSON object, such as SES's validation message, are
        skipped.
        """
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.observer_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return self.observed
            for message in messages:
                notification = json.loads(message["Body"])
                try:
                    event = json.loads(notification.get("Message", ""))
                except ValueError:
                    event = None
                if isinstance(event, dict):
                    self.observed.append(event)
                self.sqs.delete_message(QueueUrl=self.observer_url, ReceiptHandle=message["ReceiptHandle"])

    def publish(self, events: list[SesEvent]) -> list[PublishedEvent]:
        """Publish each event to the topic as SES does, and return the notification ids."""
        published = []
        for ses_event in events:
            response = self.sns.publish(TopicArn=self.topic_arn, Message=ses_event.raw_json)
            published.append(PublishedEvent(ses_event, response["MessageId"]))
        return published

    def notification_body(self, item: PublishedEvent) -> str:
        """Return the SQS message body of ``item``'s notification, as SNS delivers it again."""
        return json.dumps(sns_notification(item.ses_event.raw_json, message_id=item.sns_message_id,
                                           topic_arn=self.topic_arn))

    def send_bodies(self, bodies: list[str]) -> None:
        """Send the bodies to the source queue in one SendMessageBatch."""
        entries = [{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)]
        response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        if response.get("Failed"):
            raise AssertionError(f"SendMessageBatch to {self.queue_url} failed for {response['Failed']!r}")

    def queue_counts(self, url: str) -> dict[str, int]:
        """Return the approximate numbers of visible, in-flight and delayed messages of a queue."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return {name: int(attributes.get(name, "0")) for name in names}

    def peek_dead_letters(self) -> list[dict[str, Any]]:
        """Receive the dead-letter queue's messages with visibility 0, so they stay available."""
        return self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])

    def timeouts(self) -> tuple[int, int]:
        """Return the source queue's visibility timeout and the function's timeout, in seconds."""
        visibility = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"]
        configuration = self.backend.client("lambda").get_function_configuration(FunctionName=self.function_name)
        return int(visibility), int(configuration["Timeout"])
