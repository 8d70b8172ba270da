"""Entities stored with Peewee 3.17+ or 4.x."""

from __future__ import annotations

import logging
import sys
import typing as t
import uuid

from ..errors import ConfigurationError
from .base import EntityBackend, EntityStoreError, PrimaryKey, require_package

logger = logging.getLogger(__name__)

#: ``field_type`` values of Peewee's built-in fields, for fields of other
#: classes (a custom field over a built-in column type).
_FIELD_TYPES: dict[str, type] = {
    "AUTO": int,
    "BIGAUTO": int,
    "INT": int,
    "BIGINT": int,
    "SMALLINT": int,
    "CHAR": str,
    "VARCHAR": str,
    "TEXT": str,
    "UUID": uuid.UUID,
    "UUIDB": uuid.UUID,
}


class PeeweeBackend(EntityBackend):
    """Loads entities with ``Model.get_or_none(<primary key> == id)``.

    Each model is loaded through its own ``Meta.database``. When that
    database's connection is closed as the guard runs (the app opens one per
    request after the guard, as ``FlaskDB`` does, or it turned ``autoconnect``
    off), the backend opens it for the load and closes it again, so the app
    finds the connection as it left it.

    :raises BackendNotInstalled: when Peewee is not installed.
    """

    name = "peewee"

    def __init__(self) -> None:
        require_package("peewee", "Peewee", "peewee")

    def handles(self, model: object) -> bool:
        # A Peewee model can only exist once Peewee is imported.
        peewee = sys.modules.get("peewee")

        if peewee is None:
            return False

        return isinstance(model, type) and issubclass(model, peewee.Model)

    def table_name(self, model: t.Any) -> str:
        return str(model._meta.table_name)

    def primary_key(self, model: t.Any) -> PrimaryKey:
        import peewee

        field = model._meta.primary_key

        if isinstance(field, peewee.CompositeKey):
            names = ", ".join(field.field_names)
            raise ConfigurationError(
                f"{model.__name__} has a composite primary key ({names});"
                " flask-jwt-router needs a single-column key to name an entity"
                " in a token. Give the model a single surrogate key field."
            )

        if not isinstance(field, peewee.Field):
            raise ConfigurationError(
                f"{model.__name__} has no primary key (Meta.primary_key = False);"
                " flask-jwt-router needs one to name an entity in a token."
            )

        return PrimaryKey(field.column_name, _python_type(model, field))

    def check_model(self, model: t.Any) -> None:
        """Fail at startup when ``model`` has no usable database."""
        import peewee

        database = model._meta.database
        name = model.__name__

        if database is None:
            raise ConfigurationError(
                f"Peewee model {name} has no database: set Meta.database on it or"
                " on its base model."
            )

        if isinstance(database, peewee.Proxy) and database.obj is None:
            raise ConfigurationError(
                f"The DatabaseProxy of Peewee model {name} is not initialised:"
                " call proxy.initialize(database) before the app serves its first"
                " request."
            )

        if getattr(database, "deferred", False):
            raise ConfigurationError(
                f"The database of Peewee model {name} was created without a name"
                " and is not initialised: call database.init(...) before the app"
                " serves its first request."
            )

    def load(self, model: t.Any, entity_id: object) -> object | None:
        import peewee

        database = model._meta.database
        opened_here = database.is_closed()

        try:
            if opened_here:
                database.connect()

            entity: object | None = model.get_or_none(
                model._meta.primary_key == entity_id
            )
            return entity
        except peewee.DataError:
            # The database refused the value (not a UUID for a UUID column,
            # out of range...): no row can have it.
            return None
        except (peewee.DatabaseError, peewee.InterfaceError) as error:
            logger.error("Loading %s failed: %s", model.__name__, error)

            if not opened_here:
                _discard_connection(database)

            raise EntityStoreError(type(error).__name__) from None
        finally:
            if opened_here:
                _close_quietly(database)


def _python_type(model: t.Any, field: t.Any) -> type:
    import peewee

    while isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field

    if isinstance(field, peewee.IntegerField):
        return int

    if isinstance(field, peewee.UUIDField | peewee.BinaryUUIDField):
        return uuid.UUID

    if isinstance(field, peewee.CharField | peewee.FixedCharField | peewee.TextField):
        return str

    python_type = _FIELD_TYPES.get(str(field.field_type).upper())

    if python_type is None:
        raise ConfigurationError(
            f"{model.__name__}.{field.name} is a {type(field).__name__}; an entity's"
            " primary key must be an integer, string or UUID field."
        )

    return python_type


def _discard_connection(database: t.Any) -> None:
    # The connection failed under the app; close it so that the next request
    # connects again rather than failing on the same dead connection.
    if database.in_transaction():
        return

    _close_quietly(database)


def _close_quietly(database: t.Any) -> None:
    try:
        database.close()
    except Exception:  # a broken connection may fail to close; it is dropped anyway
        logger.debug("Closing the Peewee connection after a load failed.")
