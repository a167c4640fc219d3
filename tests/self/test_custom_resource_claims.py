"""The custom resource claim checks fail on wrong evidence and with a broken handler.

In-process moto cannot run the custom resource's function, so the claims that need
CloudFormation to invoke it have no moto fault. Two kinds of tests show instead that
their checks can fail:

- Evidence tests feed each check the evidence of a good deployment, shaped as ministack
  1.5.33 recorded it, and then the same evidence with one fact broken.
- Tests marked ``slow`` deploy the scenario on a private ministack on 127.0.0.1 with a
  handler that misbehaves: one returns a different PhysicalResourceId on Update, one never
  sends a response. They install ministack under $CLAIMS_EMULATOR_HOME when it is missing.
"""

from __future__ import annotations

import copy
import io
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from fixtures.backends import MinistackBackend
from fixtures.clock import RealClock, eventually
from fixtures.emulators import get_emulator
from fixtures.emulators.base import default_home, default_log_dir
from fixtures.naming import Names, new_run_id
from fixtures.resources import Cleanup
from scenarios.cfn_custom_resource import HANDLER_SOURCE
from scenarios.cfn_custom_resource import checks
from scenarios.cfn_custom_resource.scenario import (
    CANCELLED_POLICY,
    CUSTOM_RESOURCE_ID,
    CUSTOM_RESOURCE_TYPE,
    PLACED_POLICY,
    FilterPolicyStacks,
    StackOutcome,
)
from tests.self.support import start_or_skip

STACK_ID = "arn:aws:cloudformation:us-east-1:000000000000:stack/apc-run-gw-cr-1/5f0c9a52-0000-4000-8000-000000000001"
SUBSCRIPTION_ARN = "arn:aws:sns:us-east-1:000000000000:apc-run-gw-cr-1-events:89f1469f-6b6c-4762-a986-bfc229fa7ae1"
SERVICE_TOKEN = "arn:aws:lambda:us-east-1:000000000000:function:apc-run-gw-cr-1-filter-policy"
PLACED_JSON = '{"event": ["order_placed"]}'
CANCELLED_JSON = '{"event": ["order_cancelled"]}'
FAILED_REASON = "InvalidRequestError: FilterPolicy is not valid JSON: Expecting value: line 1 column 1 (char 0)"

# Bound of the stack wait in the test of the silent handler, in seconds of real time.
SILENT_HANDLER_WAIT_SECONDS = 6.0


# Recorded evidence ---------------------------------------------------------------------


def request_record(request_type: str, **fields: Any) -> dict[str, Any]:
    """Return a request record as the handler logs it (see handler.log_request)."""
    record = {
        "message": "custom resource request",
        "RequestType": request_type,
        "RequestId": f"{request_type.lower()}-request-id",
        "StackId": STACK_ID,
        "LogicalResourceId": CUSTOM_RESOURCE_ID,
        "PhysicalResourceId": None,
        "ResourceType": CUSTOM_RESOURCE_TYPE,
        "ResourceProperties": {
            "ServiceToken": SERVICE_TOKEN, "SubscriptionArn": SUBSCRIPTION_ARN,
            "FilterPolicy": PLACED_JSON, "FilterPolicyScope": "MessageAttributes",
        },
        "OldResourceProperties": None,
        "ResponseURL": "http://localhost:4566/_ministack/cfn-response/token",
    }
    record.update(fields)
    return record


def created_outcome(**changes: Any) -> StackOutcome:
    outcome = StackOutcome(
        stack_id=STACK_ID,
        status="CREATE_COMPLETE",
        settled=True,
        outputs={
            "SubscriptionArn": SUBSCRIPTION_ARN,
            "FilterPolicyResourceId": SUBSCRIPTION_ARN,
            "AppliedFilterPolicy": '{"event":["order_placed"]}',
            "AppliedFilterPolicyScope": "MessageAttributes",
        },
        physical_id=SUBSCRIPTION_ARN,
    )
    for name, value in changes.items():
        setattr(outcome, name, value)
    return outcome


def update_record(**fields: Any) -> dict[str, Any]:
    created_properties = request_record("Create")["ResourceProperties"]
    update_fields = {
        "PhysicalResourceId": SUBSCRIPTION_ARN,
        "ResourceProperties": {**created_properties, "FilterPolicy": CANCELLED_JSON},
        "OldResourceProperties": created_properties,
        **fields,
    }
    return request_record("Update", **update_fields)


