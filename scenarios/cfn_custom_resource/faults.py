"""Faults and repairs in in-process moto for the filter policy claims that run on moto.

The custom resource claims need CloudFormation to invoke the function, which in-process
moto cannot do without Docker. Their checks fail on broken evidence in
tests/self/test_custom_resource_claims.py instead.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from moto.cloudformation import parsing
from moto.sns.models import sns_backends
from moto.sns.utils import FilterPolicyMatcher

from fixtures.faults import fault

SUBSCRIPTION_TYPE = "AWS::SNS::Subscription"


class SubscriptionResource:
    """Minimal CloudFormation model of AWS::SNS::Subscription for moto, which has none.

    It sets the properties the native template uses. FilterPolicyScope comes before
    FilterPolicy, because SNS validates a policy against the scope in force.
    """

    def __init__(self, arn: str) -> None:
        # Ref of AWS::SNS::Subscription returns the subscription ARN.
        self.physical_resource_id = arn

    def is_created(self) -> bool:
        return True

    @staticmethod
    def cloudformation_type() -> str:
        return SUBSCRIPTION_TYPE

    @staticmethod
    def cloudformation_name_type() -> None:
        return None

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        if "RawMessageDelivery" in properties:
            backend.set_subscription_attributes(
                subscription.arn, "RawMessageDelivery", str(properties["RawMessageDelivery"]).lower()
            )
        if "FilterPolicyScope" in properties:
            backend.set_subscription_attributes(subscription.arn, "FilterPolicyScope", properties["FilterPolicyScope"])
        if "FilterPolicy" in properties:
            policy = properties["FilterPolicy"]
            backend.set_subscription_attributes(
                subscription.arn, "FilterPolicy", policy if isinstance(policy, str) else json.dumps(policy)
            )
        return cls(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = sns_backends[account_id][region_name]
        if resource_name in backend.subscriptions:
            backend.unsubscribe(resource_name)


@fault("cfn.sns-subscription-support", breaks=["cfn-custom-resource.native-filter-policy"], expect="pass")
def sns_subscription_support(backend):
    """Repair: create AWS::SNS::Subscription resources with their filter properties."""
    original = parsing.get_model_map

    def model_map() -> dict[str, Any]:
        return {**original(), SUBSCRIPTION_TYPE: SubscriptionResource}

    return mock.patch.object(parsing, "get_model_map", model_map)


@fault("sns.filter-ignored", breaks=["cfn-custom-resource.policy-filters-delivery"])
def filter_ignored(backend):
    """Make every message match every filter policy, so nothing is filtered out."""
    return mock.patch.object(FilterPolicyMatcher, "matches", lambda self, attributes, message: True)
