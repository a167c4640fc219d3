"""Claims of the pattern: S3 event notifications to SNS, filtered per folder."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from scenarios.s3_sns_filtering.scenario import (
    ALL_EVENTS,
    ATTRIBUTE_SCOPE,
    CSV_SUFFIX,
    ENCODED_PREFIX,
    FOLDERS,
    PLAIN_PREFIX,
    SPACED_FOLDER,
    S3SnsScenario,
    body_key_prefix_policy,
    folder_queue,
    folder_topic_queue,
    timing_for,
)


@pytest.fixture(scope="module")
def deployment(backend, names, module_cleanup) -> S3SnsScenario:
    return S3SnsScenario(backend, names, module_cleanup).deploy()


@pytest.fixture
def timing(clock):
    return timing_for(clock)


def object_key(names, folder: str, suffix: str = CSV_SUFFIX) -> str:
    return f"{folder}/{names.unique('object')}{suffix}"


@pytest.mark.claim("s3-sns-filtering.no-message-attributes")
def test_events_carry_no_attributes(deployment, names, clock, eventually, timing):
    key = object_key(names, "a")
    deployment.put(deployment.events_bucket, key)

    control = deployment.wait_for(ALL_EVENTS, [key], eventually, timing)[key][0]
    assert control.envelope is not None, "the unfiltered subscription has raw delivery on; expected the SNS envelope"
    assert not control.envelope.get("MessageAttributes"), (
        f"the SNS envelope of the S3 event for {key!r} carries MessageAttributes: "
        f"{control.envelope.get('MessageAttributes')!r}"
    )

    deployment.watch([ATTRIBUTE_SCOPE], clock, timing)
    leaked = deployment.received(ATTRIBUTE_SCOPE, [key])
    assert leaked == {}, (
        f"the attribute-scope subscription with policy {{'folder': ['a']}} received the S3 event for {key!r}"
    )


@pytest.mark.claim("s3-sns-filtering.s3-filter-rules-route")
def test_s3_filter_rules_route(deployment, names, clock, eventually, timing):
    matching = {folder: object_key(names, folder) for folder in FOLDERS}
    wrong_suffix = object_key(names, "a", suffix=".txt")
    other_folder = object_key(names, "d")
    for key in [*matching.values(), wrong_suffix, other_folder]:
        deployment.put(deployment.folders_bucket, key)

    for folder, key in matching.items():
        deployment.wait_for(folder_topic_queue(folder), [key], eventually, timing)
    queues = [folder_topic_queue(folder) for folder in FOLDERS]
    deployment.watch(queues, clock, timing)

    everything = [*matching.values(), wrong_suffix, other_folder]
    for folder, key in matching.items():
        received = deployment.received(folder_topic_queue(folder), everything)
        assert sorted(received) == [key], f"the queue on folder {folder!r}'s topic received {sorted(received)}"
        assert len(received[key]) == 1, f"the event for {key!r} arrived {len(received[key])} times"


@pytest.mark.claim("s3-sns-filtering.body-scope-routes-by-prefix")
def test_body_scope_routes_by_prefix(deployment, names, clock, eventually, timing):
    keys = {folder: object_key(names, folder) for folder in (*FOLDERS, "d")}
    for key in keys.values():
        deployment.put(deployment.events_bucket, key)

    deployment.wait_for(ALL_EVENTS, keys.values(), eventually, timing)
    for folder in FOLDERS:
        deployment.wait_for(folder_queue(folder), [keys[folder]], eventually, timing)
    deployment.watch([folder_queue(folder) for folder in FOLDERS], clock, timing)

    for folder in FOLDERS:
        received = deployment.received(folder_queue(folder), keys.values())
        assert sorted(received) == [keys[folder]], (
            f"the subscription with a prefix {folder + '/'!r} policy on Records.s3.object.key "
            f"received {sorted(received)}"
        )


@pytest.mark.claim("s3-sns-filtering.default-scope-attributes")
def test_default_scope_and_nested_policy(backend, names, cleanup):
    sns = backend.client("sns")
    scenario = S3SnsScenario(backend, names, cleanup)
    topic_name = names.unique("topic", max_length=256)
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    cleanup.add(f"delete topic {topic_name}", sns.delete_topic, TopicArn=topic)
    _, queue_arn = scenario.create_queue(topic, cleanup)
    nested = json.dumps(body_key_prefix_policy("a/"))

    subscription = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"folder": ["a"]})}, ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    cleanup.add("unsubscribe the flat-policy subscription", sns.unsubscribe, SubscriptionArn=subscription)
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
    assert attributes.get("FilterPolicyScope") == "MessageAttributes", f"subscription attributes: {attributes!r}"

    with pytest.raises(ClientError) as on_set:
        sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="FilterPolicy",
                                        AttributeValue=nested)
    assert on_set.value.response["Error"]["Code"] == "InvalidParameter", "SetSubscriptionAttributes with a nested policy"

    _, second_queue_arn = scenario.create_queue(topic, cleanup)
    try:
        accepted = sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=second_queue_arn,
            Attributes={"FilterPolicy": nested}, ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "InvalidParameter", "Subscribe with a nested policy"
    else:
        cleanup.add("unsubscribe the nested-policy subscription", sns.unsubscribe, SubscriptionArn=accepted)
        pytest.fail(f"Subscribe accepted the nested policy {nested} without FilterPolicyScope: {accepted}")


@pytest.mark.claim("s3-sns-filtering.event-structure")
def test_event_structure(deployment, backend, names, eventually, timing):
    key = object_key(names, "a")
    body = b"hello, world"
    etag = deployment.put(deployment.events_bucket, key, body)["ETag"].strip('"')

    record = deployment.wait_for(ALL_EVENTS, [key], eventually, timing)[key][0].record
    version = record.get("eventVersion", "")
    assert version.startswith("2."), f"eventVersion {version!r}"
    assert record.get("eventSource") == "aws:s3"
    assert record.get("awsRegion") == backend.region
    assert record.get("eventName") == "ObjectCreated:Put"
    s3 = record.get("s3", {})
    assert s3.get("bucket", {}).get("name") == deployment.events_bucket
    s3_object = s3.get("object", {})
    size = s3_object.get("size")
    assert isinstance(size, int) and not isinstance(size, bool), f"size {size!r} is not a JSON number"
    assert size == len(body)
    assert s3_object.get("eTag") == etag


@pytest.mark.claim("s3-sns-filtering.key-url-encoded")
def test_key_url_encoded(deployment, names, clock, eventually, timing):
    stem = names.unique("object")
    key = f"{SPACED_FOLDER}/{stem} copy.csv"
    encoded = f"{SPACED_FOLDER.replace(' ', '+')}/{stem}+copy.csv"
    deployment.put(deployment.events_bucket, key)

    control = deployment.wait_for(ALL_EVENTS, [key], eventually, timing)[key][0]
    assert control.encoded_key == encoded

    deployment.wait_for(ENCODED_PREFIX, [key], eventually, timing)
    deployment.watch([PLAIN_PREFIX], clock, timing)
    assert deployment.received(PLAIN_PREFIX, [key]) == {}, (
        f"a policy with the unencoded prefix {SPACED_FOLDER + '/'!r} matched the event for {key!r}"
    )
