"""Models of the test app (its migration creates LegacyCustomer nowhere: the router says no)."""

from django.conf import settings
from django.db import models


class Order(models.Model):
    """A shop's order, pointing at the local user who placed it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    number = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.number


class LegacyCustomer(models.Model):
    """A table of the legacy database (SSO_CLIENT["LEGACY_MODELS"]): read, never written."""

    email = models.EmailField()
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "legacy_customer"

    def __str__(self) -> str:
        return self.email
