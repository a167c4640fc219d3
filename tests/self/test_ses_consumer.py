"""Tests of the SES activity consumer (SQS -> Lambda -> MySQL) against a real server.

Parsing tests need no database. Tests that take the ses_database fixture use the
session's MariaDB or MySQL server and skip when there is none.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
from datetime import datetime
from decimal import Decimal

import pymysql
import pytest

from scenarios.ses_activity import sample_events
from scenarios.ses_activity.consumer import handler as consumer
from scenarios.ses_activity.sample_events import (
    load_ses_event,
    sns_notification,
    sqs_event,
    sqs_record,
    with_message,
)

SAMPLE_MESSAGE_ID = "0100018e2a7c1f3b-5d1e0c2a-9b44-4f6e-8a21-3c9d7e6b5a10-000000"
ANA = "ana.lopez@example.net"
BO = "bo.chen@example.org"


@pytest.fixture
def ses_database(mysql_database, monkeypatch):
    """A fresh database with the consumer's schema, named by DATABASE_URL."""
    with mysql_database.connect() as connection:
        consumer.apply_schema(connection)
    monkeypatch.setenv(consumer.DATABASE_URL_ENV, mysql_database.render())
    yield mysql_database
    consumer.close_connection()


def fetch_rows(url, columns="event_type, recipient"):
    with url.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM ses_events ORDER BY id")
        return cursor.fetchall()


def run_report(url, name, since, until):
    with url.connect() as connection:
        with connection.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute(consumer.REPORTS[name], {"since": since, "until": until})
            return cursor.fetchall()


def record_for(event, *, sns_message_id=None, sqs_message_id=None):
    return sqs_record(sns_notification(event, message_id=sns_message_id), message_id=sqs_message_id)


def closed_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Parsing, without a database


@pytest.mark.parametrize(
    ("name", "event_type", "recipients", "event_timestamp", "bounce_type"),
    [
        ("send", "Send", [ANA, BO], datetime(2024, 3, 11, 9, 15, 42, 118000), None),
        ("delivery", "Delivery", [ANA], datetime(2024, 3, 11, 9, 15, 43, 905000), None),
        ("bounce", "Bounce", [BO], datetime(2024, 3, 11, 9, 15, 44, 562000), "Permanent"),
        ("complaint", "Complaint", [ANA], datetime(2024, 3, 11, 11, 2, 7), None),
    ],
)
def test_parse_sample_event(name, event_type, recipients, event_timestamp, bounce_type):
    record = record_for(load_ses_event(name), sns_message_id="sns-1")

    rows = consumer.parse_sqs_record(record)

    assert [row.recipient for row in rows] == recipients
    for row in rows:
        assert row.event_type == event_type
        assert row.sns_message_id == "sns-1"
        assert row.ses_message_id == SAMPLE_MESSAGE_ID
        assert row.event_timestamp == event_timestamp
        assert row.mail_timestamp == datetime(2024, 3, 11, 9, 15, 42, 118000)
        assert row.bounce_type == bounce_type
        assert json.loads(row.raw_json) == load_ses_event(name)


def test_parse_open_event_has_empty_recipient():
    event = load_ses_event("send")
    del event["send"]
    event["eventType"] = "Open"
    event["open"] = {
        "ipAddress": "192.0.2.1",
        "timestamp": "2024-03-11T10:00:00.000Z",
        "userAgent": "ExampleMail/1.0",
    }

    rows = consumer.parse_sqs_record(record_for(event))

    assert [row.recipient for row in rows] == [""]
    assert rows[0].event_timestamp == datetime(2024, 3, 11, 10, 0)


def test_parse_unknown_event_type_kept():
    event = load_ses_event("send")
    event["eventType"] = "FutureEvent"

    rows = consumer.parse_sqs_record(record_for(event))

    assert [(row.event_type, row.recipient) for row in rows] == [("FutureEvent", "")]


def test_parse_notification_type_accepted():
    event = load_ses_event("bounce")
    event["notificationType"] = event.pop("eventType")

    rows = consumer.parse_sqs_record(record_for(event))

    assert [(row.event_type, row.recipient) for row in rows] == [("Bounce", BO)]


def test_parse_repeated_recipient_once():
    event = load_ses_event("bounce")
    event["bounce"]["bouncedRecipients"].append({"emailAddress": BO, "status": "5.1.1"})

    rows = consumer.parse_sqs_record(record_for(event))

    assert [row.recipient for row in rows] == [BO]


