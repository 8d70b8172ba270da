"""Entities stored with Pony ORM 0.7.17+."""

from __future__ import annotations

import logging
import sys
import typing as t
import uuid

from flask import g, got_request_exception, has_request_context

from ..errors import ConfigurationError
from .base import EntityBackend, EntityStoreError, PrimaryKey, require_package

if t.TYPE_CHECKING:
    from flask import Flask, Response

logger = logging.getLogger(__name__)

#: Set on ``g`` while a ``db_session`` this backend entered is open.
_OWNED_SESSION = "_jwt_router_pony_session"


class PonyBackend(EntityBackend):
    """Loads entities with ``Entity.get(<primary key>=id)``.

    Pony needs a ``db_session``. When the guard runs outside one, the backend
    enters Pony's ``db_session`` and keeps it open until the request ends, so
    the entity on ``g`` stays fully usable in the view (relationships
    included). This is the session ``pony.flask`` opens too, so both can be
    used together in any order. A ``with db_session:`` in a view joins it: its
    changes are committed when the response is ready, or rolled back when the
    view raises an exception that Flask answers with a 500.

    :raises BackendNotInstalled: when Pony is not installed.
    """

    name = "pony"

    def __init__(self) -> None:
        require_package("pony", "Pony", "pony")

    def handles(self, model: object) -> bool:
        # A Pony entity can only exist once Pony is imported.
        core = sys.modules.get("pony.orm.core")

        if core is None:
            return False

        # ``db.Entity``, the base class, is no entity of its own.
        return isinstance(model, core.EntityMeta) and hasattr(model, "_pk_attrs_")

    def table_name(self, model: t.Any) -> str:
        table = model._table_

        if table is None:
            provider = model._database_.provider

            if provider is None:
                raise ConfigurationError(
                    f"Pony entity {model.__name__} has no _table_ and its database"
                    " is not bound, so its table name is not known yet. Call"
                    " db.bind(...) (and db.generate_mapping()) before setting up"
                    " flask-jwt-router, or give the entity a _table_."
                )

            # What generate_mapping() will choose: it depends on the provider
            # (PostgreSQL lower-cases entity names).
            table = provider.get_default_entity_table_name(model)

        if isinstance(table, tuple):  # (schema, table)
            table = table[-1]

        return str(table)

    def primary_key(self, model: t.Any) -> PrimaryKey:
        attrs = model._pk_attrs_

        if len(attrs) != 1:
            names = ", ".join(attr.name for attr in attrs)
            raise ConfigurationError(
                f"{model.__name__} has a composite primary key ({names});"
                " flask-jwt-router needs a single-column key to name an entity"
                " in a token. Give the entity a single PrimaryKey attribute."
            )

        attr = attrs[0]
        return PrimaryKey(attr.column or attr.name, _python_type(model, attr))

    def init_app(self, app: Flask) -> None:
        got_request_exception.connect(_leave_session_on_error, app, weak=False)
        app.after_request(_leave_session_after)
        app.teardown_request(_leave_session_at_teardown)

    def check_model(self, model: t.Any) -> None:
        """Fail at startup when the entity's database is not mapped."""
        if model._database_.schema is None:
            raise ConfigurationError(
                f"The database of Pony entity {model.__name__} has no mapping yet."
                " Call db.bind(...) and db.generate_mapping() before the app"
                " serves its first request."
            )

    def load(self, model: t.Any, entity_id: object) -> object | None:
        from pony.orm import core

        if core.local.db_session is not None:
            return _get(model, entity_id)

        if not has_request_context():
            with core.db_session:
                return _get(model, entity_id)

        core.db_session.__enter__()
        setattr(g, _OWNED_SESSION, True)
        return _get(model, entity_id)


def _get(model: t.Any, entity_id: object) -> object | None:
    from pony.orm import dbapiprovider

    try:
        entity: object | None = model.get(**{model._pk_attrs_[0].name: entity_id})
        return entity
    except ValueError:
        # Pony checks a value against its column before querying (an id beyond
        # the range of a 32-bit column, for example): no row can have it.
        return None
    except dbapiprovider.DataError:
        # The database refused the value: no row can have it either.
        _rollback()
        return None
    except dbapiprovider.DBException as error:
        _rollback()
        logger.error("Loading %s failed: %s", model.__name__, error)
        raise EntityStoreError(type(error).__name__) from None


def _python_type(model: t.Any, attr: t.Any) -> type:
    from pony.orm import core

    python_type = attr.py_type

    # A primary key that is a relationship holds the other entity's key.
    while isinstance(python_type, core.EntityMeta):
        target = python_type._pk_attrs_

        if len(target) != 1:
            raise ConfigurationError(
                f"{model.__name__}.{attr.name} refers to {python_type.__name__},"
                " whose primary key is composite; flask-jwt-router needs a"
                " single-column key."
            )

        python_type = target[0].py_type

    for accepted in (int, str, uuid.UUID):
        if isinstance(python_type, type) and issubclass(python_type, accepted):
            return accepted

    raise ConfigurationError(
        f"{model.__name__}.{attr.name} is of type {python_type!r}; an entity's"
        " primary key must be int, str or uuid.UUID."
    )


def _leave_session_on_error(
    sender: Flask, exception: BaseException, **extra: object
) -> None:
    # The view (or a hook) raised and Flask is about to answer 500: roll back,
    # as leaving ``with db_session:`` with an exception does.
    _leave_session(exception)


def _leave_session_after(response: Response) -> Response:
    # Committing before the response is sent lets a failed commit become a
    # 500, rather than a success the client should not believe.
    _leave_session(None)
    return response


def _leave_session_at_teardown(error: BaseException | None) -> None:
    # Only finds the session still open when no response could be made.
    _leave_session(error)


def _leave_session(error: BaseException | None) -> None:
    if not g.pop(_OWNED_SESSION, None):
        return

    from pony.orm import db_session

    if error is None:
        db_session.__exit__()
    else:
        db_session.__exit__(type(error), error, error.__traceback__)


def _rollback() -> None:
    from pony.orm import rollback

    try:
        rollback()
    except Exception:  # the connection may be gone; Pony reconnects next time
        logger.debug("Rollback after a failed entity load failed too.")
