"""Faults in in-process moto for the SES activity claims that run there.

Only the visibility claim runs on moto: moto publishes no SES events and runs no Lambda
code without Docker, so the other claims are not modelled there. tests/self/
test_ses_activity_checks.py shows that their checks fail with a consumer that drops a
record or stores duplicates, and with events that lack documented fields.
"""

from __future__ import annotations

from unittest import mock

from moto.awslambda.models import LambdaFunction

from fixtures.faults import fault

MAXIMUM_FUNCTION_TIMEOUT = 900


@fault("lambda.timeout-ignored", breaks=["ses-activity.visibility-six-times-timeout"])
def timeout_ignored(backend):
    """CreateFunction ignores Timeout and gives every function the 900 s maximum."""
    original = LambdaFunction.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.timeout = MAXIMUM_FUNCTION_TIMEOUT

    return mock.patch.object(LambdaFunction, "__init__", init)
