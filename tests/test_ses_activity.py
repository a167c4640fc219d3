"""Claims of the SES sending activity pattern: SES -> SNS -> SQS -> Lambda -> MySQL.

The pattern is deployed once per module. SES resources and the observer queue exist only
on backends that publish SES events, and the event source mapping and the database only
where Lambda consumes SQS batches. Every check is scoped to the ids of the events a test
sent, so the tests do not depend on each other's traffic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from fixtures.database import drop_database
from scenarios.ses_activity.scenario import (
    EXPECTED_SIMULATOR_EVENTS,
    MAX_RECEIVE_COUNT,
    VISIBILITY_TIMEOUT,
    PublishedEvent,
    SesActivityScenario,
    SesEvent,
    event_shape_problems,
    fetch_rows,
    make_event,
    prepare_database,
    run_report,
    stored_once_problems,
)

# Bounds of polling on a real clock, in seconds.
SES_EVENT_TIMEOUT = 45
STORE_TIMEOUT = 30
# A message that keeps failing is received MAX_RECEIVE_COUNT times, one visibility
# timeout apart, and moved on the receive after that.
DEAD_LETTER_TIMEOUT = VISIBILITY_TIMEOUT * (MAX_RECEIVE_COUNT + 1) + 15
DRAIN_TIMEOUT = DEAD_LETTER_TIMEOUT

MAIL_TIME = "2024-05-06T07:08:09.000Z"


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest) -> Iterator[object]:
    """A database with the consumer's schema for this module; skips the test without a server."""
    server_url = request.getfixturevalue("mysql_url")
    url = prepare_database(server_url)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def scenario(request: pytest.FixtureRequest, backend, names, module_cleanup) -> SesActivityScenario:
    deployment = SesActivityScenario(backend, names, module_cleanup)
    deployment.deploy_topic()
    if "ses.event-publishing" in backend.capabilities:
        deployment.deploy_ses()
    deployment.deploy_queues()
    if "ses.event-publishing" in backend.capabilities:
        deployment.deploy_observer()

    database_url = None
    if "lambda.sqs-event-source" in backend.capabilities:
        try:
            database_url = request.getfixturevalue("database")
        except pytest.skip.Exception:
            # The storage claims request the database themselves and are skipped with the reason.
            database_url = None
    deployment.deploy_function(database_url)
    return deployment


@pytest.fixture(scope="module")
def pipeline(scenario, database) -> SesActivityScenario:
    """The scenario with its event source mapping, storing into ``database``."""
    scenario.connect_event_source()
    return scenario


@pytest.fixture(scope="module")
def simulator_run(scenario) -> dict[str, object]:
    """Mail sent once to the simulator addresses; the first test that needs it collects events."""
    return {"message_ids": scenario.send_to_simulator(), "events": None}


def collected_events(run: dict[str, object], scenario: SesActivityScenario, eventually) -> list[dict]:
    """Return the events of the run's messages, waiting until every expected event arrived.

    Returns what arrived when the wait ends without raising, so that each claim judges it.
    """
    if run["events"] is None:
        message_ids = set(run["message_ids"].values())
        expected = expected_simulator_events(run["message_ids"])

        def events_of_run() -> list[dict]:
            return [e for e in scenario.read_observer() if e.get("mail", {}).get("messageId") in message_ids]

        try:
            eventually(events_of_run, until=lambda events: expected <= event_keys(events),
                       timeout=SES_EVENT_TIMEOUT, interval=1.0, what="SES events of the simulator messages")
        except AssertionError:
            pass
        run["events"] = events_of_run()
    return run["events"]


def expected_simulator_events(message_ids: dict[str, str]) -> set[tuple[str, str]]:
    return {
        (event_type, message_ids[outcome])
        for outcome, event_types in EXPECTED_SIMULATOR_EVENTS.items()
        for event_type in event_types
    }


def event_keys(events: list[dict]) -> set[tuple[str, str]]:
    return {(e.get("eventType"), e.get("mail", {}).get("messageId")) for e in events}


