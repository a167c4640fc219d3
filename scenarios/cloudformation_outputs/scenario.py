"""Deploy the exporting and importing stacks and read what CloudFormation reports about them.

Every stack gets a unique name and every exporter a unique ``ExportPrefix`` from ``names``,
so export names never collide between runs or pytest-xdist workers. Each stack that
CreateStack accepted is deleted at teardown, also when its creation failed, and so is a
settled stack that a deviating backend kept after rejecting its CreateStack. Stack
operations are polled with ``eventually`` on a clock of the backend: virtual on moto, real
with short timeouts on emulators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from fixtures.backends import Backend
from fixtures.clock import Clock, eventually
from fixtures.naming import Names
from fixtures.resources import Cleanup, delete_vpc_and_contents, record_known_leftover

from scenarios.cloudformation_outputs import EXPORT_NAME_FORMATS, EXPORTER_TEMPLATE, IMPORTER_TEMPLATE

log = logging.getLogger(__name__)

# Stack statuses after which CloudFormation makes no further change without a new request.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html
SETTLED_STATUSES = frozenset({
    "CREATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
    "DELETE_COMPLETE", "DELETE_FAILED", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED",
})
GONE = "GONE"  # DescribeStacks no longer returns the stack


@dataclass(frozen=True)
class Timing:
    """Bounds in seconds of the polling of stack operations."""

    settle: float  # a create or delete must reach a settled status within this time
    interval: float  # time between two DescribeStacks calls


# moto completes CreateStack and DeleteStack within the request, so on its virtual clock the
# bound only ends the polling of a stack that is stuck.
VIRTUAL = Timing(settle=600, interval=5)
REAL = Timing(settle=60, interval=0.5)


@dataclass
class StackRecord:
    """Outcome of one CreateStack request: the stack, its settled status and its outputs."""

    name: str
    parameters: dict[str, str]
    stack_id: str | None = None
    status: str | None = None
    status_reason: str | None = None
    error: ClientError | None = None  # CreateStack rejected the request
    outputs: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # reasons of the stack's *_FAILED events

    @property
    def complete(self) -> bool:
        return self.status == "CREATE_COMPLETE"

    @property
    def error_code(self) -> str | None:
        return self.error.response["Error"]["Code"] if self.error else None

    def describe(self) -> str:
        if self.error is not None:
            return f"stack {self.name}: CreateStack rejected with {self.error_code}: {self.error}"
        failures = f"; failed events: {self.failures}" if self.failures else ""
        return f"stack {self.name}: {self.status} ({self.status_reason or 'no reason given'}){failures}"


class CloudFormationScenario:
    """Stacks of the intrinsic-functions pattern on one backend."""

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup) -> None:
        self.backend = backend
        self.names = names
        self.cleanup = cleanup
        self.cfn = backend.client("cloudformation")
        self.timing = REAL if "virtual-clock" not in backend.capabilities else VIRTUAL

    # polling ------------------------------------------------------------------------
    @contextmanager
    def _clock(self) -> Iterator[Clock]:
        clock = self.backend.new_clock()
        clock.start()
        try:
            yield clock
        finally:
            clock.stop()

    def poll(self, probe: Callable[[], Any], until: Callable[[Any], bool], what: str) -> Any:
        with self._clock() as clock:
            return eventually(clock, probe, until, timeout=self.timing.settle,
                              interval=self.timing.interval, what=what)

    # stacks -------------------------------------------------------------------------
    def new_export_prefix(self) -> str:
        # Queue names derived from the prefix must stay within SQS's 80 characters.
        return self.names.unique("cfn", max_length=48)

    def describe_stack(self, name_or_id: str) -> dict[str, Any] | None:
        """Return the stack's DescribeStacks entry, or None when the backend no longer has the stack."""
        try:
            stacks = self.cfn.describe_stacks(StackName=name_or_id)["Stacks"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ValidationError":
                return None
            raise
        return stacks[0] if stacks else None

    def status_of(self, name_or_id: str) -> str:
        stack = self.describe_stack(name_or_id)
        return GONE if stack is None else stack["StackStatus"]

    def create(self, template: Path, parameters: dict[str, str], kind: str) -> StackRecord:
        """Create a stack from ``template`` and wait until it settles, without raising on rejection.

        A rejected request is returned with ``error`` set, so a claim test can assert on it.
        """
        record = StackRecord(name=self.names.unique(kind, max_length=128), parameters=dict(parameters))
        try:
            response = self.cfn.create_stack(
                StackName=record.name,
                TemplateBody=template.read_text(encoding="utf-8"),
                Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            )
        except ClientError as exc:
            record.error = exc
            self.cleanup.add(f"delete rejected stack {record.name}", self.delete_if_recorded, record.name)
            return record

        record.stack_id = response["StackId"]
        self.cleanup.add(f"delete stack {record.name}", self.delete_and_wait, record.stack_id)
        stack = self.poll(
            lambda: self.describe_stack(record.stack_id),
            until=lambda found: found is not None and found["StackStatus"] in SETTLED_STATUSES,
            what=f"stack {record.name} to finish CreateStack",
        )
        record.status = stack["StackStatus"]
        record.status_reason = stack.get("StackStatusReason")
        record.outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        if not record.complete:
            record.failures = self.failed_events(record.stack_id)
        return record

    def failed_events(self, stack_id: str) -> list[str]:
        """Return ``LogicalResourceId: status: reason`` of each failed event of the stack, oldest first."""
        events = self.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        return [
            f"{event.get('LogicalResourceId')}: {event.get('ResourceStatus')}: {event.get('ResourceStatusReason')}"
            for event in reversed(events)
            if event.get("ResourceStatus", "").endswith("_FAILED")
        ]

    def delete_if_recorded(self, name: str) -> None:
        """Delete a stack that the backend recorded although it rejected its CreateStack.

        CloudFormation records no stack for a rejected request, so only a deviating backend
        gets here. A settled stack is deleted. A stack that never left CREATE_PENDING or
        CREATE_IN_PROGRESS is only logged: moto 5.2.5 cannot delete such a half-built stack,
        and deleting a rejected duplicate exporter removes the first stack's export too.
        """
        try:
            stack = self.describe_stack(name)
        except Exception as exc:  # noqa: BLE001 - in-process moto raises its own internal errors here
            log.warning("backend %s kept stack %s after rejecting its CreateStack and cannot describe it "
                        "(%s: %s); it is left in place", self.backend.name, name, type(exc).__name__, exc)
            record_known_leftover(name, f"{self.backend.name} kept the rejected stack and cannot describe it")
            return
        if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
            return
        if stack["StackStatus"] in SETTLED_STATUSES:
            self.delete_and_wait(stack["StackId"])
            return
        log.warning("backend %s kept stack %s in %s after rejecting its CreateStack; it is left in place",
                    self.backend.name, stack["StackId"], stack["StackStatus"])
        record_known_leftover(name, f"{self.backend.name} kept the rejected stack in {stack['StackStatus']}, "
                                    "which it cannot delete")

    def listed_status(self, stack_id: str) -> str:
        """Return the stack's status from ListStacks, which also lists deleted stacks, or GONE.

        Deletion is polled here and not with DescribeStacks, because moto 5.2.5 builds a
        deleted stack's outputs again on DescribeStacks and so re-creates its queue, topic
        and VPC.
        """
        for page in self.cfn.get_paginator("list_stacks").paginate():
            for summary in page.get("StackSummaries", []):
                if summary["StackId"] == stack_id:
                    return summary["StackStatus"]
        return GONE

    def request_delete(self, stack_id: str) -> tuple[ClientError | None, str]:
        """Request DeleteStack and return the rejection, if any, and the status the stack settles in."""
        try:
            self.cfn.delete_stack(StackName=stack_id)
        except ClientError as exc:
            return exc, self.listed_status(stack_id)
        status = self.poll(
            lambda: self.listed_status(stack_id),
            until=lambda found: found == GONE or found in SETTLED_STATUSES,
            what=f"stack {stack_id} to finish DeleteStack",
        )
        return None, status

    def delete_and_wait(self, stack_id: str) -> None:
        """Delete a stack for teardown; raise when it does not reach DELETE_COMPLETE."""
        error, status = self.request_delete(stack_id)
        if error is not None:
            raise error
        if status not in (GONE, "DELETE_COMPLETE"):
            raise AssertionError(
                f"DeleteStack of {stack_id} ended in {status}; delete the stack by hand and check "
                "that no other stack still imports its exports"
            )

    # exports and imports ------------------------------------------------------------
    def list_exports(self) -> dict[str, dict[str, str]]:
        """Return every export of the account and Region by name, following NextToken."""
        exports: dict[str, dict[str, str]] = {}
        kwargs: dict[str, str] = {}
        while True:
            page = self.cfn.list_exports(**kwargs)
            for export in page.get("Exports", []):
                exports[export["Name"]] = export
            token = page.get("NextToken")
            if not token:
                return exports
            kwargs = {"NextToken": token}

    def list_imports(self, export_name: str) -> list[str]:
        """Return the names of the stacks that import ``export_name``, following NextToken."""
        imports: list[str] = []
        kwargs: dict[str, str] = {"ExportName": export_name}
        while True:
            page = self.cfn.list_imports(**kwargs)
            imports.extend(page.get("Imports", []))
            token = page.get("NextToken")
            if not token:
                return imports
            kwargs = {"ExportName": export_name, "NextToken": token}

    # the documented pattern -----------------------------------------------------------
    def create_exporter(self, **parameters: str) -> StackRecord:
        parameters.setdefault("ExportPrefix", self.new_export_prefix())
        record = self.create(EXPORTER_TEMPLATE, parameters, "exporter")
        vpc_id = record.outputs.get("VpcId")
        if vpc_id:
            # A backend that deletes an imported exporter's stack record but not its VPC
            # (moto 5.2.5) orphans the VPC; on AWS it is gone by now and this does nothing.
            self.cleanup.add_last(f"delete VPC {vpc_id} if the exporter's deletion left it",
                                  delete_vpc_and_contents, self.backend.client("ec2"), vpc_id)
        return record

    def create_importer(self, export_prefix: str, subnet_cidr: str) -> StackRecord:
        return self.create(IMPORTER_TEMPLATE, {"ExportPrefix": export_prefix, "SubnetCidr": subnet_cidr}, "importer")


def export_names(prefix: str) -> list[str]:
    """Return the names under which the exporter publishes its exports."""
    return [name.format(prefix=prefix) for name in EXPORT_NAME_FORMATS]
