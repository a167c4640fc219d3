-- Storage of Amazon SES sending events for the SES -> SNS -> SQS -> Lambda -> MySQL pattern.
-- Runs on MariaDB 10.5+ and MySQL 5.7+. Statements are separated by a semicolon at the
-- end of a line, which is how handler.apply_schema() splits this file.

-- One row per event and recipient: an event that names several recipients (a Delivery to
-- two addresses, a Bounce of three) becomes several rows that share sns_message_id and
-- raw_json. Events that name no recipient (Open, Click) get one row with recipient ''.
--
-- The unique key on (sns_message_id, recipient) drops redelivered notifications. SNS
-- gives each notification one MessageId, and SQS and SNS redeliver it unchanged. NOT NULL
-- matters here, because a unique key admits any number of rows with NULL.
-- The utf8mb4_unicode_ci collation makes the key ignore letter case in addresses.
CREATE TABLE IF NOT EXISTS ses_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    sns_message_id VARCHAR(100) NOT NULL COMMENT 'MessageId of the SNS notification that carried the event',
    event_type VARCHAR(32) NOT NULL COMMENT 'eventType, such as Send, Delivery, Bounce or Complaint',
    ses_message_id VARCHAR(255) NOT NULL COMMENT 'mail.messageId that SES assigned when it accepted the message',
    recipient VARCHAR(320) NOT NULL DEFAULT '' COMMENT 'Address the event concerns, empty when the event names none',
    event_timestamp DATETIME(3) NOT NULL COMMENT 'UTC time of the event, or mail.timestamp when the event has none',
    mail_timestamp DATETIME(3) NOT NULL COMMENT 'UTC time SES accepted the message (mail.timestamp)',
    bounce_type VARCHAR(32) NULL COMMENT 'bounce.bounceType of Bounce events: Permanent, Transient or Undetermined',
    raw_json JSON NOT NULL COMMENT 'The SES event exactly as the SNS notification carried it',
    received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'Insert time in the session time zone',
    PRIMARY KEY (id),
    UNIQUE KEY uq_ses_events_notification_recipient (sns_message_id, recipient),
    KEY ix_ses_events_ses_message (ses_message_id),
    KEY ix_ses_events_type_mail_time (event_type, mail_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
