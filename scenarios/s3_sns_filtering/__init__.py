"""S3 event notifications to SNS: buckets, topics and filtered queue subscriptions."""
