"""Claims of the CloudFormation intrinsic functions, Outputs and exports pattern.

One exporting stack and one importing stack are deployed per module and only read. Claims
that delete stacks or provoke rejections deploy their own stacks, so they cannot change
what the other claims see.
"""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from scenarios.cloudformation_outputs import DUPLICATE_EXPORTER_TEMPLATE, INVALID_PARAMETER_DEFAULT_TEMPLATE
from scenarios.cloudformation_outputs.scenario import GONE, CloudFormationScenario, StackRecord, export_names

# Parameters of the module's exporter; each differs from the template's default.
ENVIRONMENT = "test"
VPC_CIDR = "10.30.0.0/16"
SUBNET_CIDR = "10.30.1.0/24"
IMPORTED_SUBNET_CIDR = "10.30.2.0/24"
DEFAULT_VPC_CIDR = "10.20.0.0/16"
# Base64 of the literal "claims-suite" in exporter.yaml.
LITERAL_BASE64 = "Y2xhaW1zLXN1aXRl"


@pytest.fixture(scope="module")
def module_scenario(backend, names, module_cleanup) -> CloudFormationScenario:
    return CloudFormationScenario(backend, names, module_cleanup)


@pytest.fixture
def cfn_scenario(backend, names, cleanup) -> CloudFormationScenario:
    return CloudFormationScenario(backend, names, cleanup)


@pytest.fixture(scope="module")
def exporter(module_scenario) -> StackRecord:
    return module_scenario.create_exporter(Environment=ENVIRONMENT, VpcCidr=VPC_CIDR, SubnetCidr=SUBNET_CIDR)


@pytest.fixture(scope="module")
def importer(module_scenario, exporter) -> StackRecord:
    return module_scenario.create_importer(exporter.parameters["ExportPrefix"], IMPORTED_SUBNET_CIDR)


def require_complete(record: StackRecord) -> None:
    assert record.complete, f"expected CREATE_COMPLETE: {record.describe()}"


def stack_account(record: StackRecord) -> str:
    # A stack id is an ARN: arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>
    return record.stack_id.split(":")[4]


def stack_partition(record: StackRecord) -> str:
    return record.stack_id.split(":")[1]


def documented_outputs(record: StackRecord, region: str) -> dict[str, str]:
    """Return the output values that README.md documents for ``exporter.yaml``, given the IDs it created."""
    prefix = record.parameters["ExportPrefix"]
    environment = record.parameters.get("Environment", "dev")
    account = stack_account(record)
    queue_name = f"{prefix}-{environment}-orders"
    topic_name = f"{prefix}-{environment}-events"
    queue_arn = f"arn:{stack_partition(record)}:sqs:{region}:{account}:{queue_name}"
    vpc_id = record.outputs.get("VpcId", "<missing VpcId>")
    subnet_id = record.outputs.get("SubnetId", "<missing SubnetId>")
    return {
        "VpcCidrBlock": record.parameters.get("VpcCidr", DEFAULT_VPC_CIDR),
        "QueueArn": queue_arn,
        "QueueName": queue_name,
        "TopicArn": f"arn:{stack_partition(record)}:sns:{region}:{account}:{topic_name}",
        "TopicName": topic_name,
        "ParameterName": f"/{prefix}/{environment}/queue-url",
        "StackScopedName": f"{record.name}-{environment}-{region}",
        "QueueArnFromSub": queue_arn,
        "QueueAddressFromSubMapping": f"{queue_name}.{environment}",
        "NetworkIds": f"{vpc_id},{subnet_id}",
        "QueueArnFromJoin": queue_arn,
        "EnvironmentBase64": base64.b64encode(environment.encode()).decode(),
        "LiteralBase64": LITERAL_BASE64,
    }