def test_parse_empty_recipient_list_keeps_event():
    event = load_ses_event("send")
    event["mail"]["destination"] = []

    rows = consumer.parse_sqs_record(record_for(event))

    assert [row.recipient for row in rows] == [""]


def _without(event, *path):
    changed = copy.deepcopy(event)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


def _with(event, value, *path):
    changed = copy.deepcopy(event)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


BOUNCE = load_ses_event("bounce")
MALFORMED_BODIES = {
    "body not JSON": ("{not json", "is not valid JSON"),
    "body a JSON list": ("[]", "must be a JSON object, got list"),
    "not a notification": (json.dumps({"Type": "SubscriptionConfirmation"}), "Type is 'SubscriptionConfirmation'"),
    "raw SES event": (json.dumps(BOUNCE), "raw message delivery"),
    "no MessageId": (json.dumps(_without(sns_notification(BOUNCE), "MessageId")), "SNS MessageId"),
    "Message not JSON": (json.dumps(sns_notification("plain text")), "is not valid JSON"),
    "Message with NaN": (json.dumps(sns_notification('{"eventType": NaN}')), "NaN"),
    "no eventType": (json.dumps(sns_notification(_without(BOUNCE, "eventType"))), "no eventType"),
    "no mail": (json.dumps(sns_notification(_without(BOUNCE, "mail"))), "no mail object"),
    "no mail.messageId": (
        json.dumps(sns_notification(_without(BOUNCE, "mail", "messageId"))),
        "mail.messageId",
    ),
    "bad mail.timestamp": (
        json.dumps(sns_notification(_with(BOUNCE, "yesterday", "mail", "timestamp"))),
        "not an ISO 8601 timestamp",
    ),
    "timestamp without zone": (
        json.dumps(sns_notification(_with(BOUNCE, "2024-03-11T09:15:42", "mail", "timestamp"))),
        "no time zone",
    ),
    "no bounce object": (json.dumps(sns_notification(_without(BOUNCE, "bounce"))), "no bounce object"),
    "recipients not a list": (
        json.dumps(sns_notification(_with(BOUNCE, "bo@example.org", "bounce", "bouncedRecipients"))),
        "is not a list",
    ),
    "recipient without address": (
        json.dumps(sns_notification(_with(BOUNCE, [{"status": "5.1.1"}], "bounce", "bouncedRecipients"))),
        "invalid item",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_BODIES))
def test_parse_rejects_malformed_body(case):
    body, expected = MALFORMED_BODIES[case]

    with pytest.raises(consumer.MalformedMessage) as error:
        consumer.parse_sqs_record(sqs_record(body))

    assert expected in str(error.value)


def test_database_url_parsed():
    settings = consumer.parse_database_url("mysql://app:p%40ss@127.0.0.1:33061/claims_x")

    assert settings == {
        "host": "127.0.0.1",
        "port": 33061,
        "user": "app",
        "password": "p@ss",
        "database": "claims_x",
    }


@pytest.mark.parametrize(
    "url",
    [None, "", "postgres://app:pw@127.0.0.1/claims", "mysql://app:pw@127.0.0.1:3306", "mysql://app:pw@127.0.0.1:0/x"],
)
def test_database_url_rejected(url):
    with pytest.raises(consumer.InvalidDatabaseUrl) as error:
        consumer.parse_database_url(url)

    assert consumer.DATABASE_URL_ENV in str(error.value)
    assert ":pw@" not in str(error.value)


def test_named_queries_loaded():
    assert set(consumer.STATEMENTS) == {"insert_event"}
    assert set(consumer.REPORTS) == {"bounce_rate", "complaint_rate", "events_by_type"}
    assert consumer.STATEMENTS["insert_event"].startswith("INSERT INTO ses_events")
    assert consumer.REPORTS["bounce_rate"].startswith("SELECT")


# Storage in a real database


def test_handler_stores_delivery_event(ses_database):
    record = record_for(load_ses_event("delivery"), sns_message_id="sns-delivery")

    response = consumer.handler(sqs_event(record), None)

    assert response == {"batchItemFailures": []}
    rows = fetch_rows(
        ses_database,
        "sns_message_id, event_type, ses_message_id, recipient, event_timestamp, "
        "mail_timestamp, bounce_type, JSON_VALUE(raw_json, '$.delivery.smtpResponse')",
    )
    assert rows == (
        (
            "sns-delivery",
            "Delivery",
            SAMPLE_MESSAGE_ID,
            ANA,
            datetime(2024, 3, 11, 9, 15, 43, 905000),
            datetime(2024, 3, 11, 9, 15, 42, 118000),
            None,
            "250 2.0.0 OK queued as 4Tv9Xk1QzPz3",
        ),
    )


