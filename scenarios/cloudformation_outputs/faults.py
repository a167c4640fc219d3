"""Faults and repairs of in-process moto's CloudFormation model for the intrinsic-functions claims.

moto 5.2.5 deviates from several claims, so most entries here are repairs (``expect="pass"``)
that make moto behave as AWS documents. ``cloudformation.drop-exports`` runs on top of the
cross-stack repair, so that it can show the export, import and deletion claims fail when
a backend drops exports.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from unittest import mock

from fixtures.faults import fault

# moto's CloudFormation model imports every moto backend (about 1.3 s), so each factory
# imports what it patches. Loading this module for an unrelated --fault stays fast.

CROSS_STACK_REPAIR = "cloudformation.cross-stack-as-documented"


@fault("cloudformation.base64-passthrough", breaks=["cloudformation-outputs.intrinsics-resolve"])
def base64_passthrough(backend):
    """Fn::Base64 returns its input unchanged instead of encoding it."""
    from moto.cloudformation import parsing

    passthrough = types.SimpleNamespace(b64encode=lambda data: data)
    return mock.patch.object(parsing, "base64", passthrough)


@fault("cloudformation.allowed-values-check", breaks=["cloudformation-outputs.parameters-shape-values"], expect="pass")
def allowed_values_check(backend):
    """Repair: reject a parameter value outside AllowedValues before the stack is recorded."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original = CloudFormationBackend.create_stack

    def create_stack(self, name, template, parameters, *args, **kwargs):
        declared = Stack.parse_template(template).get("Parameters") or {}
        for key, declaration in declared.items():
            allowed = declaration.get("AllowedValues")
            value = parameters.get(key, declaration.get("Default"))
            if allowed is not None and value not in allowed:
                raise ValidationError(message=f"Parameter '{key}' must be one of AllowedValues")
        return original(self, name, template, parameters, *args, **kwargs)

    return mock.patch.object(CloudFormationBackend, "create_stack", create_stack)


def _import_value_arguments(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                yield value
            else:
                yield from _import_value_arguments(value)
    elif isinstance(node, list):
        for item in node:
            yield from _import_value_arguments(item)


def _importers(backend: Any, export_name: str) -> list[str]:
    """Return the names of the live stacks whose template imports ``export_name``."""
    from moto.cloudformation import parsing

    names = []
    for stack in backend.stacks.values():
        if stack.status == "DELETE_COMPLETE":
            continue
        sections = [stack.template_dict.get("Resources"), stack.template_dict.get("Outputs")]
        imported = {parsing.clean_json(argument, stack.resource_map) for argument in _import_value_arguments(sections)}
        if export_name in imported:
            names.append(stack.name)
    return names


@fault(
    CROSS_STACK_REPAIR,
    breaks=[
        "cloudformation-outputs.import-value-resolves",
        "cloudformation-outputs.list-imports-names-importer",
        "cloudformation-outputs.imported-exporter-not-deletable",
    ],
    expect="pass",
)
def cross_stack_as_documented(backend):
    """Repair: Fn::GetAtt of an SSM parameter's Value, ListImports, and no deletion of imported exporters.

    moto drops every output of the importing stack because one of them reads
    ``Fn::GetAtt ImportedQueueArnParameter.Value``, which its SSM model lacks.
    """
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult
    from moto.ssm.models import Parameter

    def parameter_attribute(self, attribute_name):
        if attribute_name == "Value":
            return self.value
        if attribute_name == "Type":
            return self.type
        raise NotImplementedError(f'"Fn::GetAtt" : [ "{{0}}" , "{attribute_name}" ]"')

    def list_imports(self):
        export_name = self._get_param("ExportName")
        importers = _importers(self.cloudformation_backend, export_name)
        if not importers:
            raise ValidationError(message=f"Export '{export_name}' is not imported by any stack.")
        return ActionResult({"Imports": importers})

    original_delete = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id):
        for stack in list(self.stacks.values()):
            if name_or_stack_id not in (stack.stack_id, stack.name):
                continue
            for export in stack.exports:
                users = [name for name in _importers(self, export.name) if name != stack.name]
                if users:
                    raise ValidationError(message=f"Export {export.name} cannot be deleted as it is in use by {users[0]}")
        return original_delete(self, name_or_stack_id)

    stack = ExitStack()
    stack.enter_context(mock.patch.object(Parameter, "get_cfn_attribute", parameter_attribute, create=True))
    stack.enter_context(mock.patch.object(CloudFormationResponse, "list_imports", list_imports, create=True))
    stack.enter_context(mock.patch.object(CloudFormationBackend, "delete_stack", delete_stack))
    return stack