def failed_outcome(reason: str = FAILED_REASON, **changes: Any) -> StackOutcome:
    outcome = StackOutcome(
        stack_id=STACK_ID, status="ROLLBACK_COMPLETE", settled=True,
        events=[
            {"LogicalResourceId": CUSTOM_RESOURCE_ID, "ResourceStatus": "CREATE_FAILED",
             "ResourceStatusReason": f"{reason} (CloudWatch Logs stream 50840080)"},
            {"LogicalResourceId": CUSTOM_RESOURCE_ID, "ResourceStatus": "CREATE_IN_PROGRESS"},
        ],
    )
    for name, value in changes.items():
        setattr(outcome, name, value)
    return outcome


PLACED_SUBSCRIPTION = {"FilterPolicy": '{"event":["order_placed"]}', "FilterPolicyScope": "MessageAttributes"}
CANCELLED_SUBSCRIPTION = {"FilterPolicy": '{"event":["order_cancelled"]}', "FilterPolicyScope": "MessageAttributes"}


def test_create_check_accepts_recording() -> None:
    checks.check_create_request(created_outcome(), [request_record("Create")], PLACED_SUBSCRIPTION, PLACED_POLICY)


@pytest.mark.parametrize(
    ("outcome", "requests", "subscription", "message"),
    [
        (created_outcome(status="CREATE_IN_PROGRESS", settled=False), [request_record("Create")],
         PLACED_SUBSCRIPTION, "still CREATE_IN_PROGRESS"),
        (created_outcome(), [], PLACED_SUBSCRIPTION, "expected one Create request"),
        (created_outcome(), [request_record("Create")] * 2, PLACED_SUBSCRIPTION, "expected one Create request"),
        (created_outcome(), [request_record("Create", ResponseURL=None)], PLACED_SUBSCRIPTION, "has no ResponseURL"),
        (created_outcome(), [request_record("Create", StackId="arn:other")], PLACED_SUBSCRIPTION, "names stack"),
        (created_outcome(), [request_record("Create", ResourceType="Custom::Other")], PLACED_SUBSCRIPTION, "ResourceType"),
        (created_outcome(), [request_record("Create")], {}, "the subscription's FilterPolicy"),
        (created_outcome(), [request_record("Create")], CANCELLED_SUBSCRIPTION, "the subscription's FilterPolicy"),
    ],
    ids=["never-settled", "no-request", "two-requests", "no-response-url", "other-stack", "other-type",
         "no-policy", "other-policy"],
)
def test_create_check_rejects(outcome, requests, subscription, message) -> None:
    with pytest.raises(AssertionError, match=message):
        checks.check_create_request(outcome, requests, subscription, PLACED_POLICY)


def test_ref_check_accepts_recording() -> None:
    checks.check_ref_and_getatt(created_outcome(), PLACED_POLICY, "MessageAttributes")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"physical_id": "custom-SubscriptionFilterPolicy-KQSBUZERU77I"}, "physical ID"),
        ({"outputs": {**created_outcome().outputs, "FilterPolicyResourceId": "other"}}, "Ref of"),
        ({"outputs": {**created_outcome().outputs, "AppliedFilterPolicy": ""}}, "Fn::GetAtt FilterPolicy"),
        ({"outputs": {**created_outcome().outputs, "AppliedFilterPolicyScope": "MessageBody"}}, "Fn::GetAtt FilterPolicyScope"),
    ],
    ids=["generated-physical-id", "other-ref", "missing-data", "other-scope"],
)
def test_ref_check_rejects(changes, message) -> None:
    with pytest.raises(AssertionError, match=message):
        checks.check_ref_and_getatt(created_outcome(**changes), PLACED_POLICY, "MessageAttributes")


def test_update_check_accepts_recording() -> None:
    after = created_outcome(status="UPDATE_COMPLETE")
    requests = [request_record("Create"), update_record()]

    checks.check_update_request(created_outcome(), after, requests, CANCELLED_SUBSCRIPTION, PLACED_POLICY, CANCELLED_POLICY)


