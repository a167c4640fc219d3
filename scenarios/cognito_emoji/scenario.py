"""Deploy a user pool whose PreSignUp trigger rejects emoji usernames, and call it like a client.

The deployment is one CloudFormation stack (trigger role, function, user pool with the
trigger in its LambdaConfig, the Lambda permission for Cognito, an app client) on every
backend whose CloudFormation models Cognito user pools. moto 5.2.5's CloudFormation has no
AWS::Cognito::UserPool model, so on moto the same resources are created with boto3 calls.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from fixtures.backends import Backend
from fixtures.naming import Names
from fixtures.resources import Cleanup
from scenarios.cognito_emoji.functions import PRESIGNUP_HANDLER, RUNTIME, build_presignup_zip

TEMPLATE_PATH = Path(__file__).resolve().parent / "templates" / "user_pool.yaml"

# Backends whose CloudFormation does not model AWS::Cognito::UserPool.
BOTO3_ONLY_BACKENDS = frozenset({"moto", "moto-server"})

# The Username parameter of SignUp and AdminCreateUser: 1 to 128 characters, each a letter,
# mark, symbol, number or punctuation character (the pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+).
# https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SignUp.html
USERNAME_MAX_LENGTH = 128
USERNAME_CATEGORY_CLASSES = frozenset("LMSNP")

# Meets the default password policy: 8+ characters with upper case, lower case, digit and symbol.
PASSWORD = "Claims-Pass-2024!"
EMAIL = "new.user@example.com"

# Marker of the line the trigger prints for each event. It equals presignup.LOG_MESSAGE.
TRIGGER_LOG_MESSAGE = "PreSignUp event received"

STACK_WAITER = {"Delay": 2, "MaxAttempts": 150}  # at most 5 minutes


def matches_username_pattern(username: str) -> bool:
    """Return True when ``username`` satisfies the API's documented Username constraints."""
    if not 1 <= len(username) <= USERNAME_MAX_LENGTH:
        return False
    return all(unicodedata.category(character)[0] in USERNAME_CATEGORY_CLASSES for character in username)


def expected_handler_message(found: list[str]) -> str:
    """Return the message presignup.handler raises for the emoji ``found`` in a username.

    tests/self compares it with the packaged handler, so the two cannot drift apart.
    """
    return f"Username must not contain emoji, found: {' '.join(found)}. Choose a username without emoji"


def expected_cognito_message(handler_message: str) -> str:
    """Return the message Cognito gives when a PreSignUp trigger raises ``handler_message``."""
    return f"PreSignUp failed with error {handler_message}."


@dataclass(frozen=True)
class CallOutcome:
    """Result of one Cognito call: the response, or the error code and message."""

    operation: str
    username: str
    response: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    def describe(self) -> str:
        if self.failed:
            return f"{self.operation}({self.username!r}) failed with {self.error_code}: {self.error_message!r}"
        return f"{self.operation}({self.username!r}) succeeded with {self.response!r}"


@dataclass(frozen=True)
class Deployment:
    user_pool_id: str
    client_id: str
    function_name: str
    method: str  # "cloudformation" or "boto3"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"


