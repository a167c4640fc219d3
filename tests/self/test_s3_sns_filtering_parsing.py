"""Parsing of queue messages into S3 events, which the S3-to-SNS claims rely on."""

from __future__ import annotations

import json

from scenarios.s3_sns_filtering.scenario import parse_delivery

RECORD = {"eventSource": "aws:s3", "s3": {"object": {"key": "new+data/my+file.csv"}}}


def test_raw_delivery_has_no_envelope():
    delivery = parse_delivery(json.dumps({"Records": [RECORD]}))

    assert delivery is not None
    assert delivery.envelope is None
    assert delivery.encoded_key == "new+data/my+file.csv"
    assert delivery.key == "new data/my file.csv"


def test_envelope_keeps_message_attributes():
    envelope = {
        "Type": "Notification",
        "Message": json.dumps({"Records": [RECORD]}),
        "MessageAttributes": {"folder": {"Type": "String", "Value": "a"}},
    }

    delivery = parse_delivery(json.dumps(envelope))

    assert delivery is not None
    assert delivery.envelope["MessageAttributes"] == {"folder": {"Type": "String", "Value": "a"}}
    assert delivery.key == "new data/my file.csv"


def test_percent_encoded_key_decodes():
    record = {"s3": {"object": {"key": "a%2Fmy%20file.csv"}}}

    assert parse_delivery(json.dumps({"Records": [record]})).key == "a/my file.csv"


def test_test_event_and_other_bodies_ignored():
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "example-bucket"}

    assert parse_delivery(json.dumps(test_event)) is None
    assert parse_delivery(json.dumps({"Type": "Notification", "Message": json.dumps(test_event)})) is None
    assert parse_delivery("not json") is None
    assert parse_delivery(json.dumps(["Records"])) is None
