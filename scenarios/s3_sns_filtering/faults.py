"""Faults in in-process moto's S3 notifications and SNS filter policies, one or more per claim."""

from __future__ import annotations

import json
from unittest import mock
from urllib.parse import quote_plus, unquote_plus

from moto.s3 import notifications
from moto.s3.models import Notification
from moto.sns.models import SNSBackend, sns_backends

from fixtures.faults import fault

_original_send_sns_message = notifications._send_sns_message
_original_get_s3_event = notifications._get_s3_event


@fault("s3.events-carry-attributes", breaks=["s3-sns-filtering.no-message-attributes"])
def events_carry_attributes(backend):
    """S3 publishes each event to SNS with a message attribute folder set to the key's first folder."""

    def send_sns_message(account_id, event_body, topic_arn, region_name):
        if "Records" not in event_body:
            return _original_send_sns_message(account_id, event_body, topic_arn, region_name)
        key = unquote_plus(event_body["Records"][0]["s3"]["object"]["key"])
        attributes = {"folder": {"Type": "String", "Value": key.split("/", 1)[0]}}
        sns_backends[account_id][region_name].publish(
            arn=topic_arn, message=json.dumps(event_body), message_attributes=attributes,
        )

    return mock.patch.object(notifications, "_send_sns_message", send_sns_message)


@fault("s3.filter-rules-ignored", breaks=["s3-sns-filtering.s3-filter-rules-route"])
def filter_rules_ignored(backend):
    """Every notification configuration of a bucket fires for every key, whatever its prefix and suffix rules."""
    return mock.patch.object(Notification, "_key_matches", lambda self, key_name: True)


@fault(
    "s3.key-encoding-as-aws",
    breaks=["s3-sns-filtering.body-scope-routes-by-prefix", "s3-sns-filtering.key-url-encoded"],
    expect="pass",
)
def key_encoding_as_aws(backend):
    """Repair: encode the event's object key as AWS does, a space as + and the / between folders kept."""

    def get_s3_event(event_name, bucket, key, notification_id):
        event = _original_get_s3_event(event_name, bucket, key, notification_id)
        event["Records"][0]["s3"]["object"]["key"] = quote_plus(key.name, safe="/")
        return event

    return mock.patch.object(notifications, "_get_s3_event", get_s3_event)


@fault("s3.event-name-prefixed", breaks=["s3-sns-filtering.event-structure"])
def event_name_prefixed(backend):
    """The event's eventName keeps the s3: prefix of the configuration's event type (s3:ObjectCreated:Put)."""

    def get_s3_event(event_name, bucket, key, notification_id):
        event = _original_get_s3_event(event_name, bucket, key, notification_id)
        event["Records"][0]["eventName"] = event_name
        return event

    return mock.patch.object(notifications, "_get_s3_event", get_s3_event)


@fault("s3.event-size-as-string", breaks=["s3-sns-filtering.event-structure"])
def event_size_as_string(backend):
    """The event's object size is a JSON string instead of a number."""

    def get_s3_event(event_name, bucket, key, notification_id):
        event = _original_get_s3_event(event_name, bucket, key, notification_id)
        s3_object = event["Records"][0]["s3"]["object"]
        s3_object["size"] = str(s3_object["size"])
        return event

    return mock.patch.object(notifications, "_get_s3_event", get_s3_event)


@fault("sns.nested-attribute-policy-accepted", breaks=["s3-sns-filtering.default-scope-attributes"])
def nested_attribute_policy_accepted(backend):
    """SNS accepts a nested filter policy in the MessageAttributes scope."""
    original = SNSBackend._validate_filter_policy

    def validate(self, value, scope):
        return original(self, value, "MessageBody")

    return mock.patch.object(SNSBackend, "_validate_filter_policy", validate)


@fault("sns.default-scope-body", breaks=["s3-sns-filtering.default-scope-attributes"])
def default_scope_body(backend):
    """GetSubscriptionAttributes reports MessageBody for a subscription created without a scope."""
    original = SNSBackend.get_subscription_attributes

    def get_attributes(self, arn):
        attributes = dict(original(self, arn))
        if "FilterPolicy" in attributes:
            attributes["FilterPolicyScope"] = "MessageBody"
        return attributes

    return mock.patch.object(SNSBackend, "get_subscription_attributes", get_attributes)
