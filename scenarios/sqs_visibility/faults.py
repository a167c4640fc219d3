"""Faults in in-process moto's SQS model, one per visibility claim."""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.sqs.exceptions import InvalidAttributeValue, InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend
from moto.core.utils import unix_time_millis

from fixtures.faults import fault


@fault("sqs.default-timeout-60", breaks=["sqs-visibility.default-timeout-30s"])
def default_timeout_60(backend):
    """New queues get a 60 s default visibility timeout."""
    original = Queue.__init__

    def init(self, name, region, account_id, **kwargs):
        original(self, name, region, account_id, **kwargs)
        if "VisibilityTimeout" not in kwargs:
            self.visibility_timeout = 60

    return mock.patch.object(Queue, "__init__", init)


@fault("sqs.range-check", breaks=["sqs-visibility.queue-attribute-range"], expect="pass")
def range_check(backend):
    """Repair: reject a VisibilityTimeout outside 0..43200 on CreateQueue and SetQueueAttributes."""
    original = Queue._set_attributes

    def set_attributes(self, attributes, now=None):
        value = attributes.get("VisibilityTimeout")
        if value is not None and not 0 <= int(value) <= 43_200:
            raise InvalidAttributeValue("VisibilityTimeout")
        return original(self, attributes, now)

    return mock.patch.object(Queue, "_set_attributes", set_attributes)


@fault("sqs.never-hidden", breaks=["sqs-visibility.hidden-from-all-consumers", "sqs-visibility.change-restarts-timeout"])
def never_hidden(backend):
    """Received messages stay visible to every consumer.

    The restart claim checks that the message stays hidden between extensions, so it fails too.
    """
    return mock.patch.object(Message, "visible", new_callable=mock.PropertyMock, return_value=True)


@fault("sqs.receive-count-stuck", breaks=["sqs-visibility.redelivered-after-expiry"])
def receive_count_stuck(backend):
    """ApproximateReceiveCount never rises above 1."""
    original = Message.mark_received

    def mark_received(self, visibility_timeout=None):
        original(self, visibility_timeout)
        self.approximate_receive_count = 1

    return mock.patch.object(Message, "mark_received", mark_received)


@fault("sqs.extension-ignored", breaks=["sqs-visibility.change-restarts-timeout"])
def extension_ignored(backend):
    """ChangeMessageVisibility with a positive timeout is accepted but changes nothing."""
    original = SQSBackend.change_message_visibility

    def change(self, queue_name, receipt_handle, visibility_timeout):
        if int(visibility_timeout) > 0:
            return None
        return original(self, queue_name, receipt_handle, visibility_timeout)

    return mock.patch.object(SQSBackend, "change_message_visibility", change)


@fault("sqs.zero-ignored", breaks=["sqs-visibility.change-to-zero"])
def zero_ignored(backend):
    """ChangeMessageVisibility to 0 is accepted but the message stays hidden."""
    original = SQSBackend.change_message_visibility

    def change(self, queue_name, receipt_handle, visibility_timeout):
        if int(visibility_timeout) == 0:
            return None
        return original(self, queue_name, receipt_handle, visibility_timeout)

    return mock.patch.object(SQSBackend, "change_message_visibility", change)


@fault("sqs.cap-from-receive", breaks=["sqs-visibility.twelve-hour-cap-from-receive"], expect="pass")
def cap_from_receive(backend):
    """Repair: count the 12-hour visibility budget from the first receive, as AWS documents."""

    def change(self, queue_name, receipt_handle, visibility_timeout):
        queue = self.get_queue(queue_name)
        for message in queue._messages:
            if message.had_receipt_handle(receipt_handle):
                received = message.approximate_first_receive_timestamp or message.sent_timestamp
                if unix_time_millis() + int(visibility_timeout) * 1000 - received > 43_200 * 1000:
                    raise InvalidParameterValue("Total VisibilityTimeout for the message is beyond the limit")
                message.change_visibility(visibility_timeout)
                if message.visible and message in queue.pending_messages:
                    queue.pending_messages.remove(message)
                return
        raise ReceiptHandleIsInvalid

    return mock.patch.object(SQSBackend, "change_message_visibility", change)


@fault("sqs.delete-ignored", breaks=["sqs-visibility.delete-removes-message", "sqs-visibility.change-restarts-timeout"])
def delete_ignored(backend):
    """DeleteMessage succeeds but the message stays in the queue.

    The restart claim ends by deleting with the last receipt handle, so it fails too.
    """
    return mock.patch.object(Queue, "delete_message", lambda self, receipt_handle: None)


@fault("sqs.batch-overflow", breaks=["sqs-visibility.receive-zero-visibility-bounds"])
def batch_overflow(backend):
    """A receive of several messages returns each of them twice, exceeding MaxNumberOfMessages."""
    original = SQSBackend.receive_message

    def receive(self, queue_name, count, *args, **kwargs):
        result = original(self, queue_name, count, *args, **kwargs)
        return result * 2 if count > 1 else result

    stack = ExitStack()
    stack.enter_context(mock.patch.object(SQSBackend, "receive_message", receive))
    return stack
