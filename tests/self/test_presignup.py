"""In-process tests of the Cognito PreSignUp trigger that rejects emoji usernames.

The trigger is imported from its built deployment package, so the vendored emoji library
is the one that runs, and the events follow the shapes documented at
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from types import ModuleType

import pytest

from fixtures.lambda_context import LambdaContext
from scenarios.cognito_emoji.functions import build_presignup_zip

def sign_up_event(username: str) -> dict:
    """Return a PreSignUp event as Cognito sends it for a SignUp request."""
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE1",
        "userName": username,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789",
        },
        "triggerSource": "PreSignUp_SignUp",
        "request": {
            "userAttributes": {"email": "user@example.com"},
            "validationData": {"referral": "newsletter"},
            "clientMetadata": {"campaign": "spring"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


def admin_create_user_event(username: str) -> dict:
    """Return a PreSignUp event as Cognito sends it for an AdminCreateUser request."""
    event = sign_up_event(username)
    event["triggerSource"] = "PreSignUp_AdminCreateUser"
    # NOTE: the clientId placeholder is the value AWS is reported to send for admin calls;
    # the PreSignUp documentation page does not show an AdminCreateUser example.
    event["callerContext"]["clientId"] = "CLIENT_ID_NOT_APPLICABLE"
    return event


REJECTED_USERNAMES = [
    pytest.param("smile😀", ["😀"], id="pictograph"),
    pytest.param("thumbs👍🏽up", ["👍🏽"], id="skin-tone-modifier"),
    pytest.param("🇫🇷paris", ["🇫🇷"], id="flag"),
    pytest.param("room1️⃣", ["1️⃣"], id="keycap"),
    pytest.param("dev👩‍💻", ["👩‍💻"], id="zwj-sequence"),
    pytest.param("love❤️", ["❤️"], id="heart-with-selector"),
    pytest.param("acme©", ["©"], id="text-default-emoji"),
    pytest.param("a😀b🎉", ["😀", "🎉"], id="two-emoji"),
    pytest.param("only🇫", ["🇫"], id="lone-regional-indicator"),
    pytest.param("tone🏽", ["🏽"], id="lone-skin-tone"),
    pytest.param("name\ufe0f", ["\ufe0f"], id="lone-variation-selector"),
    pytest.param("key\u20e3", ["\u20e3"], id="lone-keycap-mark"),
]

ALLOWED_USERNAMES = [
    pytest.param("price€$£¥", id="currency-signs"),
    pytest.param("José_Müller", id="accented-letters"),
    pytest.param("山田太郎", id="cjk-letters"),
    pytest.param("user2024", id="digits"),
    pytest.param("#1*", id="hash-digit-asterisk"),
    pytest.param("first.last-name_+@x", id="punctuation"),
    pytest.param("a≠b", id="math-sign"),
    pytest.param("Ωμέγα", id="greek"),
]


@pytest.mark.parametrize(("username", "expected"), REJECTED_USERNAMES)
def test_find_emoji_rejected_names(presignup: ModuleType, username: str, expected: list[str]):
    assert presignup.find_emoji(username) == expected


@pytest.mark.parametrize("username", ALLOWED_USERNAMES)
def test_find_emoji_allowed_names(presignup: ModuleType, username: str):
    assert presignup.find_emoji(username) == []


@pytest.mark.parametrize(("username", "expected"), REJECTED_USERNAMES)
@pytest.mark.parametrize("make_event", [sign_up_event, admin_create_user_event])
def test_handler_rejects_emoji(presignup: ModuleType, make_event, username: str, expected: list[str]):
    with pytest.raises(presignup.EmojiUsernameError) as raised:
        presignup.handler(make_event(username), LambdaContext())

    message = str(raised.value)
    assert message.startswith("Username must not contain emoji, found: ")
    assert " ".join(expected) in message
    # Cognito appends a full stop: "PreSignUp failed with error <message>."
    assert not message.endswith(".")


@pytest.mark.parametrize("username", ALLOWED_USERNAMES)
@pytest.mark.parametrize("make_event", [sign_up_event, admin_create_user_event])
def test_handler_returns_event_unchanged(presignup: ModuleType, make_event, username: str):
    event = make_event(username)
    original = copy.deepcopy(event)

    result = presignup.handler(event, LambdaContext())

    assert result == original
    assert result["response"] == {
        "autoConfirmUser": False,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }


@pytest.mark.parametrize("make_event", [sign_up_event, admin_create_user_event])
def test_handler_logs_event_as_json_line(
    presignup: ModuleType, make_event, capsys: pytest.CaptureFixture[str]
):
    event = make_event("smile😀")

    with pytest.raises(presignup.EmojiUsernameError):
        presignup.handler(event, LambdaContext())

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["message"] == "PreSignUp event received"
    assert record["event"] == event


def test_handler_missing_username(presignup: ModuleType):
    event = sign_up_event("placeholder")
    del event["userName"]

    with pytest.raises(ValueError, match="no string userName"):
        presignup.handler(event, LambdaContext())


def test_package_contains_vendored_emoji():
    names = zipfile.ZipFile(io.BytesIO(build_presignup_zip())).namelist()

    assert "presignup.py" in names
    assert "emoji/__init__.py" in names
    assert "emoji-2.16.0.dist-info/METADATA" in names
    assert not any(name.endswith(".pyc") for name in names)

