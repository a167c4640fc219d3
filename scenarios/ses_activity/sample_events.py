"""Sample SES sending events and the SNS and SQS wrappers around them.

events/*.json are SES event records (send, delivery, bounce, complaint) of one message
sent to two addresses. One address received it and later complained, and the other
bounced. They follow the record layout of
https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html
with invented ids and addresses. The wrappers build the SNS notification that an SQS
subscription without raw message delivery receives, whose fields are those of
https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html, and the SQS
event that Lambda passes to the consumer.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent / "events"
SAMPLE_NAMES = ("send", "delivery", "bounce", "complaint")

REGION = "us-east-1"
ACCOUNT_ID = "111122223333"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:claims-ses-activity"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:claims-ses-activity"


def load_ses_event(name: str) -> dict[str, Any]:
    """Return a fresh copy of the sample event events/<name>.json."""
    if name not in SAMPLE_NAMES:
        raise ValueError(f"Unknown sample event {name!r}: use one of {', '.join(SAMPLE_NAMES)}.")
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def with_message(event: dict[str, Any], *, message_id: str, destination: list[str] | None = None,
                 timestamp: str | None = None) -> dict[str, Any]:
    """Return a copy of an SES event whose mail object has another message id and fields."""
    changed = copy.deepcopy(event)
    changed["mail"]["messageId"] = message_id
    changed["mail"]["commonHeaders"]["messageId"] = message_id
    if destination is not None:
        changed["mail"]["destination"] = list(destination)
    if timestamp is not None:
        changed["mail"]["timestamp"] = timestamp
    return changed


def sns_notification(message: dict[str, Any] | str, *, message_id: str | None = None,
                     topic_arn: str = TOPIC_ARN) -> dict[str, Any]:
    """Wrap an SES event (a dict, or JSON text sent as is) in an SNS notification."""
    text = message if isinstance(message, str) else json.dumps(message)
    return {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": text,
        "Timestamp": "2024-03-11T09:15:45.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-not-a-real-signature",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
        "UnsubscribeURL": (
            "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
            f"&SubscriptionArn={topic_arn}:00000000-0000-0000-0000-000000000000"
        ),
    }


def sqs_record(body: dict[str, Any] | str, *, message_id: str | None = None) -> dict[str, Any]:
    """Build one record of a Lambda SQS event. A dict body is serialised as JSON."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"AQEB{uuid.uuid4().hex}",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1710148545000",
            "SenderId": "AIDAEXAMPLEEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1710148545010",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode()).hexdigest(),  # noqa: S324 - SQS's checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    """Build the Lambda invocation event for a batch of SQS records."""
    return {"Records": list(records)}
