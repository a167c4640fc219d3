"""SQS visibility timeout: queues and consumers for the visibility claims."""
