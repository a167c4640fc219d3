"""Lambda handler of the Custom::SubscriptionFilterPolicy CloudFormation resource.

The resource sets the filter policy of an existing SNS subscription. Its properties:

- ``SubscriptionArn`` (required): ARN of the subscription to filter.
- ``FilterPolicy`` (required): the policy, as a JSON string or as a JSON object.
- ``FilterPolicyScope`` (optional): ``MessageAttributes`` (the SNS default) or
  ``MessageBody``.

Create and Update apply the policy with sns:SetSubscriptionAttributes. Delete removes
it by setting the policy to ``{}`` and resets the scope to ``MessageAttributes``. The
physical resource ID is the subscription ARN, so it stays the same across updates that
keep the subscription. When SubscriptionArn changes, CloudFormation treats the new ID
as a replacement and then sends Delete for the old subscription.

The handler responds to CloudFormation with an HTTP PUT of a JSON body to the
pre-signed ResponseURL and uses only the standard library for it. Request and response fields:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html

Every request is logged as one JSON object (see ``parse_request_log_line``), so tests
can read back what CloudFormation sent.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)

SUCCESS = "SUCCESS"
FAILED = "FAILED"

# CloudFormation rejects a custom resource response body larger than 4,096 bytes:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
RESPONSE_BODY_LIMIT_BYTES = 4096

FILTER_POLICY_SCOPES = ("MessageAttributes", "MessageBody")
DEFAULT_FILTER_POLICY_SCOPE = "MessageAttributes"

# SetSubscriptionAttributes with FilterPolicy "{}" removes the filter policy:
# https://docs.aws.amazon.com/sns/latest/dg/example_sns_SetSubscriptionAttributes_section.html
REMOVED_FILTER_POLICY = "{}"

# Error codes that SNS returns when the subscription or its topic no longer exists.
SUBSCRIPTION_GONE_ERROR_CODES = frozenset({"NotFound", "NotFoundException"})

# Physical ID prefix of a Create that failed before anything was applied. Delete skips
# every ID that is not a subscription ARN, so the rollback of such a Create succeeds.
FAILED_CREATE_ID_PREFIX = "failed-create-"

# Seconds before the Lambda timeout at which a FAILED response is sent if the work
# has not finished, so the stack does not wait for CloudFormation's own timeout.
TIMEOUT_MARGIN_SECONDS = 10.0

# Timeout in seconds of one PUT to the ResponseURL, and the number of attempts.
RESPONSE_PUT_TIMEOUT_SECONDS = 5.0
RESPONSE_PUT_ATTEMPTS = 3
RESPONSE_PUT_BACKOFF_SECONDS = 1.0

REQUEST_LOG_MESSAGE = "custom resource request"


class InvalidRequestError(ValueError):
    """The request or its ResourceProperties cannot be processed."""


class ResponseTooLargeError(ValueError):
    """The response body would exceed RESPONSE_BODY_LIMIT_BYTES."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """Process one CloudFormation custom resource request and send the response.

    Returns the response body that was sent, or None when the request has no
    ResponseURL, so no response can be sent.
    """
    _configure_logging_outside_lambda()
    log_request(event)

    response_url = event.get("ResponseURL")
    if not isinstance(response_url, str) or not response_url:
        LOGGER.error(
            "Request %s has no ResponseURL, so no response can be sent",
            event.get("RequestId"),
        )
        return None

    responder = Responder(event, context)
    timeout_guard = _start_timeout_guard(context, responder)
    try:
        physical_id, data = process_request(event)
        return responder.send(SUCCESS, physical_id=physical_id, data=data)
    except Exception as error:  # noqa: BLE001 - CloudFormation must always get an answer
        LOGGER.exception(
            "%s request %s for %s failed",
            event.get("RequestType"),
            event.get("RequestId"),
            event.get("LogicalResourceId"),
        )
        reason = f"{type(error).__name__}: {error}"
        return responder.send(FAILED, physical_id=_physical_id_after_failure(event), reason=reason)
    finally:
        if timeout_guard is not None:
            timeout_guard.cancel()


def process_request(event: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Apply the request to the subscription and return the physical ID and Data."""
    request_type = event.get("RequestType")

    if request_type == "Delete":
        delete_filter_policy(event.get("PhysicalResourceId", ""))
        return event.get("PhysicalResourceId", ""), {}

    if request_type not in ("Create", "Update"):
        raise InvalidRequestError(
            f"RequestType {request_type!r} is not supported. Expected Create, Update or Delete"
        )

    properties = parse_properties(event.get("ResourceProperties"))
    physical_id = properties["SubscriptionArn"]
    data = {
        "SubscriptionArn": properties["SubscriptionArn"],
        "FilterPolicy": properties["FilterPolicy"],
        "FilterPolicyScope": properties["FilterPolicyScope"],
    }

    # Check the size before any SNS call, so a response that CloudFormation would
    # reject leaves the subscription unchanged.
    body = build_response_body(event, SUCCESS, physical_id=physical_id, data=data)
    size = response_body_size(body)
    if size > RESPONSE_BODY_LIMIT_BYTES:
        raise ResponseTooLargeError(
            f"the SUCCESS response body would be {size} bytes, over the "
            f"{RESPONSE_BODY_LIMIT_BYTES}-byte limit of CloudFormation. It echoes "
            "FilterPolicy in Data, so shorten the filter policy"
        )

    apply_filter_policy(
        properties["SubscriptionArn"],
        properties["FilterPolicy"],
        properties["FilterPolicyScope"],
    )
    return physical_id, data