@pytest.mark.parametrize(
    ("after_changes", "update_fields", "subscription", "message"),
    [
        ({"physical_id": f"{SUBSCRIPTION_ARN}-replaced"}, {}, CANCELLED_SUBSCRIPTION, "physical ID changed"),
        ({}, {"PhysicalResourceId": "other"}, CANCELLED_SUBSCRIPTION, "carries PhysicalResourceId"),
        ({}, {"OldResourceProperties": None}, CANCELLED_SUBSCRIPTION, "OldResourceProperties"),
        ({}, {}, PLACED_SUBSCRIPTION, "after the update"),
        ({"status": "UPDATE_ROLLBACK_COMPLETE"}, {}, CANCELLED_SUBSCRIPTION, "UPDATE_ROLLBACK_COMPLETE"),
    ],
    ids=["replaced", "wrong-request-id", "no-old-properties", "old-policy", "rolled-back"],
)
def test_update_check_rejects(after_changes, update_fields, subscription, message) -> None:
    after = created_outcome(**{"status": "UPDATE_COMPLETE", **after_changes})
    requests = [request_record("Create"), update_record(**update_fields)]

    with pytest.raises(AssertionError, match=message):
        checks.check_update_request(created_outcome(), after, requests, subscription, PLACED_POLICY, CANCELLED_POLICY)


def test_delete_check_accepts_recording() -> None:
    deleted = created_outcome(status="DELETE_COMPLETE", physical_id=None)
    requests = [request_record("Create"), request_record("Delete", PhysicalResourceId=SUBSCRIPTION_ARN)]
    removed = {"FilterPolicy": "{}", "FilterPolicyScope": "MessageAttributes"}

    checks.check_delete_request(created_outcome(), deleted, requests, removed)
    checks.check_delete_request(created_outcome(), deleted, requests, {"FilterPolicyScope": "MessageAttributes"})


@pytest.mark.parametrize(
    ("requests", "subscription", "message"),
    [
        ([request_record("Create")], {"FilterPolicy": "{}"}, "expected one Delete request"),
        ([request_record("Delete", PhysicalResourceId="other")], {"FilterPolicy": "{}"}, "carries PhysicalResourceId"),
        ([request_record("Delete", PhysicalResourceId=SUBSCRIPTION_ARN)], PLACED_SUBSCRIPTION, "still has FilterPolicy"),
    ],
    ids=["no-request", "wrong-id", "policy-kept"],
)
def test_delete_check_rejects(requests, subscription, message) -> None:
    deleted = created_outcome(status="DELETE_COMPLETE", physical_id=None)

    with pytest.raises(AssertionError, match=message):
        checks.check_delete_request(created_outcome(), deleted, requests, subscription)


def test_failed_check_accepts_recording() -> None:
    checks.check_failed_response(failed_outcome(), "FilterPolicy is not valid JSON")


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        # moto 5.2.5 ignores a FAILED response, so its stack stays in CREATE_IN_PROGRESS.
        (failed_outcome(status="CREATE_IN_PROGRESS", settled=False), "still CREATE_IN_PROGRESS"),
        (failed_outcome(status="CREATE_COMPLETE", events=[]), "ended in CREATE_COMPLETE"),
        (failed_outcome(events=[]), "no \\*_FAILED event"),
        (failed_outcome(reason="Resource creation cancelled"), "contains the response's Reason"),
    ],
    ids=["never-settled", "completed", "no-event", "reason-missing"],
)
def test_failed_check_rejects(outcome, message) -> None:
    with pytest.raises(AssertionError, match=message):
        checks.check_failed_response(outcome, "FilterPolicy is not valid JSON")


def test_recorded_evidence_not_mutated() -> None:
    # The parametrised cases above share these builders; a check must not change its input.
    outcome = created_outcome()
    before = copy.deepcopy(outcome)

    checks.check_ref_and_getatt(outcome, PLACED_POLICY, "MessageAttributes")

    assert outcome == before


# Broken handlers on ministack ------------------------------------------------------------

CHANGED_ID_HANDLER = '''\
"""Filter policy handler that responds to an Update with a new PhysicalResourceId."""
import filter_policy_handler as real


def handler(event, context):
    if event.get("RequestType") != "Update":
        return real.handler(event, context)
    process_request = real.process_request

    def replaced(request):
        physical_id, data = process_request(request)
        return physical_id + "-replaced", data

    real.process_request = replaced
    try:
        return real.handler(event, context)
    finally:
        real.process_request = process_request
'''

