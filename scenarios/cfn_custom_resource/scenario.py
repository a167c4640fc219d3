"""Deploy the filter policy stacks and collect what CloudFormation and the handler did.

Stack operations do not raise when a stack ends in a failed status. They return a
``StackOutcome`` with the last status seen, the stack events and the custom resource's
physical ID, and the checks in ``checks.py`` judge it. So a stack that never settles,
for example because the function sends no response, fails the claim's check instead of
the deployment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from fixtures.backends import Backend
from fixtures.clock import EventuallyTimeout
from fixtures.naming import Names
from fixtures.resources import Cleanup, allow_topic_to_send
from scenarios.cfn_custom_resource import (
    CUSTOM_RESOURCE_TEMPLATE,
    NATIVE_PROPERTIES_TEMPLATE,
    build_handler_zip,
)
from scenarios.cfn_custom_resource.handler import handler as filter_policy_handler

CUSTOM_RESOURCE_ID = "SubscriptionFilterPolicy"
CUSTOM_RESOURCE_TYPE = "Custom::SubscriptionFilterPolicy"

PLACED_POLICY = {"event": ["order_placed"]}
CANCELLED_POLICY = {"event": ["order_cancelled"]}
# Not JSON, so the handler responds FAILED with "FilterPolicy is not valid JSON".
INVALID_POLICY = "not json"
INVALID_POLICY_REASON = "FilterPolicy is not valid JSON"

# Seconds a stack operation may take. A custom resource stack on AWS takes about one to
# two minutes (an estimate), and ministack 1.5.33 about 2 s on a 2-core machine.
REAL_AWS_STACK_TIMEOUT = 600.0
EMULATOR_STACK_TIMEOUT = 60.0
# Seconds the handler's log records may lag behind the stack status. CloudWatch Logs
# delivery on AWS is asynchronous.
REAL_AWS_LOG_TIMEOUT = 120.0
EMULATOR_LOG_TIMEOUT = 10.0

# Resources of custom_filter_policy.yaml that the deletion claim keeps, so the
# subscription outlives the stack and its filter policy can still be read.
RETAINED_RESOURCES = (
    ("Topic", "AWS::SNS::Topic"),
    ("Queue", "AWS::SQS::Queue"),
    ("Subscription", "AWS::SNS::Subscription"),
)

Poll = Callable[..., Any]


@dataclass
class StackOutcome:
    """State of a stack after an operation settled or its wait timed out."""

    stack_id: str
    status: str
    settled: bool
    outputs: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    physical_id: str | None = None

    def failed_event_reasons(self, logical_id: str = CUSTOM_RESOURCE_ID) -> list[str]:
        """Return the ResourceStatusReason of every *_FAILED event of ``logical_id``."""
        return [
            event.get("ResourceStatusReason", "")
            for event in self.events
            if event.get("LogicalResourceId") == logical_id and event.get("ResourceStatus", "").endswith("_FAILED")
        ]


@dataclass
class CustomResourceStack:
    """One deployed stack of custom_filter_policy.yaml."""

    name: str
    name_prefix: str
    stack_id: str
    parameters: list[dict[str, str]]
    template_body: str

    @property
    def function_name(self) -> str:
        # FunctionName in custom_filter_policy.yaml.
        return f"{self.name_prefix}-filter-policy"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"


def policy_json(policy: dict[str, Any] | str) -> str:
    """Return the policy as the template parameter takes it: a JSON string."""
    return policy if isinstance(policy, str) else json.dumps(policy)


def retained_template(template_body: str) -> str:
    """Return the template with DeletionPolicy Retain on the topic, queue and subscription."""
    for logical_id, resource_type in RETAINED_RESOURCES:
        header = f"  {logical_id}:\n    Type: {resource_type}\n"
        if header not in template_body:
            raise ValueError(
                f"resource {logical_id} ({resource_type}) not found in the template; "
                "update RETAINED_RESOURCES to match custom_filter_policy.yaml"
            )
        template_body = template_body.replace(header, f"{header}    DeletionPolicy: Retain\n", 1)
    return template_body


class FilterPolicyStacks:
    """Deploys both templates of the pattern and reads back stacks, logs and subscriptions.

    ``poll`` is the ``eventually`` fixture or a function with its signature. Every stack,
    bucket and retained resource gets a cleanup entry right after it is created.
    """

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup, poll: Poll) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.poll = poll
        self.cloudformation = backend.client("cloudformation")
        self.sns = backend.client("sns")
        self.sqs = backend.client("sqs")
        self.stack_timeout = REAL_AWS_STACK_TIMEOUT if backend.uses_real_aws else EMULATOR_STACK_TIMEOUT
        self.log_timeout = REAL_AWS_LOG_TIMEOUT if backend.uses_real_aws else EMULATOR_LOG_TIMEOUT
        self._handler_code: tuple[str, str] | None = None

    # handler code -----------------------------------------------------------------
    def upload_handler(self, package: bytes | None = None) -> tuple[str, str]:
        """Upload a deployment package (the scenario's handler by default) and return bucket and key."""
        s3 = self.backend.client("s3")
        bucket = self.names.unique("code", max_length=63)
        create: dict[str, Any] = {"Bucket": bucket}
        if self.backend.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.backend.region}
        s3.create_bucket(**create)
        self.cleanup.add(f"delete bucket {bucket}", s3.delete_bucket, Bucket=bucket)
        key = "filter-policy-handler.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=package if package is not None else build_handler_zip())
        self.cleanup.add(f"delete object s3://{bucket}/{key}", s3.delete_object, Bucket=bucket, Key=key)
        return bucket, key

    def handler_code(self) -> tuple[str, str]:
        if self._handler_code is None:
            self._handler_code = self.upload_handler()
        return self._handler_code

    # custom resource stacks -------------------------------------------------------------
    def create_custom_stack(
        self,
        policy: dict[str, Any] | str,
        scope: str = "MessageAttributes",
        *,
        retain: bool = False,
        code: tuple[str, str] | None = None,
    ) -> tuple[CustomResourceStack, StackOutcome]:
        """Create a stack of custom_filter_policy.yaml and wait until it settles."""
        bucket, key = code or self.handler_code()
        # NamePrefix allows 40 characters and the function name adds 14.
        name_prefix = self.names.unique("cr", max_length=40)
        parameters = [
            {"ParameterKey": "NamePrefix", "ParameterValue": name_prefix},
            {"ParameterKey": "HandlerCodeBucket", "ParameterValue": bucket},
            {"ParameterKey": "HandlerCodeKey", "ParameterValue": key},
            {"ParameterKey": "FilterPolicy", "ParameterValue": policy_json(policy)},
            {"ParameterKey": "FilterPolicyScope", "ParameterValue": scope},
        ]
        template_body = CUSTOM_RESOURCE_TEMPLATE.read_text(encoding="utf-8")
        if retain:
            template_body = retained_template(template_body)
        stack = CustomResourceStack(
            name=name_prefix, name_prefix=name_prefix, stack_id="", parameters=parameters,
            template_body=template_body,
        )
        logs = self.backend.client("logs")
        # Registered first, so it runs after the stack is gone and the function wrote its last line.
        self.cleanup.add(f"delete log group {stack.log_group}", logs.delete_log_group, logGroupName=stack.log_group)
        stack.stack_id = self.cloudformation.create_stack(
            StackName=stack.name, TemplateBody=template_body, Parameters=parameters,
            Capabilities=["CAPABILITY_IAM"],
        )["StackId"]
        self.cleanup.add(f"delete stack {stack.name}", self.delete_stack_and_wait, stack.stack_id)
        outcome = self.wait_for_stack(stack.stack_id, f"creation of stack {stack.name}")
        if retain:
            self._register_retained_cleanup(outcome)
        return stack, outcome

    def update_policy(self, stack: CustomResourceStack, policy: dict[str, Any] | str) -> StackOutcome:
        """Update the stack with a new FilterPolicy parameter and wait until it settles."""
        parameters = [
            {**parameter, "ParameterValue": policy_json(policy)} if parameter["ParameterKey"] == "FilterPolicy"
            else parameter
            for parameter in stack.parameters
        ]
        self.cloudformation.update_stack(
            StackName=stack.stack_id, TemplateBody=stack.template_body, Parameters=parameters,
            Capabilities=["CAPABILITY_IAM"],
        )
        stack.parameters = parameters
        return self.wait_for_stack(stack.stack_id, f"update of stack {stack.name}")

    def delete_stack(self, stack: CustomResourceStack) -> StackOutcome:
        self.cloudformation.delete_stack(StackName=stack.stack_id)
        return self.wait_for_stack(stack.stack_id, f"deletion of stack {stack.name}")

    def delete_stack_and_wait(self, stack_id: str) -> None:
        """Delete the stack for cleanup; raise when it does not reach DELETE_COMPLETE."""
        status = self.describe_stack(stack_id).get("StackStatus")
        if status == "DELETE_COMPLETE":
            return
        self.cloudformation.delete_stack(StackName=stack_id)
        outcome = self.wait_for_stack(stack_id, f"deletion of stack {stack_id}", has_custom_resource=False)
        if outcome.status != "DELETE_COMPLETE":
            raise RuntimeError(
                f"stack {stack_id} is {outcome.status} after deletion, not DELETE_COMPLETE; "
                "delete it by hand and check its events"
            )

    # reading back ---------------------------------------------------------------------
    def describe_stack(self, stack_id: str) -> dict[str, Any]:
        try:
            return self.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
        except ClientError as error:
            # ministack 1.5.33 drops a deleted stack at once, so DescribeStacks by its ID fails.
            if error.response.get("Error", {}).get("Code") == "ValidationError":
                return {"StackId": stack_id, "StackStatus": "DELETE_COMPLETE"}
            raise

    def wait_for_stack(self, stack_id: str, what: str, *, has_custom_resource: bool = True) -> StackOutcome:
        """Poll until the stack leaves every *_IN_PROGRESS status or the stack timeout passes."""
        try:
            description = self.poll(
                lambda: self.describe_stack(stack_id),
                until=lambda found: not found.get("StackStatus", "").endswith("_IN_PROGRESS"),
                timeout=self.stack_timeout, interval=0.5, what=what,
            )
            settled = True
        except EventuallyTimeout:
            description = self.describe_stack(stack_id)
            settled = False
        return StackOutcome(
            stack_id=stack_id,
            status=description.get("StackStatus", ""),
            settled=settled,
            outputs={o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])},
            events=self._events(stack_id),
            physical_id=self._physical_id(stack_id) if has_custom_resource else None,
        )

    def handler_requests(self, stack: CustomResourceStack, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Return the request records the function logged, in log order, once ``until`` accepts them.

        When the records do not arrive within the log timeout, returns what was found, so the
        check names what is missing.
        """
        try:
            return self.poll(
                lambda: self._logged_requests(stack.log_group),
                until=until, timeout=self.log_timeout, interval=0.5,
                what=f"custom resource requests in log group {stack.log_group}",
            )
        except EventuallyTimeout:
            return self._logged_requests(stack.log_group)

    def subscription_attributes(self, subscription_arn: str) -> dict[str, str]:
        return self.sns.get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]

    # native template and reference subscriptions -----------------------------------------
    def create_native_stack(self, scope: str) -> StackOutcome:
        """Create a stack of native_filter_policy.yaml and wait until it settles."""
        name_prefix = self.names.unique("native", max_length=40)
        stack_id = self.cloudformation.create_stack(
            StackName=name_prefix,
            TemplateBody=NATIVE_PROPERTIES_TEMPLATE.read_text(encoding="utf-8"),
            Parameters=[
                {"ParameterKey": "NamePrefix", "ParameterValue": name_prefix},
                {"ParameterKey": "FilterPolicyScope", "ParameterValue": scope},
            ],
        )["StackId"]
        self.cleanup.add(f"delete stack {name_prefix}", self.delete_stack_and_wait, stack_id)
        return self.wait_for_stack(stack_id, f"creation of stack {name_prefix}", has_custom_resource=False)

    def create_subscribed_queue(self) -> tuple[str, str, str]:
        """Create a topic and a queue that accepts it, subscribe the queue with raw delivery.

        Returns the topic ARN, the queue URL and the subscription ARN.
        """
        topic_name = self.names.unique("topic", max_length=256)
        topic_arn = self.sns.create_topic(Name=topic_name)["TopicArn"]
        self.cleanup.add(f"delete topic {topic_name}", self.sns.delete_topic, TopicArn=topic_arn)

        queue_name = self.names.unique("queue", max_length=80)
        queue_url = self.sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        self.cleanup.add(f"delete queue {queue_name}", self.sqs.delete_queue, QueueUrl=queue_url)
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # The same statement as the QueuePolicy of the templates: only this topic may send.
        allow_topic_to_send(self.sqs, queue_url, queue_arn, topic_arn)

        subscription_arn = self.sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self.cleanup.add(f"unsubscribe {subscription_arn}", self.sns.unsubscribe, SubscriptionArn=subscription_arn)
        return topic_arn, queue_url, subscription_arn

    def apply_with_handler(self, subscription_arn: str, policy: dict[str, Any], scope: str) -> dict[str, str]:
        """Set the policy with the handler's own functions, as its Create request does.

        Returns the properties as the handler normalised them.
        """
        properties = filter_policy_handler.parse_properties(
            {"SubscriptionArn": subscription_arn, "FilterPolicy": json.dumps(policy), "FilterPolicyScope": scope}
        )
        original_client = filter_policy_handler._sns_client
        # The handler builds its own boto3 client; here it must use the backend's.
        filter_policy_handler._sns_client = lambda region: self.sns
        try:
            filter_policy_handler.apply_filter_policy(
                properties["SubscriptionArn"], properties["FilterPolicy"], properties["FilterPolicyScope"]
            )
        finally:
            filter_policy_handler._sns_client = original_client
        return properties

    def receive_bodies(self, queue_url: str) -> list[str]:
        """Receive and delete the messages the queue contains now, without long polling."""
        messages = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        for message in messages:
            self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [message["Body"] for message in messages]

    # helpers ------------------------------------------------------------------------------
    def _register_retained_cleanup(self, outcome: StackOutcome) -> None:
        topic_arn = outcome.outputs.get("TopicArn")
        queue_url = outcome.outputs.get("QueueUrl")
        if queue_url:
            self.cleanup.add(f"delete retained queue {queue_url}", self.sqs.delete_queue, QueueUrl=queue_url)
        if topic_arn:
            self.cleanup.add(f"delete retained topic {topic_arn}", self.sns.delete_topic, TopicArn=topic_arn)

    def _events(self, stack_id: str) -> list[dict[str, Any]]:
        try:
            return self.cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
        except ClientError:
            return []

    def _physical_id(self, stack_id: str) -> str | None:
        try:
            detail = self.cloudformation.describe_stack_resource(
                StackName=stack_id, LogicalResourceId=CUSTOM_RESOURCE_ID
            )["StackResourceDetail"]
        except ClientError:
            return None
        return detail.get("PhysicalResourceId")

    def _logged_requests(self, log_group: str) -> list[dict[str, Any]]:
        logs = self.backend.client("logs")
        records: list[dict[str, Any]] = []
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=log_group)
            for page in pages:
                for event in sorted(page["events"], key=lambda e: (e["timestamp"], e.get("ingestionTime", 0))):
                    record = filter_policy_handler.parse_request_log_line(event["message"])
                    if record is not None:
                        records.append(record)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        return records
