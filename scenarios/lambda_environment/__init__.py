"""Lambda execution environment: where the package sits and what survives a warm start."""
