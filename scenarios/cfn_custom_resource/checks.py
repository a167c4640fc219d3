"""Checks of the custom resource claims, applied to what a deployment left behind.

Each check takes the evidence (stack outcomes, the request records the function logged,
subscription attributes) and raises AssertionError naming the first condition that does
not hold. The compliance tests call them after a real deployment, and the harness's own
tests call them on recorded and on broken evidence, so both sides of each check run.
"""

from __future__ import annotations

import json
from typing import Any

from scenarios.cfn_custom_resource.scenario import CUSTOM_RESOURCE_ID, CUSTOM_RESOURCE_TYPE, StackOutcome

# Fields that CloudFormation sends in every custom resource request:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
REQUEST_FIELDS = ("ResponseURL", "StackId", "RequestId", "LogicalResourceId", "ResourceType", "ResourceProperties")

# Stack statuses after a create that failed and rolled back (or could not roll back).
FAILED_CREATE_STATUSES = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED")


def requests_of_type(requests: list[dict[str, Any]], request_type: str) -> list[dict[str, Any]]:
    return [
        record for record in requests
        if record.get("RequestType") == request_type and record.get("LogicalResourceId") == CUSTOM_RESOURCE_ID
    ]


def same_policy(actual: Any, expected: dict[str, Any]) -> bool:
    """Compare a FilterPolicy attribute or property, given as JSON text, with a policy."""
    if not isinstance(actual, str):
        return False
    try:
        return json.loads(actual) == expected
    except json.JSONDecodeError:
        return False


def policy_removed(attributes: dict[str, str]) -> bool:
    """Return True when the subscription has no filter policy.

    SNS documents FilterPolicy "{}" as removing the policy. An emulator may keep "{}" as
    the attribute's value while AWS may drop the attribute, so both count.
    """
    return attributes.get("FilterPolicy", "{}") in ("", "{}")


def check_settled(outcome: StackOutcome, expected_status: str) -> None:
    assert outcome.settled, (
        f"stack {outcome.stack_id} was still {outcome.status} when the wait ended: "
        "the function sent no response, or CloudFormation did not read it"
    )
    assert outcome.status == expected_status, (
        f"stack {outcome.stack_id} ended in {outcome.status}, expected {expected_status}; "
        f"failure reasons of {CUSTOM_RESOURCE_ID}: {outcome.failed_event_reasons()}"
    )


def check_create_request(
    outcome: StackOutcome,
    requests: list[dict[str, Any]],
    subscription: dict[str, str],
    policy: dict[str, Any],
) -> None:
    """Claim create-request: one complete Create request, CREATE_COMPLETE, the policy applied."""
    check_settled(outcome, "CREATE_COMPLETE")

    creates = requests_of_type(requests, "Create")
    assert len(creates) == 1, f"expected one Create request for {CUSTOM_RESOURCE_ID}, the function logged {len(creates)}: {creates!r}"
    create = creates[0]
    for name in REQUEST_FIELDS:
        assert create.get(name), f"the Create request has no {name}: {create!r}"
    assert create["StackId"] == outcome.stack_id, f"the Create request names stack {create['StackId']!r}, not {outcome.stack_id!r}"
    assert create["ResourceType"] == CUSTOM_RESOURCE_TYPE, f"ResourceType is {create['ResourceType']!r}"
    assert same_policy(create["ResourceProperties"].get("FilterPolicy"), policy), (
        f"ResourceProperties.FilterPolicy is {create['ResourceProperties'].get('FilterPolicy')!r}, expected {policy!r}"
    )
    assert create["ResourceProperties"].get("SubscriptionArn") == outcome.outputs.get("SubscriptionArn"), (
        f"ResourceProperties.SubscriptionArn {create['ResourceProperties'].get('SubscriptionArn')!r} is not "
        f"the stack's subscription {outcome.outputs.get('SubscriptionArn')!r}"
    )
    assert same_policy(subscription.get("FilterPolicy"), policy), (
        f"the subscription's FilterPolicy is {subscription.get('FilterPolicy')!r}, expected {policy!r}"
    )


