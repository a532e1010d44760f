"""Smoke tests over the running compose stacks (make test-compose)."""
