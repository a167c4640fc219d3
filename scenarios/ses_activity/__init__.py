"""SES sending activity: SES -> SNS -> SQS -> Lambda -> MySQL, with the consumer and its schema."""
