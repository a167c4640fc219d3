"""Faults in in-process moto's Cognito model for the claims that run on moto.

The trigger claims need capability cognito.triggers, which moto lacks, so tests/self shows
their failure against recorded evidence.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend

from fixtures.faults import fault
from scenarios.cognito_emoji.scenario import matches_username_pattern


def _reject_invalid_username(username: str) -> None:
    if not matches_username_pattern(username):
        raise InvalidParameterException(
            f"1 validation error detected: Value at 'username' failed to satisfy constraint: {username!r}"
        )


@fault("cognito.username-pattern", breaks=["cognito-emoji.username-pattern-enforced"], expect="pass")
def username_pattern(backend):
    """Repair: SignUp and AdminCreateUser reject usernames outside the API's Username pattern."""
    original_sign_up = CognitoIdpBackend.sign_up
    original_admin_create_user = CognitoIdpBackend.admin_create_user

    def sign_up(self, client_id, username, *args, **kwargs):
        _reject_invalid_username(username)
        return original_sign_up(self, client_id, username, *args, **kwargs)

    def admin_create_user(self, user_pool_id, username, *args, **kwargs):
        _reject_invalid_username(username)
        return original_admin_create_user(self, user_pool_id, username, *args, **kwargs)

    stack = ExitStack()
    stack.enter_context(mock.patch.object(CognitoIdpBackend, "sign_up", sign_up))
    stack.enter_context(mock.patch.object(CognitoIdpBackend, "admin_create_user", admin_create_user))
    return stack
