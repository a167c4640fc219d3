"""Claims of the CloudWatch alarm on SNS SMS spend.

Each test deploys its own alarm, topic and queue: alarm state, history and queue contents
would otherwise carry over from one claim to the next.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from scenarios.sms_spend_alarm.scenario import (
    COMPARISON,
    EVALUATION_PERIODS,
    INVALID_PHONE_NUMBER,
    METRIC_NAME,
    NAMESPACE,
    PERIOD,
    STATISTIC,
    TEST_PHONE_NUMBER,
    THRESHOLD,
    TREAT_MISSING_DATA,
    SmsSpendAlarmScenario,
    history_problems,
    notification_problems,
    observe_evaluation,
    timing_for,
)


@pytest.fixture
def spend_scenario(backend, names, cleanup) -> SmsSpendAlarmScenario:
    return SmsSpendAlarmScenario(backend, names, cleanup)


@pytest.fixture
def timing(backend):
    return timing_for(backend)


def attach_note(text: str) -> None:
    """Attach a line of evidence to the Allure result, when allure-pytest is loaded."""
    try:
        import allure
    except ImportError:
        return
    allure.attach(text, name="evidence note", attachment_type=allure.attachment_type.TEXT)


@pytest.mark.claim("sms-spend-alarm.stored-definition")
def test_alarm_stored_as_defined(spend_scenario):
    deployment = spend_scenario.deploy(with_queue=False)
    alarm = deployment.initial

    assert alarm["Namespace"] == NAMESPACE
    assert alarm["MetricName"] == METRIC_NAME
    assert alarm["Statistic"] == STATISTIC
    assert alarm["Threshold"] == THRESHOLD
    assert alarm["ComparisonOperator"] == COMPARISON
    assert alarm.get("TreatMissingData") == TREAT_MISSING_DATA
    assert alarm["Period"] == PERIOD
    assert alarm["EvaluationPeriods"] == EVALUATION_PERIODS
    assert alarm.get("Dimensions", []) == [], "SMSMonthToDateSpentUSD has no dimensions"
    assert alarm["AlarmActions"] == [deployment.topic_arn]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA", f"state right after PutMetricAlarm: {alarm['StateValue']}"


@pytest.mark.claim("sms-spend-alarm.single-notification")
def test_alarm_sends_one_notification(spend_scenario, clock, timing):
    deployment = spend_scenario.deploy()
    old_state = spend_scenario.alarm_state(deployment.alarm_name)
    assert old_state != "ALARM", "the alarm is in ALARM before the test sets it"

    spend_scenario.set_alarm_state(deployment.alarm_name, "ALARM")
    envelopes = spend_scenario.collect_notifications(deployment.queue_url, clock, timing)

    problems = notification_problems(envelopes, deployment.alarm_name, deployment.topic_arn, old_state)
    assert problems == [], "\n".join(problems)


@pytest.mark.claim("sms-spend-alarm.evaluates-datapoints")
def test_datapoints_drive_alarm(spend_scenario, clock, timing):
    outcome = observe_evaluation(spend_scenario, clock, timing, note=attach_note)

    assert outcome.below_state == "OK", f"state after {THRESHOLD - 0.25} USD in {outcome.namespace}"
    assert outcome.at_threshold_state == "ALARM"


@pytest.mark.claim("sms-spend-alarm.history-records-action")
def test_history_records_action(spend_scenario, eventually, timing):
    deployment = spend_scenario.deploy()
    spend_scenario.set_alarm_state(deployment.alarm_name, "ALARM")

    eventually(
        lambda: spend_scenario.alarm_history(deployment.alarm_name),
        until=lambda items: not history_problems(items, deployment.topic_arn),
        timeout=timing.history_timeout, interval=timing.poll,
        what=f"a StateUpdate into ALARM and an Action item naming {deployment.topic_arn}",
    )


@pytest.mark.claim("sms-spend-alarm.sms-publish")
def test_sms_publish_around_alarm(spend_scenario):
    deployment = spend_scenario.deploy(with_queue=False)

    assert spend_scenario.publish_sms(TEST_PHONE_NUMBER, "before the spend alarm")

    spend_scenario.set_alarm_state(deployment.alarm_name, "ALARM")
    assert spend_scenario.alarm_state(deployment.alarm_name) == "ALARM"
    assert spend_scenario.publish_sms(TEST_PHONE_NUMBER, "after the spend alarm")

    with pytest.raises(ClientError) as excinfo:
        spend_scenario.publish_sms(INVALID_PHONE_NUMBER, "never sent")
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameter", f"PhoneNumber={INVALID_PHONE_NUMBER!r}"


@pytest.mark.claim("sms-spend-alarm.spend-limit-attribute")
def test_default_monthly_spend_limit(spend_scenario):
    limit = spend_scenario.monthly_spend_limit()

    assert limit is not None, "GetSMSAttributes returned no MonthlySpendLimit"
    assert float(limit) == 1.0, f"MonthlySpendLimit={limit!r}"


@pytest.mark.claim("sms-spend-alarm.aws-namespace-refused")
def test_aws_namespace_refused(spend_scenario, names):
    probe_metric = names.unique("reserved-namespace-probe")

    with pytest.raises(ClientError) as excinfo:
        spend_scenario.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[
            {"MetricName": probe_metric, "Value": 0.0},
        ])
    code = excinfo.value.response["Error"]["Code"]
    assert code.startswith("InvalidParameter"), f"PutMetricData into {NAMESPACE} failed with {code}"
