"""Authentication backend: Django's, behind the sign-in throttle."""

from django.contrib.auth.backends import ModelBackend


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend; the throttle is added in accounts/services/throttle.py."""