SILENT_HANDLER = '''\
"""Filter policy handler that logs the request but never sends a response."""
import filter_policy_handler as real


def handler(event, context):
    # The real handler installs a log handler first; without it INFO records are dropped.
    real._configure_logging_outside_lambda()
    real.log_request(event)
    return None
'''


def broken_package(wrapper_source: str) -> bytes:
    """Return a deployment package whose handler.py wraps the real handler module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(HANDLER_SOURCE, arcname="filter_policy_handler.py")
        archive.writestr("handler.py", wrapper_source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ministack_backend() -> Iterator[MinistackBackend]:
    """A private ministack on 127.0.0.1, stopped at the end with everything it holds."""
    emulator = get_emulator("ministack", default_home(), default_log_dir())
    with pytest.MonkeyPatch.context() as environment:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
            environment.setenv(name, value)
        url = start_or_skip(emulator)
        try:
            backend = MinistackBackend(url)
            backend.start()
            assert "cfn.custom-resources" in backend.capabilities, sorted(backend.capabilities)
            yield backend
        finally:
            emulator.stop()


@pytest.fixture
def ministack_stacks(ministack_backend: MinistackBackend) -> Iterator[FilterPolicyStacks]:
    clock = RealClock()

    def poll(probe, until, *, timeout, interval=0.25, what="condition"):
        return eventually(clock, probe, until, timeout=timeout, interval=interval, what=what)

    names = Names(new_run_id(), "self")
    # NOTE: the cleanup entries are never run, because a stack whose function never
    # responds cannot be deleted while ministack waits for it. Stopping the private
    # ministack at the end of the module discards every resource.
    yield FilterPolicyStacks(ministack_backend, names, Cleanup(), poll)


@pytest.mark.slow
def test_changed_id_on_update_fails_update_check(ministack_stacks: FilterPolicyStacks) -> None:
    code = ministack_stacks.upload_handler(broken_package(CHANGED_ID_HANDLER))
    stack, before = ministack_stacks.create_custom_stack(PLACED_POLICY, code=code)
    checks.check_settled(before, "CREATE_COMPLETE")

    after = ministack_stacks.update_policy(stack, CANCELLED_POLICY)
    requests = ministack_stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Update")))
    subscription = ministack_stacks.subscription_attributes(before.outputs["SubscriptionArn"])

    assert after.physical_id == f"{before.physical_id}-replaced"
    with pytest.raises(AssertionError, match="physical ID changed"):
        checks.check_update_request(before, after, requests, subscription, PLACED_POLICY, CANCELLED_POLICY)


@pytest.mark.slow
def test_real_handler_passes_update_check(ministack_stacks: FilterPolicyStacks) -> None:
    stack, before = ministack_stacks.create_custom_stack(PLACED_POLICY)

    after = ministack_stacks.update_policy(stack, CANCELLED_POLICY)
    requests = ministack_stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Update")))
    subscription = ministack_stacks.subscription_attributes(before.outputs["SubscriptionArn"])

    checks.check_update_request(before, after, requests, subscription, PLACED_POLICY, CANCELLED_POLICY)


@pytest.mark.slow
def test_silent_handler_fails_create_check(ministack_stacks: FilterPolicyStacks) -> None:
    ministack_stacks.stack_timeout = SILENT_HANDLER_WAIT_SECONDS
    code = ministack_stacks.upload_handler(broken_package(SILENT_HANDLER))
    started = time.monotonic()

    stack, outcome = ministack_stacks.create_custom_stack(PLACED_POLICY, code=code)
    requests = ministack_stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Create")))

    elapsed = time.monotonic() - started
    assert elapsed < SILENT_HANDLER_WAIT_SECONDS + ministack_stacks.log_timeout + 5, f"the wait took {elapsed:.1f} s"
    assert checks.requests_of_type(requests, "Create"), "the silent handler was never invoked"
    with pytest.raises(AssertionError, match="still CREATE_IN_PROGRESS"):
        checks.check_create_request(outcome, requests, {}, PLACED_POLICY)