def new_message_id() -> str:
    return f"claims-{uuid.uuid4()}"


def wait_until_stored(pipeline: SesActivityScenario, database, published: list[PublishedEvent],
                      eventually) -> list[dict]:
    """Wait until every published event has a row and the source queue is empty; return the rows."""
    ids = sorted({item.ses_event.ses_message_id for item in published})
    expected_keys = {(item.ses_event.ses_message_id, item.ses_event.event_type) for item in published}
    eventually(lambda: fetch_rows(database, ids),
               until=lambda rows: expected_keys <= {(r["ses_message_id"], r["event_type"]) for r in rows},
               timeout=STORE_TIMEOUT, interval=0.5, what=f"rows of {len(published)} published events")
    wait_until_drained(pipeline, eventually)
    return fetch_rows(database, ids)


def wait_until_drained(pipeline: SesActivityScenario, eventually) -> None:
    eventually(lambda: pipeline.queue_counts(pipeline.queue_url), until=lambda counts: not any(counts.values()),
               timeout=DRAIN_TIMEOUT, interval=0.5, what="an empty source queue")


@pytest.mark.claim("ses-activity.events-published")
def test_simulator_events_published(scenario, simulator_run, eventually):
    events = collected_events(simulator_run, scenario, eventually)

    seen = event_keys(events)
    for outcome, message_id in simulator_run["message_ids"].items():
        for event_type in EXPECTED_SIMULATOR_EVENTS[outcome]:
            assert (event_type, message_id) in seen, (
                f"no {event_type} event for the message to the {outcome} address ({message_id}); "
                f"events seen: {sorted(seen, key=str)}"
            )


@pytest.mark.claim("ses-activity.event-shape")
def test_published_event_shape(scenario, simulator_run, eventually):
    events = collected_events(simulator_run, scenario, eventually)

    assert events, "SES published no event for the simulator messages"
    for event in events:
        problems = event_shape_problems(event)
        assert problems == [], f"{problems}; event: {json.dumps(event)[:1500]}"


@pytest.mark.claim("ses-activity.stored-once")
def test_each_event_stored_once(pipeline, database, eventually):
    message_id = new_message_id()
    recipient = "stored.once@example.org"
    events = [
        make_event("send", ses_message_id=message_id, recipient=recipient, mail_timestamp=MAIL_TIME),
        make_event("delivery", ses_message_id=message_id, recipient=recipient, mail_timestamp=MAIL_TIME,
                   event_timestamp="2024-05-06T07:08:11.250Z"),
        make_event("complaint", ses_message_id=message_id, recipient=recipient, mail_timestamp=MAIL_TIME,
                   event_timestamp="2024-05-06T09:00:00.000Z"),
    ]
    bounced_id = new_message_id()
    events.append(make_event("bounce", ses_message_id=bounced_id, recipient="no.such.user@example.org",
                             mail_timestamp=MAIL_TIME, event_timestamp="2024-05-06T07:08:10.500Z"))

    published = pipeline.publish(events)
    rows = wait_until_stored(pipeline, database, published, eventually)

    assert stored_once_problems(published, rows) == []
    assert len(rows) == len(published), f"rows: {rows!r}"


@pytest.mark.claim("ses-activity.redelivery-stored-once")
def test_redelivered_notification_stored_once(pipeline, database, eventually):
    event = make_event("delivery", ses_message_id=new_message_id(), recipient="twice@example.org",
                       mail_timestamp=MAIL_TIME, event_timestamp="2024-05-06T07:08:12.000Z")
    [published] = pipeline.publish([event])
    first_rows = wait_until_stored(pipeline, database, [published], eventually)
    assert stored_once_problems([published], first_rows) == [], "the first delivery was not stored once"

    copy = pipeline.notification_body(published)
    pipeline.send_bodies([copy])
    wait_until_drained(pipeline, eventually)

    rows = fetch_rows(database, [event.ses_message_id])
    assert stored_once_problems([published], rows) == []
    # The module shares one dead-letter queue, which may hold another claim's malformed message.
    rejected = [message for message in pipeline.peek_dead_letters() if message["Body"] == copy]
    assert rejected == [], "the redelivered copy was rejected instead of stored"