def test_handler_stores_one_row_per_recipient(ses_database):
    response = consumer.handler(sqs_event(record_for(load_ses_event("send"))), None)

    assert response == {"batchItemFailures": []}
    assert fetch_rows(ses_database) == (("Send", ANA), ("Send", BO))


def test_handler_stores_all_sample_events(ses_database):
    records = [record_for(load_ses_event(name)) for name in sample_events.SAMPLE_NAMES]

    response = consumer.handler(sqs_event(*records), None)

    assert response == {"batchItemFailures": []}
    assert fetch_rows(ses_database) == (
        ("Send", ANA),
        ("Send", BO),
        ("Delivery", ANA),
        ("Bounce", BO),
        ("Complaint", ANA),
    )


def test_handler_stores_redelivered_notification_once(ses_database, caplog):
    notification = sns_notification(load_ses_event("send"), message_id="sns-redelivered")
    first = sqs_record(notification, message_id="sqs-1")
    second = sqs_record(notification, message_id="sqs-2")

    with caplog.at_level(logging.INFO, logger=consumer.logger.name):
        first_response = consumer.handler(sqs_event(first, second), None)
        second_response = consumer.handler(sqs_event(first), None)

    assert first_response == {"batchItemFailures": []}
    assert second_response == {"batchItemFailures": []}
    assert fetch_rows(ses_database) == (("Send", ANA), ("Send", BO))
    assert "2 rows inserted, 2 duplicate rows skipped" in caplog.text
    assert "0 rows inserted, 2 duplicate rows skipped" in caplog.text


def test_handler_stores_same_event_from_other_notification(ses_database):
    """Two notifications with different SNS MessageIds are two deliveries, so both are kept."""
    event = load_ses_event("bounce")

    consumer.handler(sqs_event(record_for(event, sns_message_id="sns-a")), None)
    consumer.handler(sqs_event(record_for(event, sns_message_id="sns-b")), None)

    assert fetch_rows(ses_database, "sns_message_id, recipient") == (("sns-a", BO), ("sns-b", BO))


def test_handler_stores_good_records_beside_malformed(ses_database, caplog):
    good_send = record_for(load_ses_event("send"), sqs_message_id="good-send")
    not_json = sqs_record("{not json", message_id="bad-not-json")
    good_bounce = record_for(load_ses_event("bounce"), sqs_message_id="good-bounce")
    no_type = sqs_record(sns_notification(_without(BOUNCE, "eventType")), message_id="bad-no-type")

    with caplog.at_level(logging.ERROR, logger=consumer.logger.name):
        response = consumer.handler(sqs_event(good_send, not_json, good_bounce, no_type), None)

    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "bad-not-json"},
            {"itemIdentifier": "bad-no-type"},
        ]
    }
    assert fetch_rows(ses_database) == (("Send", ANA), ("Send", BO), ("Bounce", BO))
    assert "Rejected SQS message bad-not-json" in caplog.text
    assert "Rejected SQS message bad-no-type" in caplog.text


def test_handler_stores_nothing_of_record_with_data_error(ses_database, caplog):
    """A value too long for its column fails that message alone, with none of its rows kept."""
    too_long = "x" * 330 + "@example.com"
    bad_event = with_message(
        load_ses_event("send"), message_id="too-long-message", destination=[ANA, too_long]
    )
    bad = record_for(bad_event, sqs_message_id="bad-too-long")
    good = record_for(load_ses_event("delivery"), sqs_message_id="good-delivery")

    with caplog.at_level(logging.ERROR, logger=consumer.logger.name):
        response = consumer.handler(sqs_event(bad, good), None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "bad-too-long"}]}
    assert fetch_rows(ses_database) == (("Delivery", ANA),)
    assert "Storing SQS message bad-too-long failed" in caplog.text


