-- Reports over ses_events, read by handler.load_named_queries().
--
-- Rates are per recipient: a message sent to 4 addresses counts as 4 sent recipients, and
-- a bounce of one of them as 1 bounced recipient. Each distinct (ses_message_id, recipient)
-- pair counts once, whatever the number of events for it. The window selects messages by
-- the time SES accepted them (mail_timestamp, UTC) in [%(since)s, %(until)s). Bounces and
-- complaints arrive after the send, so a window that ends close to now still misses some.
-- The rate is NULL when no Send event falls in the window. It can exceed 1 when the
-- table contains bounces or complaints of messages whose Send event is missing.

-- name: bounce_rate
-- Share of sent recipients that bounced. hard_bounced counts only Permanent bounces.
SELECT
    sent.recipients AS sent,
    bounced.recipients AS bounced,
    bounced.permanent AS hard_bounced,
    bounced.recipients / NULLIF(sent.recipients, 0) AS bounce_rate,
    bounced.permanent / NULLIF(sent.recipients, 0) AS hard_bounce_rate
FROM (
    SELECT COUNT(DISTINCT ses_message_id, recipient) AS recipients
    FROM ses_events
    WHERE event_type = 'Send'
      AND mail_timestamp >= %(since)s AND mail_timestamp < %(until)s
) AS sent
CROSS JOIN (
    SELECT
        COUNT(DISTINCT ses_message_id, recipient) AS recipients,
        COUNT(DISTINCT CASE WHEN bounce_type = 'Permanent' THEN ses_message_id END,
                       CASE WHEN bounce_type = 'Permanent' THEN recipient END) AS permanent
    FROM ses_events
    WHERE event_type = 'Bounce'
      AND mail_timestamp >= %(since)s AND mail_timestamp < %(until)s
) AS bounced

-- name: complaint_rate
-- Share of sent recipients that marked the message as spam.
SELECT
    sent.recipients AS sent,
    complained.recipients AS complained,
    complained.recipients / NULLIF(sent.recipients, 0) AS complaint_rate
FROM (
    SELECT COUNT(DISTINCT ses_message_id, recipient) AS recipients
    FROM ses_events
    WHERE event_type = 'Send'
      AND mail_timestamp >= %(since)s AND mail_timestamp < %(until)s
) AS sent
CROSS JOIN (
    SELECT COUNT(DISTINCT ses_message_id, recipient) AS recipients
    FROM ses_events
    WHERE event_type = 'Complaint'
      AND mail_timestamp >= %(since)s AND mail_timestamp < %(until)s
) AS complained

-- name: events_by_type
-- Number of stored rows per event type, for messages accepted in the window.
SELECT event_type, COUNT(*) AS event_rows
FROM ses_events
WHERE mail_timestamp >= %(since)s AND mail_timestamp < %(until)s
GROUP BY event_type
ORDER BY event_type
