"""What module-level state and /tmp keep when Lambda reuses an execution environment."""