def test_handler_raises_when_database_unreachable(monkeypatch):
    consumer.close_connection()
    monkeypatch.setenv(
        consumer.DATABASE_URL_ENV, f"mysql://claims:testing@127.0.0.1:{closed_loopback_port()}/claims"
    )

    with pytest.raises(pymysql.err.OperationalError):
        consumer.handler(sqs_event(record_for(load_ses_event("send"))), None)


def test_handler_raises_without_database_url(monkeypatch):
    consumer.close_connection()
    monkeypatch.delenv(consumer.DATABASE_URL_ENV, raising=False)

    with pytest.raises(consumer.InvalidDatabaseUrl, match="is not set"):
        consumer.handler(sqs_event(record_for(load_ses_event("send"))), None)


def test_handler_reconnects_after_server_closed_connection(ses_database):
    consumer.handler(sqs_event(record_for(load_ses_event("send"))), None)
    first_thread = consumer.get_connection().thread_id()
    with ses_database.connect(autocommit=True) as other, other.cursor() as cursor:
        cursor.execute(f"KILL {first_thread}")

    response = consumer.handler(sqs_event(record_for(load_ses_event("bounce"))), None)

    assert response == {"batchItemFailures": []}
    assert consumer.get_connection().thread_id() != first_thread
    assert fetch_rows(ses_database) == (("Send", ANA), ("Send", BO), ("Bounce", BO))


def test_schema_apply_twice_keeps_rows(ses_database):
    consumer.handler(sqs_event(record_for(load_ses_event("bounce"))), None)

    with ses_database.connect() as connection:
        consumer.apply_schema(connection)

    assert fetch_rows(ses_database) == (("Bounce", BO),)


# Rate queries


def _message_events(message_id, recipients, timestamp):
    """Return a Send event for ``recipients`` and a builder of later events of that message."""
    send = with_message(
        load_ses_event("send"), message_id=message_id, destination=recipients, timestamp=timestamp
    )

    def later(name, **detail_changes):
        event = with_message(
            load_ses_event(name), message_id=message_id, destination=recipients, timestamp=timestamp
        )
        event[name].update(detail_changes)
        return event

    return send, later


def test_rate_queries_per_recipient(ses_database):
    recipients = [f"user{i}@example.net" for i in range(4)]
    send, later = _message_events("msg-in-window", recipients, "2024-03-11T09:00:00.000Z")
    events = [
        send,
        later("bounce", bouncedRecipients=[{"emailAddress": recipients[0]}], bounceType="Permanent"),
        later("bounce", bouncedRecipients=[{"emailAddress": recipients[1]}], bounceType="Transient"),
        later("complaint", complainedRecipients=[{"emailAddress": recipients[2]}]),
        # A second complaint of the same recipient counts once.
        later("complaint", complainedRecipients=[{"emailAddress": recipients[2]}]),
    ]
    old_send, old_later = _message_events("msg-before-window", ["old@example.net"], "2024-03-10T09:00:00.000Z")
    events += [old_send, old_later("bounce", bouncedRecipients=[{"emailAddress": "old@example.net"}])]
    response = consumer.handler(sqs_event(*(record_for(event) for event in events)), None)
    assert response == {"batchItemFailures": []}

    window = (datetime(2024, 3, 11), datetime(2024, 3, 12))
    bounce = run_report(ses_database, "bounce_rate", *window)
    complaint = run_report(ses_database, "complaint_rate", *window)
    by_type = run_report(ses_database, "events_by_type", *window)

    assert bounce == [
        {
            "sent": 4,
            "bounced": 2,
            "hard_bounced": 1,
            "bounce_rate": Decimal("0.5000"),
            "hard_bounce_rate": Decimal("0.2500"),
        }
    ]
    assert complaint == [{"sent": 4, "complained": 1, "complaint_rate": Decimal("0.2500")}]
    assert by_type == [
        {"event_type": "Bounce", "event_rows": 2},
        {"event_type": "Complaint", "event_rows": 2},
        {"event_type": "Send", "event_rows": 4},
    ]


def test_rate_queries_empty_window_is_null(ses_database):
    consumer.handler(sqs_event(record_for(load_ses_event("send"))), None)

    window = (datetime(2030, 1, 1), datetime(2030, 1, 2))
    bounce = run_report(ses_database, "bounce_rate", *window)
    complaint = run_report(ses_database, "complaint_rate", *window)

    assert bounce[0]["sent"] == 0
    assert bounce[0]["bounce_rate"] is None
    assert complaint[0]["complaint_rate"] is None
