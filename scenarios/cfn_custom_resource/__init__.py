"""SNS subscription filter policy set by a Lambda-backed CloudFormation custom resource.

``templates/custom_filter_policy.yaml`` deploys the custom resource pattern, and
``templates/native_filter_policy.yaml`` the AWS::SNS::Subscription properties that
replaced it. ``handler/handler.py`` is the custom resource's Lambda handler.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = SCENARIO_DIR / "templates"
HANDLER_SOURCE = SCENARIO_DIR / "handler" / "handler.py"

CUSTOM_RESOURCE_TEMPLATE = TEMPLATES_DIR / "custom_filter_policy.yaml"
NATIVE_PROPERTIES_TEMPLATE = TEMPLATES_DIR / "native_filter_policy.yaml"

# Handler setting of the function in custom_filter_policy.yaml.
LAMBDA_HANDLER = "handler.handler"


def build_handler_zip() -> bytes:
    """Return a Lambda deployment package with handler.py at the archive root.

    The handler needs only boto3, which the Lambda Python runtimes include.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(HANDLER_SOURCE, arcname="handler.py")
    return buffer.getvalue()
