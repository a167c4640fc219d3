"""Claims of the CloudFormation custom resource that sets an SNS subscription filter policy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from scenarios.cfn_custom_resource import checks
from scenarios.cfn_custom_resource.scenario import (
    CANCELLED_POLICY,
    INVALID_POLICY,
    INVALID_POLICY_REASON,
    PLACED_POLICY,
    FilterPolicyStacks,
    StackOutcome,
)

SCOPE = "MessageAttributes"
# Seconds a published message may take to reach the queue on a real clock.
# NOTE: AWS documents that a new filter policy may take up to 15 minutes to take full
# effect, so on AWS the unmatched message could still arrive during that window.
DELIVERY_TIMEOUT = 10.0


@pytest.fixture
def stacks(backend, names, cleanup, eventually) -> FilterPolicyStacks:
    return FilterPolicyStacks(backend, names, cleanup, eventually)


@pytest.fixture(scope="module")
def created(backend, names, module_cleanup) -> Iterator[tuple[FilterPolicyStacks, object, StackOutcome]]:
    """One stack with the custom resource, shared by the claims that only read it."""
    from fixtures.clock import eventually

    clock = backend.new_clock()
    clock.start()
    try:
        def poll(probe, until, *, timeout, interval=0.25, what="condition"):
            return eventually(clock, probe, until, timeout=timeout, interval=interval, what=what)

        module_stacks = FilterPolicyStacks(backend, names, module_cleanup, poll)
        stack, outcome = module_stacks.create_custom_stack(PLACED_POLICY, SCOPE)
        yield module_stacks, stack, outcome
    finally:
        clock.stop()


@pytest.mark.claim("cfn-custom-resource.create-request")
def test_create_request(created):
    stacks, stack, outcome = created
    requests = stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Create")))
    subscription_arn = outcome.outputs.get("SubscriptionArn")
    assert subscription_arn, f"stack {stack.name} ({outcome.status}) has no SubscriptionArn output"

    checks.check_create_request(outcome, requests, stacks.subscription_attributes(subscription_arn), PLACED_POLICY)


@pytest.mark.claim("cfn-custom-resource.ref-and-getatt")
def test_ref_and_getatt(created):
    _, _, outcome = created

    checks.check_ref_and_getatt(outcome, PLACED_POLICY, SCOPE)


@pytest.mark.claim("cfn-custom-resource.update-keeps-physical-id")
def test_update_keeps_physical_id(stacks):
    stack, before = stacks.create_custom_stack(PLACED_POLICY, SCOPE)
    checks.check_settled(before, "CREATE_COMPLETE")

    after = stacks.update_policy(stack, CANCELLED_POLICY)

    requests = stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Update")))
    subscription = stacks.subscription_attributes(before.outputs["SubscriptionArn"])
    checks.check_update_request(before, after, requests, subscription, PLACED_POLICY, CANCELLED_POLICY)


@pytest.mark.claim("cfn-custom-resource.delete-removes-policy")
def test_delete_removes_policy(stacks):
    stack, created_outcome = stacks.create_custom_stack(PLACED_POLICY, SCOPE, retain=True)
    checks.check_settled(created_outcome, "CREATE_COMPLETE")
    subscription_arn = created_outcome.outputs["SubscriptionArn"]
    assert checks.same_policy(stacks.subscription_attributes(subscription_arn).get("FilterPolicy"), PLACED_POLICY)

    deleted = stacks.delete_stack(stack)

    requests = stacks.handler_requests(stack, until=lambda found: bool(checks.requests_of_type(found, "Delete")))
    checks.check_delete_request(created_outcome, deleted, requests, stacks.subscription_attributes(subscription_arn))


@pytest.mark.claim("cfn-custom-resource.failed-response-fails-stack")
def test_failed_response_fails_stack(stacks):
    _, outcome = stacks.create_custom_stack(INVALID_POLICY, SCOPE)

    checks.check_failed_response(outcome, INVALID_POLICY_REASON)


@pytest.mark.claim("cfn-custom-resource.native-filter-policy")
@pytest.mark.parametrize("scope", ["MessageAttributes", "MessageBody"])
def test_native_filter_policy(stacks, scope):
    # The policy of native_filter_policy.yaml.
    native_policy = PLACED_POLICY
    outcome = stacks.create_native_stack(scope)
    assert outcome.status == "CREATE_COMPLETE", f"stack {outcome.stack_id} ended in {outcome.status}"
    native_arn = outcome.outputs.get("SubscriptionArn")
    assert native_arn, f"the stack created no AWS::SNS::Subscription: outputs are {outcome.outputs!r}"

    _, _, reference_arn = stacks.create_subscribed_queue()
    stacks.apply_with_handler(reference_arn, native_policy, scope)

    native = stacks.subscription_attributes(native_arn)
    reference = stacks.subscription_attributes(reference_arn)
    assert checks.same_policy(native.get("FilterPolicy"), native_policy), f"native FilterPolicy {native.get('FilterPolicy')!r}"
    assert json.loads(native["FilterPolicy"]) == json.loads(reference["FilterPolicy"])
    assert native.get("FilterPolicyScope") == scope, f"native FilterPolicyScope {native.get('FilterPolicyScope')!r}"
    assert native.get("FilterPolicyScope") == reference.get("FilterPolicyScope")


@pytest.mark.claim("cfn-custom-resource.policy-filters-delivery")
def test_policy_filters_delivery(stacks, eventually):
    topic_arn, queue_url, subscription_arn = stacks.create_subscribed_queue()
    stacks.apply_with_handler(subscription_arn, PLACED_POLICY, SCOPE)
    sns = stacks.sns

    # The unmatched message goes first, so it would arrive no later than the matched one.
    sns.publish(TopicArn=topic_arn, Message="cancelled order",
                MessageAttributes={"event": {"DataType": "String", "StringValue": "order_cancelled"}})
    sns.publish(TopicArn=topic_arn, Message="placed order",
                MessageAttributes={"event": {"DataType": "String", "StringValue": "order_placed"}})

    received: list[str] = []

    def receive() -> list[str]:
        received.extend(stacks.receive_bodies(queue_url))
        return received

    eventually(receive, until=lambda bodies: "placed order" in bodies, timeout=DELIVERY_TIMEOUT,
               interval=0.25, what=f"the matching message in queue {queue_url}")
    receive()
    assert received.count("placed order") == 1, f"received {received!r}"
    assert "cancelled order" not in received, f"the filter policy let the unmatched message through: {received!r}"