@pytest.mark.claim("ses-activity.malformed-isolated")
def test_malformed_message_isolated(pipeline, database, eventually):
    events = [
        make_event("send", ses_message_id=new_message_id(), recipient=f"batch.{index}@example.org",
                   mail_timestamp=MAIL_TIME)
        for index in range(3)
    ]
    valid = [PublishedEvent(event, f"claims-sns-{uuid.uuid4()}") for event in events]
    malformed = f"not an SNS notification {uuid.uuid4()}"
    pipeline.send_bodies([pipeline.notification_body(valid[0]), malformed,
                          pipeline.notification_body(valid[1]), pipeline.notification_body(valid[2])])

    dead_letters = eventually(
        pipeline.peek_dead_letters,
        until=lambda messages: any(m["Body"] == malformed for m in messages),
        timeout=DEAD_LETTER_TIMEOUT, interval=1.0, what="the malformed message in the dead-letter queue",
    )
    wait_until_drained(pipeline, eventually)
    rows = fetch_rows(database, [event.ses_message_id for event in events])

    assert stored_once_problems(valid, rows) == [], "a valid message of the batch was not stored once"
    [dead_letter] = [m for m in dead_letters if m["Body"] == malformed]
    receive_count = int(dead_letter["Attributes"]["ApproximateReceiveCount"])
    assert receive_count >= MAX_RECEIVE_COUNT, f"moved after {receive_count} receives"
    valid_bodies = {pipeline.notification_body(item) for item in valid}
    assert not valid_bodies & {m["Body"] for m in dead_letters}, "a valid message reached the dead-letter queue"


@pytest.mark.claim("ses-activity.rates-match")
def test_rates_match_sent(pipeline, database, eventually):
    # A window of its own, so rows of the other tests do not count.
    since = datetime(2031, 2, 3, 4, 0, 0)
    sent = 8
    bounced = {0: "Permanent", 1: "Transient"}
    complained = {2}
    events: list[SesEvent] = []
    for index in range(sent):
        mail_time = (since + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        message_id = new_message_id()
        recipient = f"rate.{index}@example.org"
        events.append(make_event("send", ses_message_id=message_id, recipient=recipient, mail_timestamp=mail_time))
        if index in bounced:
            events.append(make_event("bounce", ses_message_id=message_id, recipient=recipient,
                                     mail_timestamp=mail_time, bounce_type=bounced[index]))
        if index in complained:
            events.append(make_event("complaint", ses_message_id=message_id, recipient=recipient,
                                     mail_timestamp=mail_time))

    published = pipeline.publish(events)
    rows = wait_until_stored(pipeline, database, published, eventually)
    assert stored_once_problems(published, rows) == []

    until = since + timedelta(hours=1)
    bounce = run_report(database, "bounce_rate", since, until)
    complaint = run_report(database, "complaint_rate", since, until)

    assert bounce["sent"] == sent
    assert bounce["bounced"] == len(bounced)
    assert bounce["hard_bounced"] == 1
    assert float(bounce["bounce_rate"]) == pytest.approx(len(bounced) / sent)
    assert float(bounce["hard_bounce_rate"]) == pytest.approx(1 / sent)
    assert complaint["complained"] == len(complained)
    assert float(complaint["complaint_rate"]) == pytest.approx(len(complained) / sent)


@pytest.mark.claim("ses-activity.visibility-six-times-timeout")
def test_visibility_six_times_timeout(scenario):
    visibility, function_timeout = scenario.timeouts()

    assert function_timeout > 0
    assert visibility >= 6 * function_timeout, (
        f"queue visibility timeout {visibility} s < 6 x function timeout {function_timeout} s"
    )
