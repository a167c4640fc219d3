"""Claims of the Amazon MQ behind a Network Load Balancer pattern."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from fixtures.clock import Clock, eventually as clock_eventually
from scenarios.mq_stable_endpoint.scenario import (
    ACTIVE_STANDBY,
    INITIAL_REASONS,
    OPENWIRE_TLS_PORT,
    SINGLE_INSTANCE,
    TARGET_STATES,
    MqEndpointScenario,
    Network,
    subnet_containing,
    timing_for,
)

DEPLOYMENT_MODES = [SINGLE_INSTANCE, ACTIVE_STANDBY]
INSTANCE_COUNT = {SINGLE_INSTANCE: 1, ACTIVE_STANDBY: 2}


@pytest.fixture(scope="module")
def module_clock(backend) -> Iterator[Clock]:
    """Clock for the module-scoped deployment, of the same kind as the tests' clock."""
    clock = backend.new_clock()
    clock.start()
    try:
        yield clock
    finally:
        clock.stop()


@pytest.fixture(scope="module")
def module_poll(module_clock):
    """Bounded polling on the module clock, with the signature of the ``eventually`` fixture."""

    def poll(probe, until, *, timeout: float, interval: float = 0.25, what: str = "condition"):
        return clock_eventually(module_clock, probe, until, timeout=timeout, interval=interval, what=what)

    return poll


@pytest.fixture(scope="module")
def shared(backend, names, module_cleanup, module_clock) -> MqEndpointScenario:
    """Resources shared by the module's tests, deleted after the last of them."""
    return MqEndpointScenario(backend, names, module_cleanup, timing_for(backend, module_clock))


@pytest.fixture(scope="module")
def network(shared) -> Network:
    return shared.deploy_network()


@pytest.fixture(scope="module")
def shared_brokers(shared, network, module_poll) -> dict[str, str]:
    """One broker per deployment mode, for the claims that only read broker state."""
    return {mode: shared.create_broker(network, mode, module_poll) for mode in DEPLOYMENT_MODES}


@pytest.fixture
def scenario(backend, names, cleanup, clock) -> MqEndpointScenario:
    """Resources of one test, deleted when it ends, for the claims that reboot or re-register."""
    return MqEndpointScenario(backend, names, cleanup, timing_for(backend, clock))


@pytest.mark.claim("mq-stable-endpoint.broker-ip-in-subnet")
@pytest.mark.parametrize("mode", DEPLOYMENT_MODES)
def test_broker_ip_in_subnet(shared, network, shared_brokers, mode):
    broker = shared.describe_broker(shared_brokers[mode])
    instances = broker.get("BrokerInstances", [])
    subnets = network.subnets_for(mode)

    assert len(instances) == INSTANCE_COUNT[mode], f"{mode} broker lists {len(instances)} instances: {instances!r}"
    for instance in instances:
        ip = instance.get("IpAddress")
        assert ip, f"broker instance without IpAddress: {instance!r}"
        openwire = [e for e in instance.get("Endpoints", []) if e.startswith("ssl://")]
        assert openwire, f"instance {ip} has no OpenWire ssl:// endpoint: {instance.get('Endpoints')!r}"
        assert openwire[0].endswith(f":{OPENWIRE_TLS_PORT}"), f"OpenWire endpoint {openwire[0]!r} is not on {OPENWIRE_TLS_PORT}"
        cidrs = [subnet.cidr for subnet in subnets]
        assert subnet_containing(ip, subnets) is not None, f"instance IP {ip} lies outside the broker's subnets {cidrs}"


@pytest.mark.claim("mq-stable-endpoint.broker-ips-survive-reboot")
@pytest.mark.parametrize("mode", DEPLOYMENT_MODES)
def test_broker_ips_survive_reboot(network, scenario, eventually, mode):
    broker_id = scenario.create_broker(network, mode, eventually)
    before = scenario.broker_ips(broker_id)
    assert len(before) == len(set(before)), f"duplicate instance IPs before the reboot: {before}"

    observation = scenario.reboot_and_wait(broker_id, eventually)

    after = scenario.broker_ips(broker_id)
    assert sorted(after) == sorted(before), (
        f"instance IPs changed across the reboot: {before} -> {after} (states seen: {observation.states})"
    )


