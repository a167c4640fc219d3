"""Amazon MQ behind a Network Load Balancer: a stable client endpoint for a broker."""
