"""Faults and repairs in in-process moto's Amazon MQ and ELBv2 models, one or more per claim.

moto 5.2.5 gives every broker the fixed addresses 192.168.0.1 and 192.168.0.2, keeps a broker
RUNNING through RebootBroker, reports every registered target healthy at once and builds
every load balancer ARN with ``app/``. The repairs below make moto behave as AWS documents
for those claims, so their tests are shown to pass as well as fail.
"""

from __future__ import annotations

import ipaddress
import itertools
import time
from contextlib import ExitStack
from unittest import mock

from moto.ec2.models import ec2_backends
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup
from moto.mq.models import Broker, MQBackend

from fixtures.faults import fault

REBOOT_SECONDS = 300  # an estimate of a reboot on AWS; any value above the poll interval works
REGISTRATION_SECONDS = 60  # time a repaired target stays in state initial


@fault("mq.ips-change-on-reboot", breaks=["mq-stable-endpoint.broker-ips-survive-reboot"])
def ips_change_on_reboot(backend):
    """RebootBroker moves every broker instance to a new IP address."""
    counter = itertools.count(100)

    def reboot(self):
        for instance in self.instances:
            instance["ipAddress"] = f"192.168.0.{next(counter)}"

    return mock.patch.object(Broker, "reboot", reboot)


@fault("elbv2.renamed-on-target-change", breaks=["mq-stable-endpoint.dns-name-stable"])
def renamed_on_target_change(backend):
    """RegisterTargets gives every load balancer in front of the target group a new DNS name."""
    original = ELBv2Backend.register_targets
    counter = itertools.count(2)

    def register_targets(self, target_group_arn, instances):
        original(self, target_group_arn, instances)
        for balancer_arn in self.target_groups[target_group_arn].load_balancer_arns:
            balancer = self.load_balancers[balancer_arn]
            balancer.dns_name = f"{balancer.name}-{next(counter)}.{self.region_name}.elb.amazonaws.com"

    return mock.patch.object(ELBv2Backend, "register_targets", register_targets)


@fault("elbv2.health-wrong-port", breaks=["mq-stable-endpoint.broker-ips-as-targets"])
def health_wrong_port(backend):
    """DescribeTargetHealth reports every registered target on port 80 instead of its own port."""
    original = FakeTargetGroup.health_for

    def health_for(self, target, ec2_backend):
        status = original(self, target, ec2_backend)
        status.port = "80"
        return status

    return mock.patch.object(FakeTargetGroup, "health_for", health_for)


@fault("mq.ips-from-subnets", breaks=["mq-stable-endpoint.broker-ip-in-subnet"], expect="pass")
def ips_from_subnets(backend):
    """Repair: give each broker instance an address from one of the broker's subnets."""
    original = Broker.__init__
    host_numbers = itertools.count(10)

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        ec2 = ec2_backends[self.arn.split(":")[4]][self.arn.split(":")[3]]
        for index, instance in enumerate(self.instances):
            subnet = ec2.get_subnet(self.subnet_ids[index % len(self.subnet_ids)])
            network = ipaddress.ip_network(subnet.cidr_block)
            instance["ipAddress"] = str(network[next(host_numbers)])

    return mock.patch.object(Broker, "__init__", init)


@fault("mq.reboot-cycles", breaks=["mq-stable-endpoint.reboot-cycles-state"], expect="pass")
def reboot_cycles(backend):
    """Repair: RebootBroker reports REBOOT_IN_PROGRESS for five minutes, then RUNNING again."""
    original_describe = MQBackend.describe_broker
    running_again_at: dict[str, float] = {}

    def reboot(self):
        self.state = "REBOOT_IN_PROGRESS"
        running_again_at[self.id] = time.time() + REBOOT_SECONDS

    def describe_broker(self, broker_id):
        broker = original_describe(self, broker_id)
        if broker.state == "REBOOT_IN_PROGRESS" and time.time() >= running_again_at.get(broker.id, 0):
            broker.state = "RUNNING"
        return broker

    stack = ExitStack()
    stack.enter_context(mock.patch.object(Broker, "reboot", reboot))
    stack.enter_context(mock.patch.object(MQBackend, "describe_broker", describe_broker))
    return stack


@fault("elbv2.initial-after-register", breaks=["mq-stable-endpoint.new-target-initial"], expect="pass")
def initial_after_register(backend):
    """Repair: a registered target is reported initial (Elb.RegistrationInProgress) for its first minute."""
    original_register = FakeTargetGroup.register
    original_health = FakeTargetGroup.health_for
    registered_at: dict[tuple[str, str], float] = {}

    def register(self, targets):
        original_register(self, targets)
        for target in targets:
            registered_at[(self.arn, target["Id"])] = time.time()

    def health_for(self, target, ec2_backend):
        status = original_health(self, target, ec2_backend)
        since = registered_at.get((self.arn, target["Id"]))
        if status.status == "healthy" and since is not None and time.time() - since < REGISTRATION_SECONDS:
            return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, "initial",
                                    "Elb.RegistrationInProgress", "Target registration is in progress")
        return status

    stack = ExitStack()
    stack.enter_context(mock.patch.object(FakeTargetGroup, "register", register))
    stack.enter_context(mock.patch.object(FakeTargetGroup, "health_for", health_for))
    return stack


@fault("elbv2.network-arn", breaks=["mq-stable-endpoint.network-load-balancer-arn"], expect="pass")
def network_arn(backend):
    """Repair: a load balancer of Type network gets an ARN with loadbalancer/net/."""
    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, *args, **kwargs):
        balancer = original(self, *args, **kwargs)
        if balancer.type == "network":
            del self.load_balancers[balancer.arn]
            balancer.arn = balancer.arn.replace(":loadbalancer/app/", ":loadbalancer/net/", 1)
            self.load_balancers[balancer.arn] = balancer
        return balancer

    return mock.patch.object(ELBv2Backend, "create_load_balancer", create_load_balancer)
