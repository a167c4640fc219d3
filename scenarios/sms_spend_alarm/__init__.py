"""CloudWatch alarm on SNS SMS spend: an alarm, its topic, a subscribed queue and SMS publishing."""