@dataclass
class CognitoScenario:
    """The deployed pattern and the calls its claims make, with every resource cleaned up."""

    backend: Backend
    names: Names
    cleanup: Cleanup
    deployment: Deployment | None = None
    _unvalidated_client: Any = field(default=None, repr=False)

    @property
    def cognito(self) -> Any:
        return self.backend.client("cognito-idp")

    # deployment ----------------------------------------------------------------------
    def deploy(self) -> Deployment:
        prefix = self.names.unique("cognito", max_length=40)
        package = build_presignup_zip()
        if self.backend.name in BOTO3_ONLY_BACKENDS:
            self.deployment = self._deploy_with_boto3(prefix, package)
        else:
            self.deployment = self._deploy_with_cloudformation(prefix, package)
        logs = self.backend.client("logs")
        self.cleanup.add(f"delete log group {self.deployment.log_group}", logs.delete_log_group,
                         logGroupName=self.deployment.log_group)
        return self.deployment

    def _deploy_with_cloudformation(self, prefix: str, package: bytes) -> Deployment:
        s3 = self.backend.client("s3")
        cloudformation = self.backend.client("cloudformation")
        bucket = f"{prefix}-code"
        key = "presignup.zip"

        create_bucket: dict[str, Any] = {"Bucket": bucket}
        if self.backend.region != "us-east-1":
            create_bucket["CreateBucketConfiguration"] = {"LocationConstraint": self.backend.region}
        s3.create_bucket(**create_bucket)
        self.cleanup.add(f"delete bucket {bucket}", s3.delete_bucket, Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=package)
        self.cleanup.add(f"delete object s3://{bucket}/{key}", s3.delete_object, Bucket=bucket, Key=key)

        stack = f"{prefix}-stack"
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=TEMPLATE_PATH.read_text(encoding="utf-8"),
            Parameters=[
                {"ParameterKey": "NamePrefix", "ParameterValue": prefix},
                {"ParameterKey": "CodeBucket", "ParameterValue": bucket},
                {"ParameterKey": "CodeKey", "ParameterValue": key},
                {"ParameterKey": "Runtime", "ParameterValue": RUNTIME},
            ],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
        self.cleanup.add(f"delete stack {stack}", self._delete_stack, stack)
        try:
            cloudformation.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig=STACK_WAITER)
        except WaiterError as exc:
            raise RuntimeError(
                f"stack {stack} did not reach CREATE_COMPLETE ({exc}); failed resources: {self._stack_failures(stack)}; "
                "fix templates/user_pool.yaml or the backend's CloudFormation support"
            ) from exc

        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
        missing = {"UserPoolId", "UserPoolClientId", "FunctionName"} - set(outputs)
        if missing:
            raise RuntimeError(
                f"stack {stack} is missing the outputs {sorted(missing)} (got {outputs!r}); "
                "declare them in templates/user_pool.yaml"
            )
        return Deployment(outputs["UserPoolId"], outputs["UserPoolClientId"], outputs["FunctionName"], "cloudformation")

    def _delete_stack(self, stack: str) -> None:
        cloudformation = self.backend.client("cloudformation")
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig=STACK_WAITER)

    def _stack_failures(self, stack: str) -> list[str]:
        try:
            events = self.backend.client("cloudformation").describe_stack_events(StackName=stack)["StackEvents"]
        except ClientError as exc:
            return [f"stack events unavailable: {exc}"]
        return [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in events if event.get("ResourceStatus", "").endswith("FAILED")
        ]

    def _deploy_with_boto3(self, prefix: str, package: bytes) -> Deployment:
        iam = self.backend.client("iam")
        awslambda = self.backend.client("lambda")
        cognito = self.cognito

        role_name = f"{prefix}-role"
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }
        # NOTE: no logging policy is attached, because the backends deployed this way never run
        # the code. Backends that run triggers get the template, which attaches one.
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        self.cleanup.add(f"delete role {role_name}", iam.delete_role, RoleName=role_name)

        function_name = f"{prefix}-presignup"
        function_arn = awslambda.create_function(
            FunctionName=function_name, Runtime=RUNTIME, Handler=PRESIGNUP_HANDLER, Role=role_arn,
            Code={"ZipFile": package}, Timeout=10,
        )["FunctionArn"]
        self.cleanup.add(f"delete function {function_name}", awslambda.delete_function, FunctionName=function_name)

        pool = cognito.create_user_pool(PoolName=f"{prefix}-pool", LambdaConfig={"PreSignUp": function_arn})["UserPool"]
        self.cleanup.add(f"delete user pool {pool['Id']}", cognito.delete_user_pool, UserPoolId=pool["Id"])

        awslambda.add_permission(
            FunctionName=function_name, StatementId="cognito-presignup", Action="lambda:InvokeFunction",
            Principal="cognito-idp.amazonaws.com", SourceArn=pool["Arn"],
        )
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName=f"{prefix}-client", GenerateSecret=False,
        )["UserPoolClient"]["ClientId"]
        return Deployment(pool["Id"], client_id, function_name, "boto3")

    # calls -----------------------------------------------------------------------------
    def _require_deployment(self) -> Deployment:
        if self.deployment is None:
            raise RuntimeError("the user pool is not deployed; call CognitoScenario.deploy() first")
        return self.deployment

    def unvalidated_cognito(self) -> Any:
        """Return a Cognito client that sends parameters without botocore's client-side checks.

        botocore rejects a Username longer than 128 characters before sending it, so a
        claim about what the service does with such a name needs a client that lets the
        request through. The client is recorded and loopback-guarded like the backend's own.
        """
        if self._unvalidated_client is None:
            # NOTE: reads the backend's session directly because Backend.new_client takes
            # no botocore Config.
            session = self.backend._session or self.backend._make_session()
            config = self.backend.client_config().merge(Config(parameter_validation=False))
            client = session.client("cognito-idp", region_name=self.backend.region,
                                    endpoint_url=self.backend.endpoint_url, config=config)
            self.backend.recorder.attach_to(client)
            if not self.backend.uses_real_aws:
                client.meta.events.register_last("before-send", self.backend.request_guard)
            self._unvalidated_client = client
        return self._unvalidated_client

    def _call(self, operation: str, username: str, method: Any, **params: Any) -> CallOutcome:
        try:
            response = method(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            return CallOutcome(operation, username, error_code=error.get("Code"), error_message=error.get("Message"))
        response.pop("ResponseMetadata", None)
        return CallOutcome(operation, username, response=response)

    def sign_up(self, username: str, client: Any = None) -> CallOutcome:
        deployment = self._require_deployment()
        client = client or self.cognito
        return self._call(
            "SignUp", username, client.sign_up, ClientId=deployment.client_id, Username=username,
            Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": EMAIL}],
        )

    def admin_create_user(self, username: str, client: Any = None) -> CallOutcome:
        deployment = self._require_deployment()
        client = client or self.cognito
        return self._call(
            "AdminCreateUser", username, client.admin_create_user, UserPoolId=deployment.user_pool_id,
            Username=username, UserAttributes=[{"Name": "email", "Value": EMAIL}], MessageAction="SUPPRESS",
        )

    def admin_get_user(self, username: str) -> CallOutcome:
        deployment = self._require_deployment()
        return self._call("AdminGetUser", username, self.cognito.admin_get_user,
                          UserPoolId=deployment.user_pool_id, Username=username)

    def trigger_events(self) -> list[dict[str, Any]]:
        """Return every event the trigger has logged so far, oldest first.

        Returns an empty list while the log group does not exist yet.
        """
        deployment = self._require_deployment()
        logs = self.backend.client("logs")
        events: list[dict[str, Any]] = []
        try:
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=deployment.log_group):
                for log_event in page.get("events", []):
                    events.extend(parse_trigger_events(log_event.get("message", "")))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return []
            raise
        return events


def parse_trigger_events(log_message: str) -> list[dict[str, Any]]:
    """Return the PreSignUp events printed in one log message (one JSON line per event)."""
    events = []
    for line in log_message.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("message") == TRIGGER_LOG_MESSAGE:
            events.append(record.get("event"))
    return events
