"""Deploy a probe function on a backend, invoke it and change its configuration.

Both Lambda execution environment patterns use this: the package location claims and the
container reuse claims. Every function gets an execution role of its own, created through
IAM, because AWS and moto (with Docker) reject a function whose role does not exist.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from fixtures.backends import Backend
from fixtures.clock import RealClock, eventually
from fixtures.naming import Names
from fixtures.resources import Cleanup
from scenarios.lambda_environment.functions import ProbeFunction

LAMBDA_TRUST_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
})

FUNCTION_TIMEOUT_SECONDS = 10
FUNCTION_MEMORY_MB = 128
# Lambda rejects a new IAM role with InvalidParameterValueException until the role has
# propagated, so CreateFunction is retried. The 30 s bound is an estimate, not a measurement.
ROLE_PROPAGATION_SECONDS = 30
WAITER_CONFIG = {"Delay": 0.5, "MaxAttempts": 60}


class ProbeInvocationError(AssertionError):
    """The probe function failed; the message carries the function error and its payload."""


class ProbeDeployment:
    """One probe function with its role, deleted by ``cleanup`` in reverse order of creation."""

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup, probe: ProbeFunction) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.probe = probe
        self.lambda_client = backend.client("lambda")
        self.iam = backend.client("iam")
        self.function_name: str | None = None

    def create(self, environment: dict[str, str] | None = None) -> str:
        """Create the role and the function, wait until the function is Active and return its name."""
        role_arn = self._create_role()
        name = self.names.unique("probe", max_length=64)
        request: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": self.probe.runtime,
            "Handler": self.probe.handler,
            "Role": role_arn,
            "Code": {"ZipFile": self.probe.build_zip()},
            "Timeout": FUNCTION_TIMEOUT_SECONDS,
            "MemorySize": FUNCTION_MEMORY_MB,
        }
        if environment:
            request["Environment"] = {"Variables": dict(environment)}

        eventually(
            RealClock(), lambda: self._try_create_function(request), until=bool,
            timeout=ROLE_PROPAGATION_SECONDS, interval=1.0,
            what=f"CreateFunction {name} with role {role_arn}",
        )
        # Lambda creates the function's log group on first invoke; it goes after the function.
        logs = self.backend.client("logs")
        self.cleanup.add(f"delete log group of {name}", logs.delete_log_group, logGroupName=f"/aws/lambda/{name}")
        self.cleanup.add(f"delete function {name}", self.lambda_client.delete_function, FunctionName=name)
        self.lambda_client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
        self.function_name = name
        return name

    def invoke(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Invoke the function synchronously and return the evidence dict its handler returned."""
        name = self._require_function()
        response = self.lambda_client.invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(event or {}).encode(),
        )
        payload = response["Payload"].read().decode("utf-8", errors="replace")
        if "FunctionError" in response:
            raise ProbeInvocationError(
                f"invoking {name} failed with FunctionError {response['FunctionError']!r}: {payload[:2000]}"
            )
        try:
            evidence = json.loads(payload)
        except json.JSONDecodeError as error:
            raise ProbeInvocationError(f"{name} returned a payload that is not JSON ({error}): {payload[:2000]!r}") from None
        if not isinstance(evidence, dict) or "probe" not in evidence:
            raise ProbeInvocationError(f"{name} returned {evidence!r}, not the probe's evidence dict")
        return evidence

    def set_environment(self, environment: dict[str, str]) -> None:
        """Replace the function's environment variables and wait until the update is done."""
        name = self._require_function()
        self.lambda_client.update_function_configuration(
            FunctionName=name, Environment={"Variables": dict(environment)},
        )
        self.lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)

    def _create_role(self) -> str:
        role_name = self.names.unique("probe-role", max_length=64)
        role = self.iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]
        self.cleanup.add(f"delete role {role_name}", self.iam.delete_role, RoleName=role_name)
        return role["Arn"]

    def _try_create_function(self, request: dict[str, Any]) -> bool:
        """Create the function; return False while Lambda still rejects the new role."""
        try:
            self.lambda_client.create_function(**request)
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            if error.response.get("Error", {}).get("Code") == "InvalidParameterValueException" and "role" in message:
                return False
            raise
        return True

    def _require_function(self) -> str:
        if self.function_name is None:
            raise RuntimeError("the probe function does not exist yet; call create() first")
        return self.function_name
