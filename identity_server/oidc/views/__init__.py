"""Our versions of django-oauth-toolkit's endpoints, one module per endpoint."""
