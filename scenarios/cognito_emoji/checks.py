"""Checks of the Cognito emoji username claims, applied to the outcomes of Cognito calls.

The compliance tests feed them live outcomes. tests/self feeds them recorded ones, to show
that each check fails on the evidence of a broken trigger or backend.
Each function raises AssertionError naming the value that broke the claim.
"""

from __future__ import annotations

from typing import Any

from scenarios.cognito_emoji.scenario import CallOutcome, expected_cognito_message, expected_handler_message

REJECTION_CODE = "UserLambdaValidationException"


def check_rejected_by_trigger(outcome: CallOutcome, found: list[str]) -> None:
    """Check that the call failed as Cognito fails when the trigger raises for ``found``."""
    assert outcome.failed, f"expected {REJECTION_CODE}, but {outcome.describe()}"
    assert outcome.error_code == REJECTION_CODE, f"wrong error code: {outcome.describe()}"
    expected = expected_cognito_message(expected_handler_message(found))
    assert outcome.error_message == expected, (
        f"{outcome.operation}({outcome.username!r}) message is {outcome.error_message!r}, expected {expected!r}"
    )


def check_user_absent(lookup: CallOutcome) -> None:
    """Check that AdminGetUser found no user."""
    assert lookup.failed, f"the rejected user exists: {lookup.describe()}"
    assert lookup.error_code == "UserNotFoundException", f"wrong error code: {lookup.describe()}"


def check_unconfirmed_sign_up(sign_up: CallOutcome, lookup: CallOutcome) -> None:
    """Check that SignUp succeeded with an unconfirmed user, and AdminGetUser agrees."""
    assert not sign_up.failed, sign_up.describe()
    assert sign_up.response.get("UserConfirmed") is False, f"UserConfirmed is not false: {sign_up.describe()}"
    assert lookup.response is not None, lookup.describe()
    assert lookup.response.get("UserStatus") == "UNCONFIRMED", f"wrong user status: {lookup.describe()}"


def check_invalid_parameter(outcome: CallOutcome) -> None:
    """Check that the service rejected the call with InvalidParameterException."""
    assert outcome.failed, f"expected InvalidParameterException, but {outcome.describe()}"
    assert outcome.error_code == "InvalidParameterException", f"wrong error code: {outcome.describe()}"


def events_for(events: list[dict[str, Any]], username: str, trigger_source: str | None = None) -> list[dict[str, Any]]:
    """Return the logged trigger events for ``username``, limited to ``trigger_source`` when given."""
    return [
        event for event in events
        if isinstance(event, dict) and event.get("userName") == username
        and (trigger_source is None or event.get("triggerSource") == trigger_source)
    ]


def check_event_shape(event: dict[str, Any], *, trigger_source: str, region: str, user_pool_id: str,
                      username: str, client_id: str, user_attributes: dict[str, str]) -> None:
    """Check the documented fields of a PreSignUp event.

    https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html
    """
    version = event.get("version")
    assert isinstance(version, str) and version, f"version is not a non-empty string: {version!r}"
    assert event.get("triggerSource") == trigger_source, f"triggerSource is {event.get('triggerSource')!r}"
    assert event.get("region") == region, f"region is {event.get('region')!r}, expected {region!r}"
    assert event.get("userPoolId") == user_pool_id, f"userPoolId is {event.get('userPoolId')!r}"
    assert event.get("userName") == username, f"userName is {event.get('userName')!r}, expected {username!r}"

    caller = event.get("callerContext")
    assert isinstance(caller, dict), f"callerContext is not an object: {caller!r}"
    assert isinstance(caller.get("awsSdkVersion"), str), f"callerContext.awsSdkVersion is missing: {caller!r}"
    assert caller.get("clientId") == client_id, f"callerContext.clientId is {caller.get('clientId')!r}"

    request = event.get("request")
    assert isinstance(request, dict), f"request is not an object: {request!r}"
    attributes = request.get("userAttributes")
    assert isinstance(attributes, dict), f"request.userAttributes is not an object: {attributes!r}"
    for name, value in user_attributes.items():
        assert attributes.get(name) == value, f"request.userAttributes[{name!r}] is {attributes.get(name)!r}"

    expected_response = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    assert event.get("response") == expected_response, f"response is {event.get('response')!r}"
