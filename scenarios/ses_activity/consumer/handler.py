"""Lambda function that stores Amazon SES sending events from an SQS queue in MySQL.

The queue is subscribed to the SNS topic of an SES configuration set's event destination,
without raw message delivery. Each SQS message body is therefore an SNS notification whose
``Message`` is the SES event JSON. README.md beside this file lists the fields used.

Each SQS message is stored in its own transaction. A message that cannot be parsed or
stored is reported in ``batchItemFailures`` so that SQS redelivers only that message.
This needs ``ReportBatchItemFailures`` in the event source mapping's FunctionResponseTypes
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
Connection and configuration errors raise instead, which fails the whole batch. Retrying
the batch is safe because a redelivered notification does not add a second row.

Environment:
    DATABASE_URL: ``mysql://user:password@host:port/dbname`` of the database that contains
        the ``ses_events`` table from schema.sql.
    LOG_LEVEL: logging level name, INFO by default.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql

DATABASE_URL_ENV = "DATABASE_URL"
HERE = Path(__file__).resolve().parent

logger = logging.getLogger(__name__)
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

# Detail object of each event type, and the list in it that names the recipients the
# event concerns. Items are addresses (Delivery) or objects with "emailAddress".
RECIPIENT_LISTS = {
    "Bounce": ("bounce", "bouncedRecipients"),
    "Complaint": ("complaint", "complainedRecipients"),
    "Delivery": ("delivery", "recipients"),
    "DeliveryDelay": ("deliveryDelay", "delayedRecipients"),
}

# Event types that concern every address of the message, so they get one row per
# address in mail.destination.
MESSAGE_WIDE_TYPES = frozenset({"Send", "Reject", "Rendering Failure", "Subscription"})

# Detail object of the event types whose recipients come from elsewhere. Open and Click
# do not say which recipient opened or clicked, so they get one row with recipient ''.
# So do event types that this module does not know.
DETAIL_KEYS = {
    "Send": "send",
    "Reject": "reject",
    "Open": "open",
    "Click": "click",
    "Rendering Failure": "failure",
    "Subscription": "subscription",
    **{event_type: key for event_type, (key, _) in RECIPIENT_LISTS.items()},
}


class MalformedMessage(ValueError):
    """An SQS message body is not an SNS notification that carries an SES event."""


class InvalidDatabaseUrl(ValueError):
    """DATABASE_URL is missing or malformed."""


@dataclasses.dataclass(frozen=True)
class EventRow:
    """One row of ses_events: one SES event and one recipient it concerns."""

    sns_message_id: str
    event_type: str
    ses_message_id: str
    recipient: str
    event_timestamp: datetime
    mail_timestamp: datetime
    bounce_type: str | None
    raw_json: str


def load_named_queries(path: Path) -> dict[str, str]:
    """Read the statements of a .sql file, each introduced by a ``-- name: <name>`` line.

    Comment lines right after the name line are the statement's description and are
    left out of the returned SQL. Text before the first name line is ignored.
    """
    queries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("-- name:"):
            name = stripped.removeprefix("-- name:").strip()
            if not name or name in queries:
                raise ValueError(f"Invalid or repeated query name {name!r} in {path}.")
            current = queries[name] = []
        elif current is not None and (current or not stripped.startswith("--")):
            current.append(line)
    return {name: "\n".join(lines).strip().rstrip(";").strip() for name, lines in queries.items()}


STATEMENTS = load_named_queries(HERE / "statements.sql")
REPORTS = load_named_queries(HERE / "rates.sql")


def apply_schema(connection: pymysql.connections.Connection) -> None:
    """Create the tables of schema.sql if they do not exist, and commit."""
    text = (HERE / "schema.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    with connection.cursor() as cursor:
        for statement in body.split(";\n"):
            if statement.strip():
                cursor.execute(statement)
    connection.commit()


def parse_database_url(url: str | None) -> dict[str, Any]:
    """Turn ``mysql://user:password@host:port/dbname`` into pymysql.connect() arguments."""
    if not url:
        raise InvalidDatabaseUrl(
            f"{DATABASE_URL_ENV} is not set: set it to mysql://user:password@host:port/dbname."
        )
    redacted_url = re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mysql+pymysql"):
        raise InvalidDatabaseUrl(
            f"Invalid {DATABASE_URL_ENV} {redacted_url}: the scheme must be mysql, not {parts.scheme!r}."
        )
    try:
        port = 3306 if parts.port is None else parts.port or None
    except ValueError:
        port = None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not parts.username or not database or port is None:
        raise InvalidDatabaseUrl(
            f"Invalid {DATABASE_URL_ENV} {redacted_url}: expected mysql://user:password@host:port/dbname "
            "with a host, a user, a database and a port from 1 to 65535."
        )
    return {
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username),
        "password": unquote(parts.password or ""),
        "database": database,
    }