def check_ref_and_getatt(outcome: StackOutcome, policy: dict[str, Any], scope: str) -> None:
    """Claim ref-and-getatt: the response's PhysicalResourceId is the Ref, Data keys are GetAtt values.

    The handler responds with the subscription ARN as PhysicalResourceId and with
    FilterPolicy (compact JSON) and FilterPolicyScope in Data.
    """
    check_settled(outcome, "CREATE_COMPLETE")

    subscription_arn = outcome.outputs.get("SubscriptionArn")
    assert subscription_arn, f"the stack has no SubscriptionArn output: {outcome.outputs!r}"
    assert outcome.physical_id == subscription_arn, (
        f"the custom resource's physical ID is {outcome.physical_id!r}, not the PhysicalResourceId "
        f"{subscription_arn!r} of the function's response"
    )
    assert outcome.outputs.get("FilterPolicyResourceId") == subscription_arn, (
        f"Ref of {CUSTOM_RESOURCE_ID} is {outcome.outputs.get('FilterPolicyResourceId')!r}, expected {subscription_arn!r}"
    )
    assert outcome.outputs.get("AppliedFilterPolicy") == json.dumps(policy, separators=(",", ":")), (
        f"Fn::GetAtt FilterPolicy is {outcome.outputs.get('AppliedFilterPolicy')!r}, expected the Data value {policy!r}"
    )
    assert outcome.outputs.get("AppliedFilterPolicyScope") == scope, (
        f"Fn::GetAtt FilterPolicyScope is {outcome.outputs.get('AppliedFilterPolicyScope')!r}, expected {scope!r}"
    )


def check_update_request(
    before: StackOutcome,
    after: StackOutcome,
    requests: list[dict[str, Any]],
    subscription: dict[str, str],
    old_policy: dict[str, Any],
    new_policy: dict[str, Any],
) -> None:
    """Claim update-keeps-physical-id: Update carries the old properties and ID, and the ID stays."""
    check_settled(before, "CREATE_COMPLETE")
    check_settled(after, "UPDATE_COMPLETE")

    updates = requests_of_type(requests, "Update")
    assert len(updates) == 1, f"expected one Update request, the function logged {len(updates)}: {updates!r}"
    update = updates[0]
    assert update.get("PhysicalResourceId") == before.physical_id, (
        f"the Update request carries PhysicalResourceId {update.get('PhysicalResourceId')!r}, "
        f"not the resource's ID {before.physical_id!r}"
    )
    old_properties = update.get("OldResourceProperties") or {}
    assert same_policy(old_properties.get("FilterPolicy"), old_policy), (
        f"OldResourceProperties.FilterPolicy is {old_properties.get('FilterPolicy')!r}, expected {old_policy!r}"
    )
    assert same_policy((update.get("ResourceProperties") or {}).get("FilterPolicy"), new_policy), (
        f"ResourceProperties.FilterPolicy of the Update is {(update.get('ResourceProperties') or {}).get('FilterPolicy')!r}"
    )
    assert after.physical_id == before.physical_id, (
        f"the physical ID changed from {before.physical_id!r} to {after.physical_id!r}, so CloudFormation "
        "treated the update as a replacement"
    )
    assert same_policy(subscription.get("FilterPolicy"), new_policy), (
        f"after the update the subscription's FilterPolicy is {subscription.get('FilterPolicy')!r}, expected {new_policy!r}"
    )


def check_delete_request(
    created: StackOutcome,
    deleted: StackOutcome,
    requests: list[dict[str, Any]],
    subscription: dict[str, str],
) -> None:
    """Claim delete-removes-policy: Delete carries the resource's ID, and the policy is gone."""
    check_settled(created, "CREATE_COMPLETE")
    check_settled(deleted, "DELETE_COMPLETE")

    deletes = requests_of_type(requests, "Delete")
    assert len(deletes) == 1, f"expected one Delete request, the function logged {len(deletes)}: {deletes!r}"
    assert deletes[0].get("PhysicalResourceId") == created.physical_id, (
        f"the Delete request carries PhysicalResourceId {deletes[0].get('PhysicalResourceId')!r}, "
        f"not the resource's ID {created.physical_id!r}"
    )
    assert policy_removed(subscription), (
        f"after the stack was deleted the subscription still has FilterPolicy {subscription.get('FilterPolicy')!r}"
    )


def check_failed_response(outcome: StackOutcome, reason: str) -> None:
    """Claim failed-response-fails-stack: the create fails and the Reason is in a FAILED event."""
    assert outcome.settled, (
        f"stack {outcome.stack_id} was still {outcome.status} when the wait ended; a FAILED response "
        "should have ended the operation"
    )
    assert outcome.status in FAILED_CREATE_STATUSES, (
        f"stack {outcome.stack_id} ended in {outcome.status} after a FAILED response, "
        f"expected one of {', '.join(FAILED_CREATE_STATUSES)}"
    )
    reasons = outcome.failed_event_reasons()
    assert reasons, f"no *_FAILED event of {CUSTOM_RESOURCE_ID} in the stack events"
    assert any(reason in text for text in reasons), (
        f"no FAILED event of {CUSTOM_RESOURCE_ID} contains the response's Reason {reason!r}: {reasons!r}"
    )
