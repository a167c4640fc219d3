"""Faults and repairs in in-process moto for the SMS spend alarm claims.

The notification, evaluation and history claims need alarm actions or alarm evaluation,
which moto lacks, so they do not run on moto. tests/self/test_sms_spend_alarm_checks.py
shows that their checks fail on wrong evidence and on a moto patched to misbehave.
"""

from __future__ import annotations

from unittest import mock

from moto.cloudwatch.exceptions import InvalidParameterValue
from moto.cloudwatch.models import Alarm, CloudWatchBackend
from moto.sns import responses as sns_responses
from moto.sns.models import SNSBackend

from fixtures.faults import fault


@fault("cloudwatch.alarm-starts-insufficient-data", breaks=["sms-spend-alarm.stored-definition"], expect="pass")
def alarm_starts_insufficient_data(backend):
    """Repair: a new alarm starts in INSUFFICIENT_DATA instead of moto's OK."""
    original = Alarm.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.state_value = "INSUFFICIENT_DATA"

    return mock.patch.object(Alarm, "__init__", init)


@fault("sns.sms-rejected-after-alarm", breaks=["sms-spend-alarm.sms-publish"])
def sms_rejected_after_alarm(backend):
    """Publish rejects SMS messages while any CloudWatch alarm of the account is in ALARM."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sns.exceptions import SNSInvalidParameter

    original = SNSBackend.publish

    def publish(self, message, arn, phone_number=None, *args, **kwargs):
        alarms = cloudwatch_backends[self.account_id][self.region_name].alarms.values()
        if phone_number and any(alarm.state_value == "ALARM" for alarm in alarms):
            raise SNSInvalidParameter("SMS spend alarm is in ALARM")
        return original(self, message, arn, phone_number, *args, **kwargs)

    return mock.patch.object(SNSBackend, "publish", publish)


@fault("sns.e164-unchecked", breaks=["sms-spend-alarm.sms-publish"])
def e164_unchecked(backend):
    """Publish accepts any phone number, E.164 or not."""
    return mock.patch.object(sns_responses, "is_e164", lambda number: True)


@fault("sns.default-spend-limit", breaks=["sms-spend-alarm.spend-limit-attribute"], expect="pass")
def default_spend_limit(backend):
    """Repair: GetSMSAttributes reports the 1 USD MonthlySpendLimit of a new account."""
    original = SNSBackend.get_sms_attributes

    def get_sms_attributes(self, filter_list):
        self.sms_attributes.setdefault("MonthlySpendLimit", "1")
        return original(self, filter_list)

    return mock.patch.object(SNSBackend, "get_sms_attributes", get_sms_attributes)


@fault("cloudwatch.reserved-namespace", breaks=["sms-spend-alarm.aws-namespace-refused"], expect="pass")
def reserved_namespace(backend):
    """Repair: PutMetricData rejects namespaces that begin with AWS/."""
    original = CloudWatchBackend.put_metric_data

    def put_metric_data(self, namespace, metric_data):
        if namespace.startswith("AWS/"):
            raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
        return original(self, namespace, metric_data)

    return mock.patch.object(CloudWatchBackend, "put_metric_data", put_metric_data)
