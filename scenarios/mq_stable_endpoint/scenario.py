"""Deploy an ActiveMQ broker behind a network load balancer and read back what clients rely on.

The deployment follows the documented pattern. A VPC has two private subnets, and an ActiveMQ
broker (single-instance or active/standby) runs in them. An internal network load balancer has
a TCP listener on the OpenWire TLS port, which forwards to a target group of target type ip,
and the broker's instance IP addresses are registered as its targets.

Every state a claim depends on (broker RUNNING, load balancer active, targets reported) is
polled with a bounded wait, because AWS reaches those states asynchronously.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fixtures.backends import Backend
from fixtures.clock import Clock, EventuallyTimeout
from fixtures.naming import TAG_KEY, Names
from fixtures.resources import Cleanup

OPENWIRE_TLS_PORT = 61617
VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24")
SINGLE_INSTANCE = "SINGLE_INSTANCE"
ACTIVE_STANDBY = "ACTIVE_STANDBY_MULTI_AZ"
ENGINE_VERSION = "5.18"
HOST_INSTANCE_TYPE = "mq.m5.large"

# TargetHealth.State values of the Elastic Load Balancing API reference.
TARGET_STATES = frozenset(
    {"initial", "healthy", "unhealthy", "unhealthy.draining", "unused", "draining", "unavailable"}
)
INITIAL_REASONS = frozenset({"Elb.RegistrationInProgress", "Elb.InitialHealthChecking"})

# ``poll(probe, until, timeout=..., interval=..., what=...)``: the suite's ``eventually``.
Poll = Callable[..., Any]


@dataclass(frozen=True)
class Timing:
    """Bounds in seconds on waiting for asynchronous state changes."""

    broker_running: float  # a new or rebooted broker reaches RUNNING
    reboot_started: float  # a rebooted broker leaves RUNNING
    load_balancer_active: float  # a new load balancer leaves provisioning
    targets_reported: float  # registered targets show up in DescribeTargetHealth
    interval: float  # time between two polls


# Estimates with headroom, because creating or rebooting a broker and provisioning a load
# balancer take minutes on AWS. NOTE: these bounds have not been run against AWS.
REAL_AWS = Timing(broker_running=2_700, reboot_started=120, load_balancer_active=900,
                  targets_reported=600, interval=15)
# On a virtual clock the same bounds cost no real time.
VIRTUAL = REAL_AWS
# Emulators respond at once, and short bounds keep a deviating emulator from stalling the run.
EMULATOR = Timing(broker_running=20, reboot_started=2, load_balancer_active=20,
                  targets_reported=10, interval=0.25)


def timing_for(backend: Backend, clock: Clock) -> Timing:
    if backend.uses_real_aws:
        return REAL_AWS
    return VIRTUAL if clock.virtual else EMULATOR


@dataclass(frozen=True)
class Subnet:
    id: str
    cidr: str


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnets: tuple[Subnet, ...]
    security_group_id: str

    def subnets_for(self, deployment_mode: str) -> tuple[Subnet, ...]:
        """Return one subnet for a single-instance broker and two for an active/standby pair."""
        return self.subnets[:1] if deployment_mode == SINGLE_INSTANCE else self.subnets[:2]


@dataclass(frozen=True)
class Endpoint:
    """The stable client endpoint: a network load balancer, its TCP listener and target group."""

    load_balancer_arn: str
    load_balancer_name: str
    dns_name: str
    target_group_arn: str


@dataclass
class RebootObservation:
    """Broker states seen between RebootBroker and the return to RUNNING."""

    states: list[str]
    left_running: bool


class MqEndpointScenario:
    """Network, brokers and load balancers with unique names, each deleted at teardown."""

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup, timing: Timing) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.timing = timing
        self.ec2 = backend.client("ec2")
        self.mq = backend.client("mq")
        self.elbv2 = backend.client("elbv2")

    # network -------------------------------------------------------------------------
    def deploy_network(self) -> Network:
        vpc_id = self.ec2.create_vpc(
            CidrBlock=VPC_CIDR, TagSpecifications=self.ec2_tags("vpc", self.names.unique("vpc")),
        )["Vpc"]["VpcId"]
        self.cleanup.add(f"delete VPC {vpc_id}", self.ec2.delete_vpc, VpcId=vpc_id)

        subnets = []
        for cidr, zone_suffix in zip(SUBNET_CIDRS, ("a", "b")):
            subnet_id = self.ec2.create_subnet(
                VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{self.backend.region}{zone_suffix}",
                TagSpecifications=self.ec2_tags("subnet", self.names.unique("subnet")),
            )["Subnet"]["SubnetId"]
            self.cleanup.add(f"delete subnet {subnet_id}", self.ec2.delete_subnet, SubnetId=subnet_id)
            subnets.append(Subnet(subnet_id, cidr))

        group_name = self.names.unique("mq-sg", max_length=255)
        group_id = self.ec2.create_security_group(
            GroupName=group_name, Description="OpenWire TLS from the load balancer", VpcId=vpc_id,
            TagSpecifications=self.ec2_tags("security-group", group_name),
        )["GroupId"]
        self.cleanup.add(f"delete security group {group_id}", self.ec2.delete_security_group, GroupId=group_id)
        self.ec2.authorize_security_group_ingress(
            GroupId=group_id, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": OPENWIRE_TLS_PORT, "ToPort": OPENWIRE_TLS_PORT,
                "IpRanges": [{"CidrIp": VPC_CIDR}],
            }],
        )
        return Network(vpc_id, tuple(subnets), group_id)

    def ec2_tags(self, resource_type: str, name: str) -> list[dict[str, Any]]:
        """Return TagSpecifications with a Name and the run id, because VPCs and subnets have no name of their own."""
        tags = [{"Key": "Name", "Value": name}, {"Key": TAG_KEY, "Value": self.names.run_id}]
        return [{"ResourceType": resource_type, "Tags": tags}]

    # brokers -------------------------------------------------------------------------
    def create_broker(self, network: Network, deployment_mode: str, poll: Poll) -> str:
        """Create an ActiveMQ broker in the network's private subnets and wait until it is RUNNING."""
        name = self.names.unique("broker", max_length=50)
        broker_id = self.mq.create_broker(
            BrokerName=name,
            DeploymentMode=deployment_mode,
            EngineType="ACTIVEMQ",
            EngineVersion=ENGINE_VERSION,
            HostInstanceType=HOST_INSTANCE_TYPE,
            StorageType="EFS",  # active/standby brokers need EFS; single-instance brokers accept it
            PubliclyAccessible=False,
            AutoMinorVersionUpgrade=True,
            SubnetIds=[subnet.id for subnet in network.subnets_for(deployment_mode)],
            SecurityGroups=[network.security_group_id],
            Users=[{"Username": "apcadmin", "Password": secrets.token_hex(12)}],
        )["BrokerId"]
        self.cleanup.add(f"delete broker {broker_id}", self.delete_broker, broker_id)
        self.wait_running(broker_id, poll)
        return broker_id

    def delete_broker(self, broker_id: str) -> None:
        # NOTE: on AWS the broker's network interfaces outlive the call for some minutes, so
        # deleting its subnets and security group right after may fail with DependencyViolation.
        self.mq.delete_broker(BrokerId=broker_id)

    def describe_broker(self, broker_id: str) -> dict[str, Any]:
        return self.mq.describe_broker(BrokerId=broker_id)

    def broker_state(self, broker_id: str) -> str:
        return self.describe_broker(broker_id)["BrokerState"]

    def broker_ips(self, broker_id: str) -> list[str]:
        return [instance["IpAddress"] for instance in self.describe_broker(broker_id).get("BrokerInstances", [])]

    def wait_running(self, broker_id: str, poll: Poll) -> None:
        poll(lambda: self.broker_state(broker_id), until=lambda state: state == "RUNNING",
             timeout=self.timing.broker_running, interval=self.timing.interval,
             what=f"broker {broker_id} in state RUNNING")

    def reboot_and_wait(self, broker_id: str, poll: Poll) -> RebootObservation:
        """Reboot a RUNNING broker, then wait until it reports RUNNING again.

        RebootBroker is asynchronous, so the first wait looks for the broker leaving RUNNING.
        A backend whose reboot does nothing never leaves RUNNING. That wait then ends at its
        bound, the observation records ``left_running=False``, and the second wait returns at once.
        """
        self.wait_running(broker_id, poll)
        self.mq.reboot_broker(BrokerId=broker_id)

        states: list[str] = []

        def record_state() -> str:
            state = self.broker_state(broker_id)
            states.append(state)
            return state

        try:
            poll(record_state, until=lambda state: state != "RUNNING", timeout=self.timing.reboot_started,
                 interval=self.timing.interval, what=f"broker {broker_id} leaving RUNNING after RebootBroker")
            left_running = True
        except EventuallyTimeout:
            left_running = False
        poll(record_state, until=lambda state: state == "RUNNING", timeout=self.timing.broker_running,
             interval=self.timing.interval, what=f"broker {broker_id} back in RUNNING after RebootBroker")
        return RebootObservation(states, left_running)

    # load balancer -------------------------------------------------------------------
    def deploy_endpoint(self, network: Network, poll: Poll) -> Endpoint:
        """Create the target group, the internal network load balancer and its TCP listener."""
        group_name = self.names.unique("tg", max_length=32)
        group_arn = self.elbv2.create_target_group(
            Name=group_name, Protocol="TCP", Port=OPENWIRE_TLS_PORT, VpcId=network.vpc_id, TargetType="ip",
        )["TargetGroups"][0]["TargetGroupArn"]
        self.cleanup.add(f"delete target group {group_name}", self.elbv2.delete_target_group,
                         TargetGroupArn=group_arn)

        balancer_name = self.names.unique("nlb", max_length=32)
        balancer = self.elbv2.create_load_balancer(
            Name=balancer_name, Type="network", Scheme="internal",
            Subnets=[subnet.id for subnet in network.subnets],
        )["LoadBalancers"][0]
        balancer_arn = balancer["LoadBalancerArn"]
        self.cleanup.add(f"delete load balancer {balancer_name}", self.elbv2.delete_load_balancer,
                         LoadBalancerArn=balancer_arn)
        poll(lambda: self.describe_load_balancer(balancer_arn)["State"]["Code"],
             until=lambda code: code != "provisioning", timeout=self.timing.load_balancer_active,
             interval=self.timing.interval, what=f"load balancer {balancer_name} leaving provisioning")

        listener_arn = self.elbv2.create_listener(
            LoadBalancerArn=balancer_arn, Protocol="TCP", Port=OPENWIRE_TLS_PORT,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
        )["Listeners"][0]["ListenerArn"]
        self.cleanup.add(f"delete listener of {balancer_name}", self.elbv2.delete_listener, ListenerArn=listener_arn)
        return Endpoint(balancer_arn, balancer_name, balancer["DNSName"], group_arn)

    def describe_load_balancer(self, arn: str) -> dict[str, Any]:
        return self.elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]

    def register_ips(self, endpoint: Endpoint, ips: list[str]) -> None:
        self.elbv2.register_targets(
            TargetGroupArn=endpoint.target_group_arn,
            Targets=[{"Id": ip, "Port": OPENWIRE_TLS_PORT} for ip in ips],
        )

    def deregister_ips(self, endpoint: Endpoint, ips: list[str]) -> None:
        self.elbv2.deregister_targets(
            TargetGroupArn=endpoint.target_group_arn,
            Targets=[{"Id": ip, "Port": OPENWIRE_TLS_PORT} for ip in ips],
        )

    def target_health(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        return self.elbv2.describe_target_health(TargetGroupArn=endpoint.target_group_arn)["TargetHealthDescriptions"]

    def wait_targets_reported(self, endpoint: Endpoint, ips: list[str], poll: Poll) -> list[dict[str, Any]]:
        """Poll DescribeTargetHealth until every address in ``ips`` is listed; return that listing."""
        expected = set(ips)
        return poll(lambda: self.target_health(endpoint),
                    until=lambda listing: expected <= {entry["Target"]["Id"] for entry in listing},
                    timeout=self.timing.targets_reported, interval=self.timing.interval,
                    what=f"targets {sorted(expected)} listed by DescribeTargetHealth")


def subnet_containing(ip: str, subnets: tuple[Subnet, ...]) -> Subnet | None:
    """Return the subnet whose CIDR block contains ``ip``, or None (also for an invalid address)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for subnet in subnets:
        if address in ipaddress.ip_network(subnet.cidr):
            return subnet
    return None

