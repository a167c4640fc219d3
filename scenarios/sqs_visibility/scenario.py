"""Deploy queues for the SQS visibility claims and drive them like consumers do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fixtures.backends import Backend
from fixtures.clock import Clock
from fixtures.naming import Names
from fixtures.resources import Cleanup

MAX_VISIBILITY = 43_200  # 12 hours, the documented maximum


@dataclass(frozen=True)
class Timing:
    """Durations in seconds; documented values on a virtual clock, short ones on a real clock."""

    visibility: int  # queue timeout for the hide and redelivery claims
    extension_interval: int  # time between ChangeMessageVisibility calls
    extension_timeout: int  # queue timeout and extension value of the restart claim
    queued: int  # time a message waits in the queue before its first receive
    after_receive: int  # time between the receive and the extension request
    cap_slack: int  # tolerance of the 12-hour budget, for clocks read over the network
    poll: float  # bound on polling for a message that should come back


VIRTUAL = Timing(visibility=30, extension_interval=3, extension_timeout=5, queued=7_200,
                 after_receive=3_600, cap_slack=1, poll=5)
REAL = Timing(visibility=2, extension_interval=3, extension_timeout=5, queued=4,
              after_receive=2, cap_slack=2, poll=5)


def timing_for(clock: Clock) -> Timing:
    return VIRTUAL if clock.virtual else REAL


class SqsScenario:
    """Queues with unique names, deleted at teardown, and receive helpers that never long-poll.

    Receives use WaitTimeSeconds=0: under a frozen virtual clock moto's long polling would
    never return, and bounded polling through ``eventually`` covers the real clocks.
    """

    def __init__(self, backend: Backend, names: Names, cleanup: Cleanup) -> None:
        self.backend = backend
        self.sqs = backend.client("sqs")
        self.names = names
        self.cleanup = cleanup

    def create_queue(self, **attributes: Any) -> str:
        name = self.names.unique("queue", max_length=80)
        kwargs: dict[str, Any] = {"QueueName": name}
        if attributes:
            kwargs["Attributes"] = {key: str(value) for key, value in attributes.items()}
        url = self.sqs.create_queue(**kwargs)["QueueUrl"]
        self.cleanup.add(f"delete queue {name}", self.sqs.delete_queue, QueueUrl=url)
        return url

    def send(self, url: str, body: str) -> str:
        return self.sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]

    def receive(self, url: str, client: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        client = client or self.sqs
        kwargs.setdefault("WaitTimeSeconds", 0)
        return client.receive_message(QueueUrl=url, **kwargs).get("Messages", [])

    def receive_one(self, url: str, **kwargs: Any) -> dict[str, Any]:
        messages = self.receive(url, **kwargs)
        if len(messages) != 1:
            raise AssertionError(f"expected one message from {url}, received {len(messages)}: {messages!r}")
        return messages[0]

    def queue_attribute(self, url: str, name: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name]