def parse_timestamp(value: Any, field: str) -> datetime:
    """Parse an SES ISO 8601 timestamp into a naive UTC datetime for a DATETIME column."""
    if not isinstance(value, str):
        raise MalformedMessage(f"{field} must be an ISO 8601 string, got {value!r}.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMessage(f"{field} is not an ISO 8601 timestamp: {value!r}.") from None
    if parsed.tzinfo is None:
        raise MalformedMessage(f"{field} has no time zone: {value!r}.")
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, but a MySQL JSON column rejects them.
    raise MalformedMessage(f"JSON contains {name}, which is not valid JSON.")


def _load_json_object(text: Any, description: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise MalformedMessage(f"{description} must be a JSON string, got {type(text).__name__}.")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise MalformedMessage(f"{description} is not valid JSON: {error}.") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{description} must be a JSON object, got {type(value).__name__}.")
    return value


def _required_string(container: dict[str, Any], key: str, field: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedMessage(f"{field} is missing or not a non-empty string: {value!r}.")
    return value


def parse_sqs_record(record: dict[str, Any]) -> list[EventRow]:
    """Unwrap the SNS notification in an SQS record and return the rows of its SES event."""
    envelope = _load_json_object(record.get("body"), "The SQS message body")
    if envelope.get("Type") != "Notification":
        if "eventType" in envelope or "notificationType" in envelope:
            raise MalformedMessage(
                "The SQS message body is a bare SES event, not an SNS notification. Turn off "
                "raw message delivery on the SNS subscription, because the notification's "
                "MessageId is the key that drops redelivered events."
            )
        raise MalformedMessage(
            f"The SQS message body is not an SNS notification: Type is {envelope.get('Type')!r}."
        )
    sns_message_id = _required_string(envelope, "MessageId", "The SNS MessageId")
    message = envelope.get("Message")
    event = _load_json_object(message, f"The Message of SNS notification {sns_message_id}")
    return rows_from_ses_event(event, sns_message_id=sns_message_id, raw_json=message)


def rows_from_ses_event(
    event: dict[str, Any], *, sns_message_id: str, raw_json: str
) -> list[EventRow]:
    """Return one row per recipient that the SES event concerns, at least one row.

    See the module constants for which recipients each event type names.
    """
    # Event publishing names the type eventType. Identity feedback notifications, which
    # SES sends without a configuration set, name it notificationType.
    event_type = event.get("eventType", event.get("notificationType"))
    if not isinstance(event_type, str) or not event_type:
        raise MalformedMessage(f"The SES event has no eventType: {event_type!r}.")

    mail = event.get("mail")
    if not isinstance(mail, dict):
        raise MalformedMessage(f"The {event_type} event has no mail object.")
    ses_message_id = _required_string(mail, "messageId", "mail.messageId")
    mail_timestamp = parse_timestamp(mail.get("timestamp"), "mail.timestamp")

    detail_key = DETAIL_KEYS.get(event_type)
    detail = event.get(detail_key) if detail_key else None
    if detail is None and event_type in RECIPIENT_LISTS:
        raise MalformedMessage(f"The {event_type} event has no {detail_key} object.")
    if detail is not None and not isinstance(detail, dict):
        raise MalformedMessage(f"{detail_key} of the {event_type} event is not an object.")
    detail = detail or {}

    if "timestamp" in detail:
        event_timestamp = parse_timestamp(detail["timestamp"], f"{detail_key}.timestamp")
    else:
        event_timestamp = mail_timestamp

    bounce_type = detail.get("bounceType") if event_type == "Bounce" else None
    if bounce_type is not None and not isinstance(bounce_type, str):
        raise MalformedMessage(f"bounce.bounceType is not a string: {bounce_type!r}.")

    return [
        EventRow(
            sns_message_id=sns_message_id,
            event_type=event_type,
            ses_message_id=ses_message_id,
            recipient=recipient,
            event_timestamp=event_timestamp,
            mail_timestamp=mail_timestamp,
            bounce_type=bounce_type,
            raw_json=raw_json,
        )
        for recipient in recipients_of(event_type, detail, mail)
    ]


def recipients_of(event_type: str, detail: dict[str, Any], mail: dict[str, Any]) -> list[str]:
    """Return the distinct addresses an event concerns, or [''] when it names none."""
    if event_type in RECIPIENT_LISTS:
        key, list_name = RECIPIENT_LISTS[event_type]
        items = detail.get(list_name)
        field = f"{key}.{list_name}"
    elif event_type in MESSAGE_WIDE_TYPES:
        items = mail.get("destination")
        field = "mail.destination"
    else:
        return [""]

    if not isinstance(items, list):
        raise MalformedMessage(f"{field} of the {event_type} event is not a list: {items!r}.")
    addresses: list[str] = []
    for item in items:
        address = item.get("emailAddress") if isinstance(item, dict) else item
        if not isinstance(address, str) or not address:
            raise MalformedMessage(f"{field} of the {event_type} event has an invalid item {item!r}.")
        if address not in addresses:
            addresses.append(address)
    return addresses or [""]


_connection: pymysql.connections.Connection | None = None
_connection_url: str | None = None


def get_connection() -> pymysql.connections.Connection:
    """Return the connection to DATABASE_URL, reused across warm invocations.

    A cached connection is pinged first, and replaced if the server closed it. A changed
    DATABASE_URL also opens a new connection.
    """
    global _connection, _connection_url
    url = os.environ.get(DATABASE_URL_ENV)
    if _connection is not None and url == _connection_url:
        try:
            _connection.ping(reconnect=False)
            return _connection
        except pymysql.err.Error as error:
            logger.warning("The cached MySQL connection is closed (%s), reconnecting", error)

    close_connection()
    settings = parse_database_url(url)
    _connection = pymysql.connect(
        **settings,
        charset="utf8mb4",
        connect_timeout=5,
        autocommit=False,
        # Strict mode makes a value that does not fit its column raise instead of being
        # truncated, whatever the server's default sql_mode is.
        sql_mode="STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION",
        init_command="SET time_zone = '+00:00'",
    )
    _connection_url = url
    logger.info(
        "Connected to MySQL at %s:%s/%s", settings["host"], settings["port"], settings["database"]
    )
    return _connection


def close_connection() -> None:
    """Close the cached connection, if any."""
    global _connection, _connection_url
    if _connection is not None and _connection.open:
        try:
            _connection.close()
        except pymysql.MySQLError as error:
            logger.warning("Closing the MySQL connection failed: %s", error)
    _connection = None
    _connection_url = None


def store_rows(connection: pymysql.connections.Connection, rows: list[EventRow]) -> int:
    """Insert the rows in one transaction and return how many were new.

    Rows that already exist count as 0. Rolls back and re-raises on any error.
    """
    inserted = 0
    try:
        with connection.cursor() as cursor:
            for row in rows:
                inserted += cursor.execute(STATEMENTS["insert_event"], dataclasses.asdict(row))
        connection.commit()
    except Exception:
        try:
            connection.rollback()
        except pymysql.MySQLError as rollback_error:
            logger.warning("Rollback failed after an insert error: %s", rollback_error)
        raise
    return inserted


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Store the SES events of an SQS batch and return the messages that failed."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError(f"The invocation event has no Records list: keys {sorted(event)}.")

    connection = get_connection()
    failures: list[dict[str, str]] = []
    inserted = duplicates = 0
    for record in records:
        message_id = record.get("messageId", "<no messageId>")
        try:
            rows = parse_sqs_record(record)
            new_rows = store_rows(connection, rows)
        except MalformedMessage as error:
            logger.error("Rejected SQS message %s: %s", message_id, error)
            failures.append({"itemIdentifier": message_id})
            continue
        except (pymysql.err.DataError, pymysql.err.IntegrityError) as error:
            # Errors of this one message's values. Connection and schema errors are not
            # caught here and fail the whole batch.
            logger.error("Storing SQS message %s failed: %s", message_id, error)
            failures.append({"itemIdentifier": message_id})
            continue
        inserted += new_rows
        duplicates += len(rows) - new_rows

    logger.info(
        "Processed %d SQS messages: %d rows inserted, %d duplicate rows skipped, %d messages failed",
        len(records),
        inserted,
        duplicates,
        len(failures),
    )
    return {"batchItemFailures": failures}