@pytest.mark.claim("mq-stable-endpoint.reboot-cycles-state")
def test_reboot_cycles_state(network, scenario, eventually):
    broker_id = scenario.create_broker(network, SINGLE_INSTANCE, eventually)

    observation = scenario.reboot_and_wait(broker_id, eventually)

    assert observation.left_running, f"the broker never left RUNNING after RebootBroker: states {observation.states}"
    assert "REBOOT_IN_PROGRESS" in observation.states, f"no REBOOT_IN_PROGRESS among {observation.states}"
    assert observation.states[-1] == "RUNNING"


@pytest.mark.claim("mq-stable-endpoint.broker-ips-as-targets")
@pytest.mark.parametrize("mode", DEPLOYMENT_MODES)
def test_broker_ips_as_targets(shared, network, shared_brokers, scenario, eventually, mode):
    ips = shared.broker_ips(shared_brokers[mode])
    assert ips, f"the {mode} broker reports no instance IPs"
    endpoint = scenario.deploy_endpoint(network, eventually)

    scenario.register_ips(endpoint, ips)
    listing = scenario.wait_targets_reported(endpoint, ips, eventually)

    by_ip = {entry["Target"]["Id"]: entry for entry in listing}
    assert set(by_ip) == set(ips), f"DescribeTargetHealth lists {sorted(by_ip)}, registered {sorted(ips)}"
    for ip, entry in by_ip.items():
        assert entry["Target"].get("Port") == OPENWIRE_TLS_PORT, f"target {ip} reported on port {entry['Target'].get('Port')}"
        state = entry.get("TargetHealth", {}).get("State")
        assert state in TARGET_STATES, f"target {ip} in undocumented state {state!r}"


@pytest.mark.claim("mq-stable-endpoint.new-target-initial")
def test_new_target_initial(shared, network, shared_brokers, scenario, eventually):
    ips = shared.broker_ips(shared_brokers[SINGLE_INSTANCE])
    endpoint = scenario.deploy_endpoint(network, eventually)

    scenario.register_ips(endpoint, ips)
    listing = scenario.target_health(endpoint)

    assert {entry["Target"]["Id"] for entry in listing} == set(ips)
    for entry in listing:
        health = entry.get("TargetHealth", {})
        ip = entry["Target"]["Id"]
        assert health.get("State") == "initial", f"target {ip} right after RegisterTargets: {health!r}"
        assert health.get("Reason") in INITIAL_REASONS, f"target {ip} has reason {health.get('Reason')!r}"


@pytest.mark.claim("mq-stable-endpoint.network-load-balancer-arn")
def test_network_load_balancer_arn(network, scenario, eventually):
    endpoint = scenario.deploy_endpoint(network, eventually)

    balancer = scenario.describe_load_balancer(endpoint.load_balancer_arn)

    assert balancer.get("Type") == "network"
    resource = endpoint.load_balancer_arn.split(":", 5)[-1]
    pattern = rf"loadbalancer/net/{re.escape(endpoint.load_balancer_name)}/[^/]+"
    assert re.fullmatch(pattern, resource), f"ARN resource {resource!r} does not match {pattern!r}"


@pytest.mark.claim("mq-stable-endpoint.dns-name-stable")
def test_dns_name_stable(network, scenario, eventually):
    broker_id = scenario.create_broker(network, SINGLE_INSTANCE, eventually)
    endpoint = scenario.deploy_endpoint(network, eventually)
    first_ips = scenario.broker_ips(broker_id)
    scenario.register_ips(endpoint, first_ips)
    scenario.wait_targets_reported(endpoint, first_ips, eventually)

    def dns_name() -> str:
        return scenario.describe_load_balancer(endpoint.load_balancer_arn)["DNSName"]

    assert dns_name() == endpoint.dns_name, "DNSName changed between CreateLoadBalancer and target registration"

    scenario.reboot_and_wait(broker_id, eventually)
    assert dns_name() == endpoint.dns_name, "DNSName changed after the broker rebooted"

    replacement_id = scenario.create_broker(network, SINGLE_INSTANCE, eventually)
    replacement_ips = scenario.broker_ips(replacement_id)
    scenario.deregister_ips(endpoint, first_ips)
    scenario.register_ips(endpoint, replacement_ips)
    scenario.wait_targets_reported(endpoint, replacement_ips, eventually)
    assert dns_name() == endpoint.dns_name, "DNSName changed after the targets moved to a replacement broker"
