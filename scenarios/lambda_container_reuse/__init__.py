"""Module-level state and /tmp files across invocations that reuse a Lambda execution environment."""
