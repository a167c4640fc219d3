"""Show that the SMS spend alarm checks that cannot run on moto can fail.

The notification, evaluation and history claims need alarm actions or alarm evaluation,
which moto lacks. These tests run the same checks on evidence in the shape AWS documents
and on an in-process moto patched to publish alarm notifications or to evaluate alarms,
once behaving as AWS documents and once broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest

from fixtures.backends import MotoInProcess
from fixtures.clock import EventuallyTimeout, VirtualClock
from fixtures.naming import Names
from fixtures.resources import Cleanup
from scenarios.sms_spend_alarm.faults import alarm_starts_insufficient_data
from scenarios.sms_spend_alarm.scenario import (
    COMPARISON,
    EMULATOR,
    METRIC_NAME,
    NAMESPACE,
    THRESHOLD,
    SmsSpendAlarmScenario,
    history_problems,
    notification_problems,
    observe_evaluation,
)

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:spend-topic"
OTHER_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:other-topic"
ALARM_NAME = "sms-spend-alarm"


def alarm_message(alarm_name: str = ALARM_NAME, old_state: str = "INSUFFICIENT_DATA", **changes) -> dict:
    """Return a CloudWatch alarm notification message in the shape AWS sends to SNS."""
    message = {
        "AlarmName": alarm_name,
        "AlarmDescription": "SMS spend reached 75 % of the monthly limit",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint [0.8] was greater than or equal to the threshold (0.75).",
        "StateChangeTime": "2026-12-04T12:00:00.000+0000",
        "Region": "US East (N. Virginia)",
        "OldStateValue": old_state,
        "Trigger": {
            "MetricName": METRIC_NAME, "Namespace": NAMESPACE, "StatisticType": "Statistic",
            "Statistic": "MAXIMUM", "Unit": None, "Dimensions": [], "Period": 300, "EvaluationPeriods": 1,
            "ComparisonOperator": COMPARISON, "Threshold": THRESHOLD, "TreatMissingData": "missing",
        },
    }
    trigger_changes = changes.pop("Trigger", {})
    message.update(changes)
    message["Trigger"].update(trigger_changes)
    return message


def envelope(topic_arn: str = TOPIC_ARN, message: dict | None = None) -> dict:
    """Return the SNS envelope that an SQS subscriber without raw delivery receives."""
    return {
        "Type": "Notification",
        "MessageId": "0a1b2c3d-0000-4000-8000-000000000000",
        "TopicArn": topic_arn,
        "Subject": f'ALARM: "{ALARM_NAME}" in US East (N. Virginia)',
        "Message": json.dumps(message or alarm_message()),
        "Timestamp": "2026-12-04T12:00:00.100Z",
    }


# notification check on evidence in AWS's shape -------------------------------------------


def test_notification_check_accepts_one_match():
    assert notification_problems([envelope()], ALARM_NAME, TOPIC_ARN, "INSUFFICIENT_DATA") == []


def test_notification_check_rejects_two():
    problems = notification_problems([envelope(), envelope()], ALARM_NAME, TOPIC_ARN, "INSUFFICIENT_DATA")

    assert len(problems) == 1
    assert "exactly one notification, received 2" in problems[0]


def test_notification_check_rejects_none():
    problems = notification_problems([], ALARM_NAME, TOPIC_ARN, "INSUFFICIENT_DATA")

    assert problems == ["expected exactly one notification, received 0: []"]


def test_notification_check_rejects_other_topic():
    problems = notification_problems([envelope(OTHER_TOPIC_ARN)], ALARM_NAME, TOPIC_ARN, "INSUFFICIENT_DATA")

    assert len(problems) == 1
    assert OTHER_TOPIC_ARN in problems[0]


@pytest.mark.parametrize("changes, field", [
    ({"AlarmName": "another-alarm"}, "AlarmName"),
    ({"NewStateValue": "OK"}, "NewStateValue"),
    ({"OldStateValue": "OK"}, "OldStateValue"),
    ({"Trigger": {"MetricName": "NumberOfMessagesPublished"}}, "Trigger.MetricName"),
    ({"Trigger": {"Namespace": "AWS/SQS"}}, "Trigger.Namespace"),
    ({"Trigger": {"Threshold": 0.02}}, "Trigger.Threshold"),
    ({"Trigger": {"ComparisonOperator": "GreaterThanThreshold"}}, "Trigger.ComparisonOperator"),
])
def test_notification_check_rejects_wrong_field(changes, field):
    message = alarm_message(**changes)

    problems = notification_problems([envelope(message=message)], ALARM_NAME, TOPIC_ARN, "INSUFFICIENT_DATA")

    assert len(problems) == 1
    assert problems[0].startswith(f"{field} is ")


# history check on evidence in AWS's shape ------------------------------------------------


def state_update(new_state: str = "ALARM") -> dict:
    data = {"version": "1.0", "oldState": {"stateValue": "INSUFFICIENT_DATA"},
            "newState": {"stateValue": new_state, "stateReason": "compliance check sets ALARM"}}
    return {"AlarmName": ALARM_NAME, "HistoryItemType": "StateUpdate", "HistoryData": json.dumps(data),
            "HistorySummary": f"Alarm updated from INSUFFICIENT_DATA to {new_state}"}


def action_item(topic_arn: str = TOPIC_ARN) -> dict:
    data = {"actionState": "Succeeded", "notificationResource": topic_arn}
    return {"AlarmName": ALARM_NAME, "HistoryItemType": "Action", "HistoryData": json.dumps(data),
            "HistorySummary": f"Successfully executed action {topic_arn}"}


def test_history_check_accepts_update_and_action():
    assert history_problems([action_item(), state_update()], TOPIC_ARN) == []


def test_history_check_rejects_missing_action():
    problems = history_problems([state_update()], TOPIC_ARN)

    assert len(problems) == 1
    assert problems[0].startswith("no Action item")


def test_history_check_rejects_action_to_other_topic():
    problems = history_problems([state_update(), action_item(OTHER_TOPIC_ARN)], TOPIC_ARN)

    assert len(problems) == 1
    assert TOPIC_ARN in problems[0]


def test_history_check_rejects_update_into_ok():
    problems = history_problems([state_update("OK"), action_item()], TOPIC_ARN)

    assert len(problems) == 1
    assert problems[0].startswith("no StateUpdate item into ALARM")


# the same checks on a patched in-process moto ---------------------------------------------


@pytest.fixture
def moto_run() -> Iterator[tuple[SmsSpendAlarmScenario, VirtualClock]]:
    """A scenario on in-process moto whose new alarms start in INSUFFICIENT_DATA, as on AWS."""
    backend = MotoInProcess("us-east-1")
    backend.start()
    cleanup = Cleanup()
    clock = VirtualClock()
    clock.start()
    try:
        with alarm_starts_insufficient_data(backend):
            try:
                yield SmsSpendAlarmScenario(backend, Names("selftest", "gw"), cleanup), clock
            finally:
                cleanup.close()
    finally:
        clock.stop()
        backend.stop()


@contextmanager
def alarm_actions_publish(copies: int = 1) -> Iterator[None]:
    """Patch moto so that a state change into ALARM publishes ``copies`` notifications to each action."""
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.sns.models import sns_backends

    original = CloudWatchBackend.set_alarm_state

    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        alarm = self.alarms[alarm_name]
        old_state = alarm.state_value
        original(self, alarm_name, reason, reason_data, state_value)
        if state_value != "ALARM" or old_state == "ALARM":
            return
        message = alarm_message(alarm_name, old_state)
        for topic_arn in alarm.alarm_actions:
            for _ in range(copies):
                sns_backends[self.account_id][self.region_name].publish(json.dumps(message), arn=topic_arn,
                                                                        subject=f'ALARM: "{alarm_name}"')

    with mock.patch.object(CloudWatchBackend, "set_alarm_state", set_alarm_state):
        yield


def run_notification_claim(scenario: SmsSpendAlarmScenario, clock: VirtualClock, **deploy_options) -> list[str]:
    """Run the steps of the notification claim's test and return the check's problems."""
    deployment = scenario.deploy(**deploy_options)
    old_state = scenario.alarm_state(deployment.alarm_name)
    scenario.set_alarm_state(deployment.alarm_name, "ALARM")
    envelopes = scenario.collect_notifications(deployment.queue_url, clock, EMULATOR)
    return notification_problems(envelopes, deployment.alarm_name, deployment.topic_arn, old_state)


def test_patched_moto_passes_notification_claim(moto_run):
    scenario, clock = moto_run

    with alarm_actions_publish():
        assert run_notification_claim(scenario, clock) == []


def test_action_to_other_topic_fails_notification_claim(moto_run):
    scenario, clock = moto_run
    other_topic = scenario.create_topic()

    with alarm_actions_publish():
        problems = run_notification_claim(scenario, clock, action_topic_arn=other_topic)

    assert problems, "the claim held although the alarm action points at another topic"
    assert "received 0" in problems[0]


def test_two_notifications_fail_notification_claim(moto_run):
    scenario, clock = moto_run

    with alarm_actions_publish(copies=2):
        problems = run_notification_claim(scenario, clock)

    assert problems, "the claim held although two notifications arrived"
    assert "received 2" in problems[0]


@contextmanager
def alarms_evaluated_on_put(comparison=lambda value, threshold: value >= threshold) -> Iterator[None]:
    """Patch moto to evaluate matching alarms on PutMetricData, comparing with ``comparison``."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.put_metric_data

    def put_metric_data(self, namespace, metric_data):
        original(self, namespace, metric_data)
        for datum in metric_data:
            for alarm in self.alarms.values():
                if (alarm.namespace, alarm.metric_name) != (namespace, datum["MetricName"]):
                    continue
                state = "ALARM" if comparison(float(datum["Value"]), alarm.threshold) else "OK"
                if state != alarm.state_value:
                    alarm.update_state("evaluated on PutMetricData", "{}", state)

    with mock.patch.object(CloudWatchBackend, "put_metric_data", put_metric_data):
        yield


def test_patched_moto_passes_evaluation_claim(moto_run):
    scenario, clock = moto_run

    with alarms_evaluated_on_put():
        outcome = observe_evaluation(scenario, clock, EMULATOR)

    assert outcome.below_state == "OK"
    assert outcome.at_threshold_state == "ALARM"


def test_strict_comparison_fails_evaluation_claim(moto_run):
    scenario, clock = moto_run

    with alarms_evaluated_on_put(comparison=lambda value, threshold: value > threshold):
        with pytest.raises(EventuallyTimeout, match="ALARM after a datapoint equal to the 0.75 threshold"):
            observe_evaluation(scenario, clock, EMULATOR)


def test_evaluation_into_alarm_fails_below_check(moto_run):
    scenario, clock = moto_run

    with alarms_evaluated_on_put(comparison=lambda value, threshold: True):
        outcome = observe_evaluation(scenario, clock, EMULATOR)

    assert outcome.below_state == "ALARM", "the below-threshold check would not see the broken evaluation"
