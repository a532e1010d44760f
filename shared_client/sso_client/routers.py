"""A database router for reading another site's legacy tables during the move to SSO.

Settings: SSO_CLIENT["LEGACY_DATABASE"] (an alias in DATABASES) and SSO_CLIENT["LEGACY_MODELS"]
("app_label.ModelName"). Reads of those models go to the alias; writes are refused; nothing
is migrated on the alias, and those models are migrated nowhere.

Routers only see the ORM calls that ask them: `Model.objects.using(alias)` and raw SQL bypass
them, so also give the alias a read-only database user or session (see README.md).
"""

from typing import Any

from django.db import DatabaseError
from django.db.models import Model

from sso_client.conf import sso_settings


class LegacyWriteRefused(DatabaseError):
    """A write to a model of the read-only legacy database."""


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


class LegacyReadOnlyRouter:
    """Route LEGACY_MODELS to LEGACY_DATABASE for reading only.

    Add "sso_client.routers.LegacyReadOnlyRouter" to DATABASE_ROUTERS. Every method reads the
    settings when called. With LEGACY_DATABASE unset the router has no opinion on anything.
    """

    def _is_legacy(self, model: type[Model]) -> bool:
        return bool(sso_settings.LEGACY_DATABASE) and _label(model) in sso_settings.legacy_models()

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        """Return the legacy alias for a legacy model, else no opinion."""
        return sso_settings.LEGACY_DATABASE if self._is_legacy(model) else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        """Raise LegacyWriteRefused for a legacy model (save, create, update, delete...)."""
        if self._is_legacy(model):
            raise LegacyWriteRefused(
                f"{model._meta.label} is read-only: it lives in the legacy database "
                f"{sso_settings.LEGACY_DATABASE!r} (SSO_CLIENT['LEGACY_MODELS'])."
            )
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        """Allow a relation that involves the legacy database only within one database."""
        alias = sso_settings.LEGACY_DATABASE
        if not alias:
            return None
        involved = {obj1._state.db, obj2._state.db}
        if alias in involved or self._is_legacy(type(obj1)) or self._is_legacy(type(obj2)):
            return len(involved) == 1
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        """Migrate nothing on the legacy alias, and the legacy models on no database."""
        alias = sso_settings.LEGACY_DATABASE
        if not alias:
            return None
        if db == alias:
            return False
        if model_name is not None and f"{app_label}.{model_name}".lower() in (
            sso_settings.legacy_models()
        ):
            return False
        return None
