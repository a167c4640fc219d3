"""Claims of the Cognito pattern: a PreSignUp trigger rejects usernames containing emoji."""

from __future__ import annotations

import pytest

from scenarios.cognito_emoji import checks
from scenarios.cognito_emoji.scenario import EMAIL, USERNAME_MAX_LENGTH, CognitoScenario, matches_username_pattern

# NOTE: an estimate of how long AWS takes to deliver a trigger's log line to CloudWatch Logs.
LOG_TIMEOUT = 30.0
LOG_INTERVAL = 0.5

EMOJI = "😀"


@pytest.fixture(scope="module")
def cognito_scenario(backend, names, module_cleanup) -> CognitoScenario:
    """One user pool with its trigger for the module; every test uses its own usernames."""
    scenario = CognitoScenario(backend, names, module_cleanup)
    scenario.deploy()
    return scenario


def emoji_username(names) -> str:
    return f"{names.unique('user')}{EMOJI}"


def wait_for_events(eventually, scenario: CognitoScenario, username: str, trigger_source: str) -> list[dict]:
    return eventually(
        lambda: checks.events_for(scenario.trigger_events(), username, trigger_source),
        until=bool, timeout=LOG_TIMEOUT, interval=LOG_INTERVAL,
        what=f"a {trigger_source} event for {username!r} in {scenario.deployment.log_group}",
    )


@pytest.mark.claim("cognito-emoji.signup-rejected-by-trigger")
def test_signup_emoji_rejected(cognito_scenario, names):
    username = emoji_username(names)

    outcome = cognito_scenario.sign_up(username)

    checks.check_rejected_by_trigger(outcome, [EMOJI])


@pytest.mark.claim("cognito-emoji.rejected-user-absent")
def test_rejected_user_absent(cognito_scenario, names):
    username = emoji_username(names)

    sign_up = cognito_scenario.sign_up(username)
    lookup = cognito_scenario.admin_get_user(username)

    assert sign_up.failed, f"the trigger let the emoji username through: {sign_up.describe()}"
    checks.check_user_absent(lookup)


@pytest.mark.claim("cognito-emoji.plain-username-unconfirmed")
def test_plain_username_unconfirmed(cognito_scenario, names):
    username = names.unique("user")

    sign_up = cognito_scenario.sign_up(username)
    lookup = cognito_scenario.admin_get_user(username)

    checks.check_unconfirmed_sign_up(sign_up, lookup)


@pytest.mark.claim("cognito-emoji.admin-create-user-triggers")
def test_admin_create_user_rejected(cognito_scenario, names, eventually):
    username = emoji_username(names)

    outcome = cognito_scenario.admin_create_user(username)
    lookup = cognito_scenario.admin_get_user(username)

    checks.check_rejected_by_trigger(outcome, [EMOJI])
    checks.check_user_absent(lookup)
    events = wait_for_events(eventually, cognito_scenario, username, "PreSignUp_AdminCreateUser")
    assert len(events) == 1, f"expected one trigger call for {username!r}, got {events!r}"


@pytest.mark.claim("cognito-emoji.event-shape")
def test_signup_event_shape(cognito_scenario, backend, names, eventually):
    username = names.unique("user")
    deployment = cognito_scenario.deployment

    sign_up = cognito_scenario.sign_up(username)
    assert not sign_up.failed, sign_up.describe()
    events = wait_for_events(eventually, cognito_scenario, username, "PreSignUp_SignUp")

    assert len(events) == 1, f"expected one trigger call for {username!r}, got {events!r}"
    checks.check_event_shape(
        events[0], trigger_source="PreSignUp_SignUp", region=backend.region,
        user_pool_id=deployment.user_pool_id, username=username, client_id=deployment.client_id,
        user_attributes={"email": EMAIL},
    )


# Usernames outside the API's Username constraints, as functions of a unique prefix.
INVALID_USERNAMES = {
    "space": lambda prefix: f"{prefix} x",
    "tab": lambda prefix: f"{prefix}\tx",
    "no-break-space": lambda prefix: f"{prefix}\u00a0x",
    "control-character": lambda prefix: f"{prefix}\u0007",
    "129-characters": lambda prefix: prefix.ljust(USERNAME_MAX_LENGTH + 1, "a"),
}


@pytest.mark.claim("cognito-emoji.username-pattern-enforced")
@pytest.mark.parametrize("case", list(INVALID_USERNAMES))
@pytest.mark.parametrize("operation", ["SignUp", "AdminCreateUser"])
def test_username_pattern_enforced(cognito_scenario, backend, names, eventually, operation, case):
    username = INVALID_USERNAMES[case](names.unique("user"))
    assert not matches_username_pattern(username), f"{username!r} is a valid username"
    # The client skips botocore's own length check, because the claim is about what the service does.
    client = cognito_scenario.unvalidated_cognito()
    call = cognito_scenario.sign_up if operation == "SignUp" else cognito_scenario.admin_create_user

    outcome = call(username, client=client)

    checks.check_invalid_parameter(outcome)
    if "cognito.triggers" not in backend.capabilities:
        return
    # A valid sign-up sent afterwards must reach the trigger's log. Once it has, an event
    # for the rejected name would have arrived as well.
    control = names.unique("user")
    control_outcome = cognito_scenario.sign_up(control)
    assert not control_outcome.failed, control_outcome.describe()
    wait_for_events(eventually, cognito_scenario, control, "PreSignUp_SignUp")
    assert checks.events_for(cognito_scenario.trigger_events(), username) == [], f"the trigger ran for {username!r}"
