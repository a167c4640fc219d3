"""Claims of the pattern "global variables and /tmp when a Lambda function is reused".

Two probe functions are deployed per module: one invoked in a warm series for the three
warm claims, and one whose configuration changes for the two new-environment claims. The
tests only judge the recorded evidence, so they cannot influence each other.
"""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.lambda_container_reuse.checks import (
    check_fresh_globals,
    check_global_collection_grows,
    check_globals_persist,
    check_own_tmp,
    check_tmp_persists,
)
from scenarios.lambda_container_reuse.scenario import (
    MARKER_ENV,
    NEW_MARKER,
    OLD_MARKER,
    ConfigurationChange,
    change_configuration,
    invoke_warm_series,
    remove_host_scratch,
)
from scenarios.lambda_environment.deploy import ProbeDeployment
from scenarios.lambda_environment.functions import CONTAINER_REUSE


def deploy_reuse_probe(backend, names, module_cleanup, environment: dict[str, str]) -> ProbeDeployment:
    deployment = ProbeDeployment(backend, names, module_cleanup, CONTAINER_REUSE)
    name = deployment.create(environment)
    remove_host_scratch(backend, module_cleanup, name)
    return deployment


@pytest.fixture(scope="module")
def warm_series(backend, names, module_cleanup) -> list[dict[str, Any]]:
    deployment = deploy_reuse_probe(backend, names, module_cleanup, {MARKER_ENV: OLD_MARKER})
    return invoke_warm_series(deployment)


@pytest.fixture(scope="module")
def configuration_change(backend, names, module_cleanup) -> ConfigurationChange:
    deployment = deploy_reuse_probe(backend, names, module_cleanup, {MARKER_ENV: OLD_MARKER})
    return change_configuration(deployment)


@pytest.mark.claim("lambda-container-reuse.warm-globals-persist")
def test_warm_globals_persist(warm_series):
    check_globals_persist(warm_series)


@pytest.mark.claim("lambda-container-reuse.warm-tmp-persists")
def test_warm_tmp_persists(warm_series):
    check_tmp_persists(warm_series)


@pytest.mark.claim("lambda-container-reuse.warm-global-collection-grows")
def test_global_collection_grows(warm_series):
    check_global_collection_grows(warm_series)


@pytest.mark.claim("lambda-container-reuse.new-environment-fresh-globals")
def test_new_environment_fresh_globals(configuration_change):
    check_fresh_globals(configuration_change.before, configuration_change.after, NEW_MARKER)


@pytest.mark.claim("lambda-container-reuse.new-environment-own-tmp")
def test_new_environment_own_tmp(configuration_change):
    check_own_tmp(configuration_change.before, configuration_change.after)