def parse_properties(properties: Any) -> dict[str, str]:
    """Validate ResourceProperties and return them with FilterPolicy as compact JSON.

    NOTE: CloudFormation passes every scalar inside a custom resource's properties as
    a string, so a FilterPolicy given as a YAML object arrives with numbers turned
    into strings. A numeric condition survives only when the template passes the
    policy as a JSON string.
    """
    if not isinstance(properties, dict):
        raise InvalidRequestError("ResourceProperties is missing. Set SubscriptionArn and FilterPolicy")

    subscription_arn = properties.get("SubscriptionArn")
    if not isinstance(subscription_arn, str) or not _is_sns_subscription_arn(subscription_arn):
        raise InvalidRequestError(
            f"SubscriptionArn {subscription_arn!r} is not an SNS subscription ARN. "
            "Pass the Ref of an AWS::SNS::Subscription"
        )

    policy = properties.get("FilterPolicy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as error:
            raise InvalidRequestError(f"FilterPolicy is not valid JSON: {error}") from error
    if not isinstance(policy, dict) or not policy:
        raise InvalidRequestError(
            f"FilterPolicy {properties.get('FilterPolicy')!r} must be a non-empty JSON object. "
            "Delete the resource to remove filtering"
        )

    scope = properties.get("FilterPolicyScope", DEFAULT_FILTER_POLICY_SCOPE)
    if scope not in FILTER_POLICY_SCOPES:
        raise InvalidRequestError(
            f"FilterPolicyScope {scope!r} is invalid. Use one of {', '.join(FILTER_POLICY_SCOPES)}"
        )

    return {
        "SubscriptionArn": subscription_arn,
        "FilterPolicy": json.dumps(policy, separators=(",", ":")),
        "FilterPolicyScope": scope,
    }


def apply_filter_policy(subscription_arn: str, policy_json: str, scope: str) -> None:
    """Set FilterPolicy and FilterPolicyScope on the subscription.

    SNS validates a policy against the current scope, and only the MessageBody scope
    accepts nested keys. A flat policy is valid in both scopes. So the scope is set
    first when it becomes MessageBody, and last when it becomes MessageAttributes.
    """
    sns = _sns_client(_region_of(subscription_arn))
    if scope == "MessageBody":
        sns.set_subscription_attributes(
            SubscriptionArn=subscription_arn, AttributeName="FilterPolicyScope", AttributeValue=scope
        )
        sns.set_subscription_attributes(
            SubscriptionArn=subscription_arn, AttributeName="FilterPolicy", AttributeValue=policy_json
        )
    else:
        sns.set_subscription_attributes(
            SubscriptionArn=subscription_arn, AttributeName="FilterPolicy", AttributeValue=policy_json
        )
        sns.set_subscription_attributes(
            SubscriptionArn=subscription_arn, AttributeName="FilterPolicyScope", AttributeValue=scope
        )
    LOGGER.info("Applied %s filter policy %s to %s", scope, policy_json, subscription_arn)


def delete_filter_policy(physical_id: str) -> None:
    """Remove the filter policy and reset the scope of the subscription in physical_id.

    A subscription or topic that no longer exists counts as done, and so does a
    physical ID of a Create that failed before it applied anything.
    """
    if not _is_sns_subscription_arn(physical_id):
        LOGGER.info("Physical ID %r names no subscription, so there is nothing to delete", physical_id)
        return

    sns = _sns_client(_region_of(physical_id))
    try:
        sns.set_subscription_attributes(
            SubscriptionArn=physical_id,
            AttributeName="FilterPolicy",
            AttributeValue=REMOVED_FILTER_POLICY,
        )
        sns.set_subscription_attributes(
            SubscriptionArn=physical_id,
            AttributeName="FilterPolicyScope",
            AttributeValue=DEFAULT_FILTER_POLICY_SCOPE,
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code not in SUBSCRIPTION_GONE_ERROR_CODES:
            raise
        LOGGER.info("Subscription %s no longer exists (%s), so there is nothing to delete", physical_id, code)
        return
    LOGGER.info("Removed the filter policy of %s", physical_id)


class Responder:
    """Sends the one response that a request allows, from the handler or the timeout guard."""

    def __init__(self, event: dict[str, Any], context: Any) -> None:
        self._event = event
        self._context = context
        self._lock = threading.Lock()
        self._sent_body: dict[str, Any] | None = None

    def send(
        self,
        status: str,
        *,
        physical_id: str,
        reason: str = "",
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send the response unless one was already sent, and return the body sent."""
        with self._lock:
            if self._sent_body is not None:
                LOGGER.warning(
                    "A %s response for request %s was already sent, so the %s response is dropped",
                    self._sent_body["Status"],
                    self._event.get("RequestId"),
                    status,
                )
                return self._sent_body

            if status == FAILED:
                reason = self._with_log_location(reason)
            body = _fit_reason(
                build_response_body(
                    self._event, status, physical_id=physical_id, reason=reason, data=data
                )
            )
            size = response_body_size(body)
            if size > RESPONSE_BODY_LIMIT_BYTES:
                LOGGER.error(
                    "The %s response body is %d bytes, over the %d-byte limit, so FAILED is sent instead",
                    status,
                    size,
                    RESPONSE_BODY_LIMIT_BYTES,
                )
                reason = (
                    f"The {status} response body was {size} bytes, over the "
                    f"{RESPONSE_BODY_LIMIT_BYTES}-byte limit of CloudFormation. Return less Data"
                )
                body = _fit_reason(
                    build_response_body(self._event, FAILED, physical_id=physical_id, reason=reason)
                )

            put_response(self._event["ResponseURL"], body)
            self._sent_body = body
            return body

    def send_timeout(self) -> None:
        """Send FAILED because the Lambda function is about to time out."""
        LOGGER.error(
            "Request %s is still running %.0f s before the Lambda timeout, so FAILED is sent",
            self._event.get("RequestId"),
            TIMEOUT_MARGIN_SECONDS,
        )
        self.send(
            FAILED,
            physical_id=_physical_id_after_failure(self._event),
            reason="The handler timed out before it finished the request",
        )

    def _with_log_location(self, reason: str) -> str:
        log_stream = getattr(self._context, "log_stream_name", None)
        if not log_stream:
            return reason
        return f"{reason} (CloudWatch Logs stream {log_stream})"


def build_response_body(
    event: dict[str, Any],
    status: str,
    *,
    physical_id: str,
    reason: str = "",
    data: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Build the JSON response body that CloudFormation expects at the ResponseURL."""
    return {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": data or {},
    }


def response_body_size(body: dict[str, Any]) -> int:
    """Return the size in bytes of the body as it is sent."""
    return len(_encode_body(body))


def put_response(response_url: str, body: dict[str, Any]) -> None:
    """PUT the body to the pre-signed ResponseURL, retrying network and 5xx errors.

    Raises the last error after RESPONSE_PUT_ATTEMPTS attempts, or at once on a 4xx
    status such as an expired pre-signed URL, because a retry cannot fix those.
    """
    scheme = urllib.parse.urlsplit(response_url).scheme
    if scheme not in ("http", "https"):
        raise InvalidRequestError(f"ResponseURL has scheme {scheme!r}. Only http and https URLs are supported")

    payload = _encode_body(body)
    # The pre-signed S3 URL is signed for an empty Content-Type, so the header is sent
    # empty. Without it urllib would add application/x-www-form-urlencoded.
    request = urllib.request.Request(
        response_url,
        data=payload,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(payload))},
    )
    for attempt in range(1, RESPONSE_PUT_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=RESPONSE_PUT_TIMEOUT_SECONDS) as response:
                LOGGER.info(
                    "Sent %s response for request %s (HTTP %s)",
                    body["Status"],
                    body["RequestId"],
                    response.status,
                )
                return
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == RESPONSE_PUT_ATTEMPTS:
                LOGGER.error(
                    "PUT of the %s response to %s failed with HTTP %s",
                    body["Status"],
                    redact_url(response_url),
                    error.code,
                )
                raise
            LOGGER.warning("PUT attempt %d got HTTP %s, retrying", attempt, error.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            if attempt == RESPONSE_PUT_ATTEMPTS:
                LOGGER.error(
                    "PUT of the %s response to %s failed after %d attempts: %s",
                    body["Status"],
                    redact_url(response_url),
                    attempt,
                    error,
                )
                raise
            LOGGER.warning("PUT attempt %d failed (%s), retrying", attempt, error)
        time.sleep(RESPONSE_PUT_BACKOFF_SECONDS * attempt)


def log_request(event: dict[str, Any]) -> None:
    """Log the request as one JSON object, without the ResponseURL's signature."""
    record = {
        "message": REQUEST_LOG_MESSAGE,
        "RequestType": event.get("RequestType"),
        "RequestId": event.get("RequestId"),
        "StackId": event.get("StackId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "PhysicalResourceId": event.get("PhysicalResourceId"),
        "ResourceType": event.get("ResourceType"),
        "ResourceProperties": event.get("ResourceProperties"),
        "OldResourceProperties": event.get("OldResourceProperties"),
        "ResponseURL": redact_url(event.get("ResponseURL")),
    }
    LOGGER.info("%s", json.dumps(record, sort_keys=True, default=str))


def parse_request_log_line(line: str) -> dict[str, Any] | None:
    """Return the request record logged by ``log_request``, or None for other lines.

    The Lambda runtime prefixes each log line with the level, a timestamp and the
    request ID, so the JSON object starts at the first "{".
    """
    start = line.find("{")
    if start < 0:
        return None
    try:
        record = json.loads(line[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or record.get("message") != REQUEST_LOG_MESSAGE:
        return None
    return record


def redact_url(url: Any) -> Any:
    """Drop the query string, which contains the pre-signed URL's signature."""
    if not isinstance(url, str):
        return url
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "<redacted>", ""))


@functools.lru_cache(maxsize=None)
def _sns_client(region: str) -> Any:
    # Cached per Region because creating a client costs tens of milliseconds.
    # boto3 reads AWS_ENDPOINT_URL, so the same code reaches an emulator.
    return boto3.client("sns", region_name=region)


def _is_sns_subscription_arn(value: str) -> bool:
    # arn:<partition>:sns:<region>:<account>:<topic>:<subscription id>
    parts = value.split(":")
    return len(parts) == 7 and parts[0] == "arn" and parts[2] == "sns" and all(parts[3:])


def _region_of(subscription_arn: str) -> str:
    return subscription_arn.split(":")[3]


def _physical_id_after_failure(event: dict[str, Any]) -> str:
    # Update and Delete must keep the ID that CloudFormation sent. A failed Create
    # gets an ID that Delete recognises and skips during the rollback.
    existing = event.get("PhysicalResourceId")
    if existing:
        return existing
    return f"{FAILED_CREATE_ID_PREFIX}{event.get('RequestId', 'unknown')}"


def _start_timeout_guard(context: Any, responder: Responder) -> threading.Timer | None:
    get_remaining = getattr(context, "get_remaining_time_in_millis", None)
    if get_remaining is None:
        return None
    delay = max(get_remaining() / 1000.0 - TIMEOUT_MARGIN_SECONDS, 0.0)
    timer = threading.Timer(delay, responder.send_timeout)
    timer.daemon = True
    timer.start()
    return timer


def _encode_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode("utf-8")


def _fit_reason(body: dict[str, Any]) -> dict[str, Any]:
    # A long error message must not push a FAILED body over the limit, so the Reason
    # is cut until the body fits. Each removed character frees at least one byte.
    if response_body_size(body) <= RESPONSE_BODY_LIMIT_BYTES:
        return body
    marker = " [truncated]"
    reason = body["Reason"]
    while reason:
        overflow = response_body_size({**body, "Reason": reason + marker}) - RESPONSE_BODY_LIMIT_BYTES
        if overflow <= 0:
            break
        reason = reason[:-overflow]
    return {**body, "Reason": reason + marker}


def _configure_logging_outside_lambda() -> None:
    # The Lambda runtime installs a handler on the root logger. Elsewhere, for example
    # in an emulator that runs the handler in a plain Python process, INFO records
    # would be dropped without one.
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
