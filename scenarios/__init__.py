"""Documented AWS patterns, one package per pattern, each with its claims catalog."""
