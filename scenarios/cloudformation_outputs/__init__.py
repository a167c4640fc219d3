"""Intrinsic functions, Outputs and cross-stack exports in CloudFormation.

The templates and the values AWS documents for each output are described in README.md
beside this file.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

EXPORTER_TEMPLATE = TEMPLATES_DIR / "exporter.yaml"
IMPORTER_TEMPLATE = TEMPLATES_DIR / "importer.yaml"
# Reuses an export name of the exporter, so creating it must fail while the exporter exists.
DUPLICATE_EXPORTER_TEMPLATE = TEMPLATES_DIR / "duplicate_exporter.yaml"
# Uses Fn::Sub as a parameter Default, so template validation must reject it.
INVALID_PARAMETER_DEFAULT_TEMPLATE = TEMPLATES_DIR / "invalid_parameter_default.yaml"

VALID_TEMPLATES = (EXPORTER_TEMPLATE, IMPORTER_TEMPLATE, DUPLICATE_EXPORTER_TEMPLATE)
INVALID_TEMPLATES = (INVALID_PARAMETER_DEFAULT_TEMPLATE,)

# Names of the exporter's exports, as format strings over its ExportPrefix parameter.
EXPORT_NAME_FORMATS = (
    "{prefix}-VpcId",
    "{prefix}-VpcCidrBlock",
    "{prefix}-SubnetId",
    "{prefix}-QueueArn",
    "{prefix}-TopicArn",
    "{prefix}-LiteralBase64",
)
