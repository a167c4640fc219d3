"""Claims of the pattern "Where is the deployment package located in the Lambda container?".

One location probe is deployed per module and invoked once; each test judges one aspect of
the evidence it returned. The probe removes the files it creates, so the claims cannot
influence each other.
"""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.lambda_environment.deploy import ProbeDeployment
from scenarios.lambda_environment.functions import PACKAGE_LOCATION
from scenarios.lambda_package_location.checks import (
    check_task_root,
    check_task_root_read_only,
    check_working_directory,
)


@pytest.fixture(scope="module")
def location_evidence(backend, names, module_cleanup) -> dict[str, Any]:
    deployment = ProbeDeployment(backend, names, module_cleanup, PACKAGE_LOCATION)
    deployment.create()
    return deployment.invoke({"probe": "package-location"})


@pytest.mark.claim("lambda-package-location.task-root-is-var-task")
def test_package_in_var_task(location_evidence):
    check_task_root(location_evidence)


@pytest.mark.claim("lambda-package-location.working-directory-is-task-root")
def test_config_opens_relative(location_evidence):
    check_working_directory(location_evidence)


@pytest.mark.claim("lambda-package-location.task-root-read-only")
def test_task_root_read_only(location_evidence):
    check_task_root_read_only(location_evidence)
