"""Cognito PreSignUp trigger that rejects usernames containing emoji.

Rule: a username is rejected when it contains

- any emoji that the ``emoji`` library (vendored into the deployment package) finds. The
  library follows Unicode's emoji data. It finds single pictographs (😀), skin-tone
  modified emoji (👍🏽), flags made of two regional indicators (🇫🇷), keycap sequences
  (1️⃣) and ZWJ sequences (👩‍💻). It also finds characters that Unicode lists as emoji
  but that render as text by default, such as ©, ™, ↔ and ♥;
- or a lone emoji building block that the library does not report on its own: a
  regional indicator letter, the emoji variation selector U+FE0F, the combining
  enclosing keycap U+20E3, an emoji skin-tone modifier or a tag character. These are
  recognised by their Unicode character names from ``unicodedata``.

Every other character is allowed. That includes symbols that are not emoji (currency
signs such as € and $, mathematical signs), letters with accents, CJK and other scripts,
digits and punctuation. ``#`` and ``*`` are allowed too, since they are emoji only when
they start a keycap sequence.
Cognito's own username pattern still rejects whitespace and control characters before
the trigger runs.

Cognito calls the trigger on SignUp (triggerSource ``PreSignUp_SignUp``), on
AdminCreateUser (``PreSignUp_AdminCreateUser``) and for federated sign-in
(``PreSignUp_ExternalProvider``). When the handler raises, Cognito rejects the request with
UserLambdaValidationException and the message "PreSignUp failed with error <message>."
When it returns the event unchanged, sign-up goes on with confirmation and verification
as the user pool is configured.
https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-sign-up.html

Each invocation prints the event it received as one JSON line, so a test can read it from
the function's log.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import emoji

# Prefixes of the Unicode character names of emoji building blocks that the emoji
# library reports only inside a complete sequence.
EMOJI_COMPONENT_NAME_PREFIXES = (
    "REGIONAL INDICATOR SYMBOL LETTER ",
    "VARIATION SELECTOR-16",
    "COMBINING ENCLOSING KEYCAP",
    "EMOJI MODIFIER FITZPATRICK ",
    "TAG ",
    "CANCEL TAG",
)

LOG_MESSAGE = "PreSignUp event received"


class EmojiUsernameError(Exception):
    """Raised to make Cognito reject a sign-up whose username contains emoji."""


def find_emoji(username: str) -> list[str]:
    """Return the emoji and lone emoji components in ``username``, in order of appearance."""
    matches = emoji.emoji_list(username)
    found = [(match["match_start"], match["emoji"]) for match in matches]
    covered = {
        position
        for match in matches
        for position in range(match["match_start"], match["match_end"])
    }
    for position, character in enumerate(username):
        if position in covered:
            continue
        if unicodedata.name(character, "").startswith(EMOJI_COMPONENT_NAME_PREFIXES):
            found.append((position, character))
    return [text for _, text in sorted(found)]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Raise EmojiUsernameError when ``event["userName"]`` contains emoji, else return the event."""
    print(json.dumps({"message": LOG_MESSAGE, "event": event}, ensure_ascii=False), flush=True)

    username = event.get("userName")
    if not isinstance(username, str):
        raise ValueError(
            f"PreSignUp event has no string userName (got {username!r}); "
            f"the trigger must be attached to a Cognito user pool"
        )

    found = find_emoji(username)
    if found:
        listed = " ".join(found)
        raise EmojiUsernameError(
            f"Username must not contain emoji, found: {listed}. Choose a username without emoji"
        )
    return event