def differences(expected: dict[str, str], actual: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    return {key: (value, actual.get(key)) for key, value in expected.items() if actual.get(key) != value}


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.mark.claim("cloudformation-outputs.intrinsics-resolve")
def test_intrinsics_resolve_in_outputs_and_properties(exporter, backend):
    require_complete(exporter)
    outputs = exporter.outputs
    prefix = exporter.parameters["ExportPrefix"]

    wrong = differences(documented_outputs(exporter, backend.region), outputs)
    assert wrong == {}, f"outputs that differ from the documented value (expected, actual): {wrong}"
    assert outputs.get("VpcId", "").startswith("vpc-"), f"Ref of the VPC: {outputs.get('VpcId')!r}"
    assert outputs.get("SubnetId", "").startswith("subnet-"), f"Ref of the subnet: {outputs.get('SubnetId')!r}"
    assert outputs.get("QueueUrl", "").endswith(f"/{stack_account(exporter)}/{prefix}-{ENVIRONMENT}-orders"), (
        f"Ref of the queue must be its URL: {outputs.get('QueueUrl')!r}"
    )

    # Resource properties: Ref of a parameter, Fn::Sub and Ref of another resource.
    ec2 = backend.client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[outputs["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == VPC_CIDR
    tags = {tag["Key"]: tag["Value"] for tag in vpc.get("Tags", [])}
    assert tags.get("Name") == f"{prefix}-{ENVIRONMENT}", f"Fn::Sub in the VPC's Name tag: {tags}"
    subnet = ec2.describe_subnets(SubnetIds=[outputs["SubnetId"]])["Subnets"][0]
    assert subnet["VpcId"] == outputs["VpcId"], "Ref of the VPC in the subnet's VpcId"
    assert subnet["CidrBlock"] == SUBNET_CIDR
    parameter = backend.client("ssm").get_parameter(Name=outputs["ParameterName"])["Parameter"]
    assert parameter["Value"] == outputs["QueueUrl"], "Ref of the queue in the SSM parameter's Value"


@pytest.mark.claim("cloudformation-outputs.parameters-shape-values")
def test_parameters_shape_values(exporter, backend, cfn_scenario):
    require_complete(exporter)
    prefix = exporter.parameters["ExportPrefix"]
    assert exporter.outputs.get("VpcCidrBlock") == VPC_CIDR, f"VpcCidr={VPC_CIDR} must replace {DEFAULT_VPC_CIDR}"
    assert exporter.outputs.get("QueueName") == f"{prefix}-{ENVIRONMENT}-orders"
    assert exporter.outputs.get("EnvironmentBase64") == base64.b64encode(ENVIRONMENT.encode()).decode()
    queue_url = backend.client("sqs").get_queue_url(QueueName=f"{prefix}-{ENVIRONMENT}-orders")["QueueUrl"]
    assert queue_url.endswith(f"/{prefix}-{ENVIRONMENT}-orders")

    rejected = cfn_scenario.create_exporter(Environment="staging")

    assert rejected.error_code == "ValidationError", f"Environment=staging is outside AllowedValues: {rejected.describe()}"
    assert cfn_scenario.status_of(rejected.name) == GONE, f"a stack named {rejected.name} was left behind"


@pytest.mark.claim("cloudformation-outputs.export-listed")
def test_exports_listed_with_stack_id(exporter, module_scenario):
    require_complete(exporter)
    prefix = exporter.parameters["ExportPrefix"]

    exports = module_scenario.list_exports()

    for name in export_names(prefix):
        output_key = name.removeprefix(f"{prefix}-")
        assert name in exports, f"export {name} is missing from ListExports"
        assert exports[name]["ExportingStackId"] == exporter.stack_id, f"ExportingStackId of {name}"
        assert exports[name]["Value"] == exporter.outputs.get(output_key), f"Value of {name}"


@pytest.mark.claim("cloudformation-outputs.import-value-resolves")
def test_import_value_resolves(exporter, importer, backend):
    require_complete(exporter)
    require_complete(importer)
    exported = exporter.outputs
    imported = importer.outputs

    assert imported.get("ImportedVpcId") == exported["VpcId"]
    assert imported.get("ImportedTopicArn") == exported["TopicArn"]
    assert imported.get("ImportedQueueArn") == exported["QueueArn"]

    # Resource properties: the subnet's VpcId and the SSM parameter's Value came from Fn::ImportValue.
    subnet = backend.client("ec2").describe_subnets(SubnetIds=[imported["ImportedSubnetId"]])["Subnets"][0]
    assert subnet["VpcId"] == exported["VpcId"], "Fn::ImportValue in the subnet's VpcId"
    name = f"/{exporter.parameters['ExportPrefix']}/imported/queue-arn"
    parameter = backend.client("ssm").get_parameter(Name=name)["Parameter"]
    assert parameter["Value"] == exported["QueueArn"], "Fn::ImportValue in the SSM parameter's Value"


@pytest.mark.claim("cloudformation-outputs.list-imports-names-importer")
def test_list_imports_names_importer(exporter, importer, module_scenario):
    require_complete(exporter)
    require_complete(importer)
    prefix = exporter.parameters["ExportPrefix"]

    for suffix in ("VpcId", "QueueArn", "TopicArn"):
        export_name = f"{prefix}-{suffix}"
        assert importer.name in module_scenario.list_imports(export_name), f"ListImports of {export_name}"


@pytest.mark.claim("cloudformation-outputs.imported-exporter-not-deletable")
def test_imported_exporter_not_deletable(cfn_scenario, backend):
    exporter = cfn_scenario.create_exporter()
    require_complete(exporter)
    importer = cfn_scenario.create_importer(exporter.parameters["ExportPrefix"], "10.20.2.0/24")
    require_complete(importer)

    rejection, status = cfn_scenario.request_delete(exporter.stack_id)

    assert status not in (GONE, "DELETE_COMPLETE"), (
        f"DeleteStack removed the exporter while {importer.name} imports it (rejection: {rejection})"
    )
    exports = cfn_scenario.list_exports()
    for name in export_names(exporter.parameters["ExportPrefix"]):
        assert exports.get(name, {}).get("ExportingStackId") == exporter.stack_id, f"export {name} after DeleteStack"
    vpcs = backend.client("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [exporter.outputs["VpcId"]]}])
    assert len(vpcs["Vpcs"]) == 1, f"the exporter's VPC {exporter.outputs['VpcId']} is gone"


@pytest.mark.claim("cloudformation-outputs.export-name-unique")
def test_duplicate_export_name_rejected(cfn_scenario):
    exporter = cfn_scenario.create_exporter()
    require_complete(exporter)
    prefix = exporter.parameters["ExportPrefix"]

    duplicate = cfn_scenario.create(DUPLICATE_EXPORTER_TEMPLATE, {"ExportPrefix": prefix}, "duplicate")

    assert not duplicate.complete, f"a second stack exported {prefix}-VpcId: {duplicate.describe()}"
    export = cfn_scenario.list_exports().get(f"{prefix}-VpcId", {})
    assert export.get("ExportingStackId") == exporter.stack_id, f"{prefix}-VpcId changed owner: {export}"
    assert export.get("Value") == exporter.outputs["VpcId"], f"{prefix}-VpcId changed value: {export}"
    assert cfn_scenario.status_of(exporter.stack_id) == "CREATE_COMPLETE"


@pytest.mark.claim("cloudformation-outputs.intrinsic-in-parameter-rejected")
def test_intrinsic_parameter_default_rejected(cfn_scenario):
    template = INVALID_PARAMETER_DEFAULT_TEMPLATE.read_text(encoding="utf-8")

    with pytest.raises(ClientError) as excinfo:
        cfn_scenario.cfn.validate_template(TemplateBody=template)
    assert error_code(excinfo) == "ValidationError"

    rejected = cfn_scenario.create(INVALID_PARAMETER_DEFAULT_TEMPLATE, {}, "invalid")

    assert rejected.error_code == "ValidationError", f"CreateStack with Fn::Sub as a Default: {rejected.describe()}"
    assert cfn_scenario.status_of(rejected.name) == GONE, f"a stack named {rejected.name} was left behind"


@pytest.mark.claim("cloudformation-outputs.getatt-subnet-availability-zone")
def test_getatt_subnet_availability_zone(exporter, backend):
    require_complete(exporter)
    subnet_id = exporter.outputs["SubnetId"]

    subnet = backend.client("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]

    assert exporter.outputs.get("SubnetAvailabilityZone") == subnet["AvailabilityZone"]