@fault(
    "cloudformation.drop-exports",
    breaks=[
        "cloudformation-outputs.export-listed",
        "cloudformation-outputs.import-value-resolves",
        "cloudformation-outputs.list-imports-names-importer",
        "cloudformation-outputs.imported-exporter-not-deletable",
        "cloudformation-outputs.export-name-unique",
    ],
    base=CROSS_STACK_REPAIR,
)
def drop_exports(backend):
    """Stacks publish no exports, on top of the cross-stack repair.

    Without exports ListExports is empty, Fn::ImportValue finds nothing so the importer is
    rejected, nothing blocks deleting the exporter, and a second exporter of the same name
    is accepted.
    """
    from moto.cloudformation.models import Stack

    return mock.patch.object(Stack, "exports", new_callable=mock.PropertyMock, return_value=[])


@fault("cloudformation.duplicate-export-accepted", breaks=["cloudformation-outputs.export-name-unique"])
def duplicate_export_accepted(backend):
    """Accept a second stack that exports a name in use, so its value replaces the first stack's."""
    from moto.cloudformation.models import CloudFormationBackend

    def delete_stack(self, name_or_stack_id):
        # The second stack's deletion already removed the shared export name, so tolerate
        # its absence when the first stack is deleted.
        for stack in list(self.stacks.values()):
            if name_or_stack_id in (stack.stack_id, stack.name):
                self.stacks.pop(stack.stack_id)
                stack.delete()
                self.deleted_stacks[stack.stack_id] = stack
                for export in stack.exports:
                    self.exports.pop(export.name, None)

    stack = ExitStack()
    stack.enter_context(mock.patch.object(CloudFormationBackend, "_validate_export_uniqueness", lambda self, new: None))
    stack.enter_context(mock.patch.object(CloudFormationBackend, "delete_stack", delete_stack))
    return stack


@fault("cloudformation.scalar-defaults-check", breaks=["cloudformation-outputs.intrinsic-in-parameter-rejected"],
       expect="pass")
def scalar_defaults_check(backend):
    """Repair: CreateStack rejects a template whose parameter Default is not a literal."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original = CloudFormationBackend.create_stack

    def create_stack(self, name, template, parameters, *args, **kwargs):
        declared = Stack.parse_template(template).get("Parameters") or {}
        for declaration in declared.values():
            if isinstance(declaration.get("Default"), (dict, list)):
                raise ValidationError(message="Template format error: Every Default member must be a string.")
        return original(self, name, template, parameters, *args, **kwargs)

    return mock.patch.object(CloudFormationBackend, "create_stack", create_stack)


@fault("cloudformation.subnet-availability-zone", breaks=["cloudformation-outputs.getatt-subnet-availability-zone"],
       expect="pass")
def subnet_availability_zone(backend):
    """Repair: Fn::GetAtt of a subnet's AvailabilityZone returns the subnet's zone."""
    from moto.ec2.models.subnets import Subnet

    original = Subnet.get_cfn_attribute

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "AvailabilityZone":
            return self.availability_zone
        return original(self, attribute_name)

    return mock.patch.object(Subnet, "get_cfn_attribute", get_cfn_attribute)
