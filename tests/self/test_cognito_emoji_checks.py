"""The Cognito emoji claim checks fail on evidence from a broken trigger and pass on AWS's.

The trigger claims cannot run on in-process moto, so their failure is shown here. The
checks get outcomes recorded on ministack 1.5.33 with a PreSignUp handler that returns
every event unchanged, so it lets emoji through. They also get outcomes in the form AWS
documents, which they must accept.
"""

from __future__ import annotations

import copy
from types import ModuleType

import pytest

from fixtures.lambda_context import LambdaContext
from scenarios.cognito_emoji import checks
from scenarios.cognito_emoji.scenario import (
    TRIGGER_LOG_MESSAGE,
    USERNAME_MAX_LENGTH,
    CallOutcome,
    expected_cognito_message,
    expected_handler_message,
    matches_username_pattern,
    parse_trigger_events,
)

EMOJI = "😀"

# Recorded on ministack 1.5.33 (CloudFormation deployment of the scenario) with a
# PreSignUp handler that returns the event unchanged. Timestamps and attributes are trimmed.
PERMISSIVE_SIGN_UP = CallOutcome("SignUp", "recorded-signup😀", response={
    "UserConfirmed": False,
    "CodeDeliveryDetails": {"Destination": "new.user@example.com", "DeliveryMedium": "EMAIL",
                            "AttributeName": "email"},
    "UserSub": "6d216abb-97c5-48cc-8653-633f5c572790",
})
PERMISSIVE_SIGN_UP_LOOKUP = CallOutcome("AdminGetUser", "recorded-signup😀", response={
    "Username": "recorded-signup😀", "Enabled": True, "UserStatus": "UNCONFIRMED",
})
PERMISSIVE_ADMIN_CREATE_USER = CallOutcome("AdminCreateUser", "recorded-admincreateuser😀", response={
    "User": {"Username": "recorded-admincreateuser😀", "Enabled": True, "UserStatus": "FORCE_CHANGE_PASSWORD"},
})
PERMISSIVE_ADMIN_CREATE_USER_LOOKUP = CallOutcome("AdminGetUser", "recorded-admincreateuser😀", response={
    "Username": "recorded-admincreateuser😀", "Enabled": True, "UserStatus": "FORCE_CHANGE_PASSWORD",
})

# Recorded on ministack 1.5.33 with the real handler: the error code is right, the
# message is the printed function error.
MINISTACK_SIGN_UP_MESSAGE = (
    "{'errorMessage': 'Username must not contain emoji, found: 😀. Choose a username without emoji', "
    "'errorType': 'Runtime.HandlerError'}"
)

