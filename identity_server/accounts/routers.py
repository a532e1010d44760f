"""Keep the import sources read-only: no write and no migration ever reaches them.

``manage.py import_users`` registers each shop database under an ``import_<name>`` alias at
run time (accounts/services/import_sources.py). Routers only see writes that ask where to
go, so the connection itself also refuses anything but SELECT; this router is the ORM's layer.
"""

from typing import Any

IMPORT_ALIAS_PREFIX = "import_"


class ReadOnlySourceError(RuntimeError):
    """Something tried to write to an import source."""


def is_import_alias(alias: str | None) -> bool:
    """Return whether a database alias names an import source."""
    return bool(alias) and alias.startswith(IMPORT_ALIAS_PREFIX)


class ImportSourceRouter:
    """Refuse writes to and migrations on import sources; leave every other decision to Django."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        """Reads go wherever they were sent."""
        return None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        """Raise when the object being written was loaded from an import source."""
        instance = hints.get("instance")
        if instance is not None and is_import_alias(instance._state.db):
            raise ReadOnlySourceError(f"{instance._state.db} is a read-only import source.")
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        """No opinion."""
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        """Never migrate an import source."""
        return False if is_import_alias(db) else None
