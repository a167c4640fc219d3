"""Deploy the SMS spend alarm with its topic and subscriber queue, and drive it.

The alarm watches SMSMonthToDateSpentUSD in AWS/SNS, a metric without dimensions that AWS
keeps per account and region. Every datapoint published there reaches every alarm on it,
so the evaluation claim publishes its datapoints in a second region of the backend, and
every other claim deploys its own alarm, topic and queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from fixtures.backends import Backend
from fixtures.clock import Clock, EventuallyTimeout, eventually
from fixtures.naming import Names
from fixtures.resources import Cleanup, allow_topic_to_send

NAMESPACE = "AWS/SNS"
METRIC_NAME = "SMSMonthToDateSpentUSD"
STATISTIC = "Maximum"
THRESHOLD = 0.75  # 75 % of the 1 USD monthly spend quota of a new account
COMPARISON = "GreaterThanOrEqualToThreshold"
TREAT_MISSING_DATA = "missing"
PERIOD = 300  # the CloudWatch console's default period for a new alarm
EVALUATION_PERIODS = 1

# 555-0100 to 555-0199 are reserved for fictional use in the North American numbering plan.
TEST_PHONE_NUMBER = "+12065550100"
INVALID_PHONE_NUMBER = "not-a-number"

# Evaluation claims use this region, or the fallback when the backend already runs there.
EVALUATION_REGION = "us-west-2"
EVALUATION_REGION_FALLBACK = "us-east-2"


@dataclass(frozen=True)
class Timing:
    """Bounds in seconds for waiting on the backend, short on emulators and longer on AWS."""

    evaluation_period: int  # period of the alarm that the evaluation claim drives with datapoints
    evaluation_timeout: float  # bound on waiting for an evaluation to change the state
    notification_timeout: float  # bound on waiting for the first notification
    quiet_window: float  # time to keep receiving after it, to catch a second notification
    history_timeout: float  # bound on waiting for alarm history items
    poll: float  # interval between polls


# LocalStack core 2026.3.0 (host mode) evaluates an alarm when it is created and then every
# Period x EvaluationPeriods seconds. With a 10-second period each step took about 10 s when
# measured, but one step in five runs missed a 25 s bound on a loaded 2-core machine, so
# the bound allows four periods. ministack 1.5.33 evaluates at once on PutMetricData.
EMULATOR = Timing(evaluation_period=10, evaluation_timeout=40, notification_timeout=5,
                  quiet_window=2, history_timeout=3, poll=0.25)
# NOTE: the AWS bounds are estimates: AWS evaluates high-resolution alarms every 10 s but
# delivers notifications and history with delays that this suite has not measured.
REAL_AWS = Timing(evaluation_period=10, evaluation_timeout=180, notification_timeout=60,
                  quiet_window=10, history_timeout=60, poll=2)


def timing_for(backend: Backend) -> Timing:
    return REAL_AWS if "real-aws" in backend.capabilities else EMULATOR


@dataclass(frozen=True)
class Deployment:
    """One alarm with its topic and, when requested, the queue subscribed to that topic."""

    alarm_name: str
    topic_arn: str
    queue_url: str | None
    initial: dict[str, Any]  # the DescribeAlarms entry read right after PutMetricAlarm


class SmsSpendAlarmScenario:
    """Resources with unique names, each deleted at teardown, and helpers that drive them."""

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.cloudwatch = backend.client("cloudwatch")
        self.sns = backend.client("sns")
        self.sqs = backend.client("sqs")

    # deployment ----------------------------------------------------------------
    def create_topic(self) -> str:
        name = self.names.unique("spend-topic", max_length=256)
        arn = self.sns.create_topic(Name=name)["TopicArn"]
        self.cleanup.add(f"delete topic {name}", self.sns.delete_topic, TopicArn=arn)
        return arn

    def create_subscribed_queue(self, topic_arn: str) -> str:
        """Create a queue that the topic may send to and subscribe it, as the email stand-in."""
        name = self.names.unique("spend-inbox", max_length=80)
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.cleanup.add(f"delete queue {name}", self.sqs.delete_queue, QueueUrl=url)
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow_topic_to_send(self.sqs, url, queue_arn, topic_arn)
        subscription = self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                          ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.cleanup.add(f"unsubscribe {name}", self.sns.unsubscribe, SubscriptionArn=subscription)
        return url

    def put_alarm(self, actions: list[str], *, cloudwatch: Any = None, namespace: str = NAMESPACE,
                  period: int = PERIOD) -> str:
        """Create the spend alarm with the given alarm actions; return its name."""
        cloudwatch = cloudwatch or self.cloudwatch
        name = self.names.unique("sms-spend-alarm", max_length=255)
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            AlarmDescription="SMS spend reached 75 % of the monthly limit",
            Namespace=namespace,
            MetricName=METRIC_NAME,
            Statistic=STATISTIC,
            Period=period,
            EvaluationPeriods=EVALUATION_PERIODS,
            Threshold=THRESHOLD,
            ComparisonOperator=COMPARISON,
            TreatMissingData=TREAT_MISSING_DATA,
            ActionsEnabled=True,
            AlarmActions=actions,
        )
        self.cleanup.add(f"delete alarm {name}", cloudwatch.delete_alarms, AlarmNames=[name])
        return name

    def deploy(self, *, with_queue: bool = True, action_topic_arn: str | None = None) -> Deployment:
        """Deploy topic, queue and alarm; ``action_topic_arn`` points the action elsewhere."""
        topic_arn = self.create_topic()
        queue_url = self.create_subscribed_queue(topic_arn) if with_queue else None
        alarm_name = self.put_alarm([action_topic_arn or topic_arn])
        return Deployment(alarm_name, topic_arn, queue_url, initial=self.describe_alarm(alarm_name))

    # alarm ----------------------------------------------------------------------
    def describe_alarm(self, name: str, cloudwatch: Any = None) -> dict[str, Any]:
        alarms = (cloudwatch or self.cloudwatch).describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if len(alarms) != 1:
            raise AssertionError(f"DescribeAlarms returned {len(alarms)} metric alarms named {name!r}: {alarms!r}")
        return alarms[0]

    def alarm_state(self, name: str, cloudwatch: Any = None) -> str:
        return self.describe_alarm(name, cloudwatch)["StateValue"]

    def set_alarm_state(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state,
                                        StateReason=f"compliance check sets {state}")

    def alarm_history(self, name: str) -> list[dict[str, Any]]:
        return self.cloudwatch.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]

    # notifications -----------------------------------------------------------------
    def receive_envelopes(self, queue_url: str) -> list[dict[str, Any]]:
        """Receive and delete what is in the queue now; return the SNS envelopes."""
        messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    def collect_notifications(self, queue_url: str, clock: Clock, timing: Timing) -> list[dict[str, Any]]:
        """Wait for the first notification, then keep receiving for the quiet window.

        Returns an empty list when none arrives within ``timing.notification_timeout``.
        """
        envelopes: list[dict[str, Any]] = []

        def receive() -> list[dict[str, Any]]:
            envelopes.extend(self.receive_envelopes(queue_url))
            return envelopes

        try:
            eventually(clock, receive, until=bool, timeout=timing.notification_timeout,
                       interval=timing.poll, what="the first alarm notification")
        except EventuallyTimeout:
            return envelopes
        deadline = clock.now() + timing.quiet_window
        while clock.now() < deadline:
            clock.wait(timing.poll)
            receive()
        return envelopes

    # SMS --------------------------------------------------------------------------
    def publish_sms(self, phone_number: str, message: str) -> str:
        return self.sns.publish(PhoneNumber=phone_number, Message=message)["MessageId"]

    def monthly_spend_limit(self) -> str | None:
        attributes = self.sns.get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes", {})
        return attributes.get("MonthlySpendLimit")

    # datapoints ---------------------------------------------------------------------
    def evaluation_region(self) -> str:
        region = EVALUATION_REGION
        return EVALUATION_REGION_FALLBACK if self.backend.region == region else region

    def spend_namespace(self, cloudwatch: Any) -> str:
        """Return AWS/SNS when the backend accepts datapoints there, else a namespace of this run.

        The probe datapoint uses a metric name of its own, so it reaches no alarm on the spend metric.
        """
        try:
            cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[
                {"MetricName": self.names.unique("namespace-probe"), "Value": 0.0},
            ])
        except ClientError as error:
            if not error.response["Error"]["Code"].startswith("InvalidParameter"):
                raise
            return f"{self.names.prefix}/SNS"
        return NAMESPACE

    def put_spend(self, cloudwatch: Any, namespace: str, value: float) -> None:
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": METRIC_NAME, "Value": value, "Unit": "None", "StorageResolution": 1},
        ])


@dataclass(frozen=True)
class EvaluationOutcome:
    namespace: str
    below_state: str  # the first state after INSUFFICIENT_DATA once a datapoint below the threshold arrived
    at_threshold_state: str  # the state once a datapoint equal to the threshold arrived


def observe_evaluation(scenario: SmsSpendAlarmScenario, clock: Clock, timing: Timing,
                       note: Callable[[str], None] = lambda text: None) -> EvaluationOutcome:
    """Drive a short-period spend alarm in the evaluation region with two datapoints.

    Raises ``EventuallyTimeout`` when an evaluation does not change the state in time.
    """
    cloudwatch = scenario.backend.new_client("cloudwatch", region=scenario.evaluation_region())
    namespace = scenario.spend_namespace(cloudwatch)
    note(f"datapoints published to {namespace} {METRIC_NAME} in {scenario.evaluation_region()}"
         + ("" if namespace == NAMESPACE else f", because the backend rejects PutMetricData into {NAMESPACE}"))
    name = scenario.put_alarm([], cloudwatch=cloudwatch, namespace=namespace, period=timing.evaluation_period)

    scenario.put_spend(cloudwatch, namespace, THRESHOLD - 0.25)
    below = eventually(clock, lambda: scenario.alarm_state(name, cloudwatch), until=lambda s: s != "INSUFFICIENT_DATA",
                       timeout=timing.evaluation_timeout, interval=timing.poll,
                       what=f"evaluation of {THRESHOLD - 0.25} USD, below the {THRESHOLD} threshold")

    scenario.put_spend(cloudwatch, namespace, THRESHOLD)
    at_threshold = eventually(clock, lambda: scenario.alarm_state(name, cloudwatch), until=lambda s: s == "ALARM",
                              timeout=timing.evaluation_timeout, interval=timing.poll,
                              what=f"ALARM after a datapoint equal to the {THRESHOLD} threshold")
    return EvaluationOutcome(namespace, below, at_threshold)


# checks on recorded evidence -----------------------------------------------------------


def notification_problems(envelopes: list[dict[str, Any]], alarm_name: str, topic_arn: str,
                          old_state: str) -> list[str]:
    """List how the received SNS envelopes differ from one ALARM notification of the alarm."""
    if len(envelopes) != 1:
        return [f"expected exactly one notification, received {len(envelopes)}: {envelopes!r}"]
    envelope = envelopes[0]
    problems = []
    if envelope.get("TopicArn") != topic_arn:
        problems.append(f"TopicArn is {envelope.get('TopicArn')!r}, expected the alarm's topic {topic_arn!r}")
    try:
        message = json.loads(envelope.get("Message", ""))
    except ValueError:
        return problems + [f"Message is not JSON: {envelope.get('Message')!r}"]
    expected = {"AlarmName": alarm_name, "NewStateValue": "ALARM", "OldStateValue": old_state}
    for key, value in expected.items():
        if message.get(key) != value:
            problems.append(f"{key} is {message.get(key)!r}, expected {value!r}")
    trigger = message.get("Trigger") or {}
    expected_trigger = {"MetricName": METRIC_NAME, "Namespace": NAMESPACE, "ComparisonOperator": COMPARISON}
    for key, value in expected_trigger.items():
        if trigger.get(key) != value:
            problems.append(f"Trigger.{key} is {trigger.get(key)!r}, expected {value!r}")
    if not isinstance(trigger.get("Threshold"), (int, float)) or float(trigger["Threshold"]) != THRESHOLD:
        problems.append(f"Trigger.Threshold is {trigger.get('Threshold')!r}, expected {THRESHOLD}")
    return problems


def history_problems(items: list[dict[str, Any]], topic_arn: str) -> list[str]:
    """List what the alarm history lacks: a StateUpdate into ALARM and an Action naming the topic."""
    problems = []
    into_alarm = [item for item in items
                  if item.get("HistoryItemType") == "StateUpdate" and _new_state(item) == "ALARM"]
    if not into_alarm:
        problems.append(f"no StateUpdate item into ALARM among {_summaries(items)}")
    actions = [item for item in items if item.get("HistoryItemType") == "Action"]
    if not actions:
        problems.append(f"no Action item among {_summaries(items)}")
    elif not any(topic_arn in item.get("HistorySummary", "") + item.get("HistoryData", "") for item in actions):
        problems.append(f"no Action item names the topic {topic_arn!r}: {_summaries(actions)}")
    return problems


def _new_state(item: dict[str, Any]) -> str | None:
    try:
        return json.loads(item.get("HistoryData") or "{}").get("newState", {}).get("stateValue")
    except ValueError:
        return None


def _summaries(items: list[dict[str, Any]]) -> list[str]:
    return [f"{item.get('HistoryItemType')}: {item.get('HistorySummary')}" for item in items]