def handler_message(presignup: ModuleType, username: str, trigger_source: str) -> str:
    event = {
        "version": "1", "triggerSource": trigger_source, "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE1", "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
        "request": {"userAttributes": {"email": "new.user@example.com"}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    with pytest.raises(presignup.EmojiUsernameError) as raised:
        presignup.handler(event, LambdaContext())
    return str(raised.value)


def documented_rejection(presignup: ModuleType, operation: str, username: str, trigger_source: str) -> CallOutcome:
    """Return the outcome AWS documents when the real handler raises for ``username``."""
    message = expected_cognito_message(handler_message(presignup, username, trigger_source))
    return CallOutcome(operation, username, error_code="UserLambdaValidationException", error_message=message)


def user_not_found(username: str) -> CallOutcome:
    return CallOutcome("AdminGetUser", username, error_code="UserNotFoundException",
                       error_message="User does not exist.")


# handler message ---------------------------------------------------------------------

def test_log_marker_matches_handler(presignup):
    assert presignup.LOG_MESSAGE == TRIGGER_LOG_MESSAGE


@pytest.mark.parametrize("trigger_source", ["PreSignUp_SignUp", "PreSignUp_AdminCreateUser"])
def test_expected_message_matches_handler(presignup, trigger_source):
    assert handler_message(presignup, f"smile{EMOJI}", trigger_source) == expected_handler_message([EMOJI])


# claim 1: SignUp rejected by the trigger ---------------------------------------------

def test_rejection_check_passes_documented_form(presignup):
    outcome = documented_rejection(presignup, "SignUp", f"smile{EMOJI}", "PreSignUp_SignUp")

    checks.check_rejected_by_trigger(outcome, [EMOJI])


def test_rejection_check_fails_permissive_handler():
    with pytest.raises(AssertionError, match="expected UserLambdaValidationException, but SignUp"):
        checks.check_rejected_by_trigger(PERMISSIVE_SIGN_UP, [EMOJI])


def test_rejection_check_fails_ministack_message():
    outcome = CallOutcome("SignUp", f"smile{EMOJI}", error_code="UserLambdaValidationException",
                          error_message=MINISTACK_SIGN_UP_MESSAGE)

    with pytest.raises(AssertionError, match="message is"):
        checks.check_rejected_by_trigger(outcome, [EMOJI])


def test_rejection_check_fails_wrong_code(presignup):
    outcome = documented_rejection(presignup, "SignUp", f"smile{EMOJI}", "PreSignUp_SignUp")
    wrong = CallOutcome(outcome.operation, outcome.username, error_code="UnexpectedLambdaException",
                        error_message=outcome.error_message)

    with pytest.raises(AssertionError, match="wrong error code"):
        checks.check_rejected_by_trigger(wrong, [EMOJI])


# claim 2: no user after a rejected sign-up ---------------------------------------------

def test_absent_check_passes_user_not_found():
    checks.check_user_absent(user_not_found(f"smile{EMOJI}"))


def test_absent_check_fails_permissive_handler():
    with pytest.raises(AssertionError, match="the rejected user exists"):
        checks.check_user_absent(PERMISSIVE_SIGN_UP_LOOKUP)


# claim 3: plain username signs up unconfirmed --------------------------------------------

def test_unconfirmed_check_passes_recorded_sign_up():
    checks.check_unconfirmed_sign_up(PERMISSIVE_SIGN_UP, PERMISSIVE_SIGN_UP_LOOKUP)


def test_unconfirmed_check_fails_auto_confirmed():
    sign_up = CallOutcome("SignUp", "plain", response={"UserConfirmed": True, "UserSub": "x"})
    lookup = CallOutcome("AdminGetUser", "plain", response={"Username": "plain", "UserStatus": "CONFIRMED"})

    with pytest.raises(AssertionError, match="UserConfirmed is not false"):
        checks.check_unconfirmed_sign_up(sign_up, lookup)


# claim 4: AdminCreateUser goes through the trigger ----------------------------------------

def test_admin_create_checks_pass_documented_form(presignup):
    username = f"smile{EMOJI}"
    outcome = documented_rejection(presignup, "AdminCreateUser", username, "PreSignUp_AdminCreateUser")

    checks.check_rejected_by_trigger(outcome, [EMOJI])
    checks.check_user_absent(user_not_found(username))


def test_admin_create_rejection_fails_permissive_handler():
    with pytest.raises(AssertionError, match="expected UserLambdaValidationException, but AdminCreateUser"):
        checks.check_rejected_by_trigger(PERMISSIVE_ADMIN_CREATE_USER, [EMOJI])


def test_admin_create_absent_fails_permissive_handler():
    with pytest.raises(AssertionError, match="the rejected user exists"):
        checks.check_user_absent(PERMISSIVE_ADMIN_CREATE_USER_LOOKUP)


# claim 5: event shape ------------------------------------------------------------------------

DOCUMENTED_EVENT = {
    "version": "1",
    "triggerSource": "PreSignUp_SignUp",
    "region": "us-east-1",
    "userPoolId": "us-east-1_EXAMPLE1",
    "userName": "plain-user",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
    "request": {"userAttributes": {"email": "new.user@example.com"}, "validationData": {}},
    "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
}
EVENT_EXPECTATIONS = {
    "trigger_source": "PreSignUp_SignUp", "region": "us-east-1", "user_pool_id": "us-east-1_EXAMPLE1",
    "username": "plain-user", "client_id": "1example23456789",
    "user_attributes": {"email": "new.user@example.com"},
}


def test_event_check_passes_documented_event():
    checks.check_event_shape(copy.deepcopy(DOCUMENTED_EVENT), **EVENT_EXPECTATIONS)


@pytest.mark.parametrize(("path", "value"), [
    (("version",), None),
    (("triggerSource",), "PreSignUp_AdminCreateUser"),
    (("region",), "eu-west-1"),
    (("userPoolId",), "us-east-1_OTHER"),
    (("userName",), "someone-else"),
    (("callerContext", "clientId"), "other-client"),
    (("callerContext", "awsSdkVersion"), None),
    (("request", "userAttributes"), {}),
    (("response", "autoConfirmUser"), True),
])
def test_event_check_fails_wrong_field(path, value):
    event = copy.deepcopy(DOCUMENTED_EVENT)
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value

    with pytest.raises(AssertionError):
        checks.check_event_shape(event, **EVENT_EXPECTATIONS)


def test_parse_trigger_events_reads_json_lines():
    message = (
        "START RequestId: 1 Version: $LATEST\n"
        '{"message": "PreSignUp event received", "event": {"userName": "a😀"}}\n'
        '{"message": "something else"}\n'
        "{not json\n"
        "END RequestId: 1\n"
    )

    assert parse_trigger_events(message) == [{"userName": "a😀"}]


def test_events_for_filters_username_and_source():
    events = [
        {"userName": "a", "triggerSource": "PreSignUp_SignUp"},
        {"userName": "a", "triggerSource": "PreSignUp_AdminCreateUser"},
        {"userName": "b", "triggerSource": "PreSignUp_SignUp"},
        None,
    ]

    assert checks.events_for(events, "a") == events[:2]
    assert checks.events_for(events, "a", "PreSignUp_AdminCreateUser") == [events[1]]


# claim 6: the API's username constraints -------------------------------------------------------

def test_invalid_parameter_check_fails_accepted_name():
    accepted = CallOutcome("SignUp", "first last", response={"UserConfirmed": False, "UserSub": "x"})

    with pytest.raises(AssertionError, match="expected InvalidParameterException"):
        checks.check_invalid_parameter(accepted)


@pytest.mark.parametrize("username", [
    pytest.param(f"smile{EMOJI}", id="emoji"),
    pytest.param("José_Müller", id="accented"),
    pytest.param("山田太郎", id="cjk"),
    pytest.param("price€", id="currency-sign"),
    pytest.param("a" * USERNAME_MAX_LENGTH, id="128-characters"),
    pytest.param("x", id="one-character"),
])
def test_username_pattern_accepts(username):
    assert matches_username_pattern(username)


@pytest.mark.parametrize("username", [
    pytest.param("", id="empty"),
    pytest.param("first last", id="space"),
    pytest.param("first\tlast", id="tab"),
    pytest.param("first\u00a0last", id="no-break-space"),
    pytest.param("bell\u0007", id="control-character"),
    pytest.param("zero\u200bwidth", id="format-character"),
    pytest.param("a" * (USERNAME_MAX_LENGTH + 1), id="129-characters"),
])
def test_username_pattern_rejects(username):
    assert not matches_username_pattern(username)
