"""Cognito PreSignUp trigger that rejects usernames containing emoji."""
