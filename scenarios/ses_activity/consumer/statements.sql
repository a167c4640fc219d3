-- Statements of the consumer, read by handler.load_named_queries(). Each starts at a
-- "-- name: <name>" line. Parameters use PyMySQL's %(name)s style.

-- name: insert_event
-- Insert one event row. When SQS or SNS redelivers a notification, a row with the same
-- sns_message_id and recipient already exists. Then the statement changes nothing and
-- reports 0 affected rows. Unlike INSERT IGNORE, it still raises on data errors such as
-- an address longer than the column.
INSERT INTO ses_events (
    sns_message_id, event_type, ses_message_id, recipient,
    event_timestamp, mail_timestamp, bounce_type, raw_json
) VALUES (
    %(sns_message_id)s, %(event_type)s, %(ses_message_id)s, %(recipient)s,
    %(event_timestamp)s, %(mail_timestamp)s, %(bounce_type)s, %(raw_json)s
)
ON DUPLICATE KEY UPDATE id = id
