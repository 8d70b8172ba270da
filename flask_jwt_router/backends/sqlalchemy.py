"""Entities stored with SQLAlchemy 2.x, plain or through Flask-SQLAlchemy 3.x."""

from __future__ import annotations

import logging
import sys
import typing as t

from flask import current_app, g

from ..errors import ConfigurationError
from .base import EntityBackend, EntityStoreError, PrimaryKey, require_package

if t.TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

#: Where a session this backend opened itself is kept for one app context.
_OWNED_SESSION = "_jwt_router_sqlalchemy_session"


class SQLAlchemyBackend(EntityBackend):
    """Loads entities with ``session.get(Model, id)``.

    The session is, in this order: the ``session`` given here (a ``Session``,
    a ``scoped_session``, or a factory such as ``sessionmaker`` from which one
    session per request is opened and closed); Flask-SQLAlchemy's
    ``db.session`` when the app uses it; the session behind the model's
    ``query`` property (``scoped_session.query_property()``).

    A ``Session`` or ``scoped_session`` stays the app's: the backend never
    closes it, so the app ends it after each request (``Session.remove()`` in
    ``teardown_appcontext``, as usual), or a row deleted meanwhile may still be
    found in its identity map. A session opened from a factory is closed at
    the end of each request.
    """

    name = "sqlalchemy"

    def __init__(self, session: t.Any = None) -> None:
        require_package("sqlalchemy", "SQLAlchemy", "sqlalchemy")
        self._session = session
        self._factory = session is not None and not hasattr(session, "get")

    def handles(self, model: object) -> bool:
        # A SQLAlchemy model can only exist once SQLAlchemy is imported.
        if "sqlalchemy" not in sys.modules:
            return False

        from sqlalchemy import inspect
        from sqlalchemy.orm import Mapper

        return isinstance(inspect(model, raiseerr=False), Mapper)

    def table_name(self, model: t.Any) -> str:
        return str(_mapper(model).local_table.name)

    def primary_key(self, model: t.Any) -> PrimaryKey:
        columns = _mapper(model).primary_key

        if len(columns) != 1:
            names = ", ".join(column.name for column in columns) or "none"
            raise ConfigurationError(
                f"{model.__name__} has a composite primary key ({names});"
                " flask-jwt-router needs a single-column key to name an entity"
                " in a token. Give the model a single surrogate key column."
            )

        column = columns[0]

        try:
            python_type = column.type.python_type
        except NotImplementedError:
            raise ConfigurationError(
                f"{model.__name__}.{column.name} is of type {column.type!r}, whose"
                " Python type SQLAlchemy does not report; use an integer, string"
                " or UUID primary key."
            ) from None

        return PrimaryKey(column.name, python_type)

    def instance_id(self, model: t.Any, instance: object) -> object:
        # The attribute may be named differently from the column.
        return _mapper(model).primary_key_from_instance(instance)[0]

    def init_app(self, app: Flask) -> None:
        if self._factory:
            # Per request, even when an app context outlives it (as in tests);
            # and per app context, for loads made outside a request.
            app.teardown_request(_close_owned_session)
            app.teardown_appcontext(_close_owned_session)

    def check_model(self, model: t.Any) -> None:
        """Fail at startup when no session can be found for ``model``."""
        if self._session is not None or "sqlalchemy" in current_app.extensions:
            return

        if getattr(model, "query", None) is None:
            raise ConfigurationError(
                f"No SQLAlchemy session found for {model.__name__}. Pass one:"
                " JwtRoutes(app, entity_models=[...], session=Session) with a"
                " Session, scoped_session or sessionmaker; or set up"
                " Flask-SQLAlchemy; or give the model a query property"
                " (Model.query = Session.query_property())."
            )

    def load(self, model: t.Any, entity_id: object) -> object | None:
        from sqlalchemy import exc

        session = self._session_for(model)

        try:
            return session.get(model, entity_id)
        except exc.DataError:
            # The database refused the value (out of range for the column, for
            # example): no row can have it.
            _rollback(session)
            return None
        except exc.StatementError as error:
            _rollback(session)

            if isinstance(error, exc.DBAPIError):
                logger.error("Loading %s failed: %s", model.__name__, error.orig)
                raise EntityStoreError(type(error.orig).__name__) from None

            return None
        except exc.SQLAlchemyError as error:
            _rollback(session)
            logger.error("Loading %s failed: %s", model.__name__, error)
            raise EntityStoreError(type(error).__name__) from None

    def _session_for(self, model: t.Any) -> Session:
        if self._session is not None and not self._factory:
            return t.cast("Session", self._session)

        if self._factory:
            return _owned_session(self._session)

        flask_sqlalchemy = current_app.extensions.get("sqlalchemy")

        if flask_sqlalchemy is not None:
            return t.cast("Session", flask_sqlalchemy.session)

        return t.cast("Session", model.query.session)


def _mapper(model: t.Any) -> t.Any:
    from sqlalchemy import inspect

    return inspect(model)


def _owned_session(factory: t.Callable[[], Session]) -> Session:
    session = g.get(_OWNED_SESSION)

    if session is None:
        session = factory()
        setattr(g, _OWNED_SESSION, session)

    return t.cast("Session", session)


def _close_owned_session(exc: BaseException | None) -> None:
    session = g.pop(_OWNED_SESSION, None)

    if session is not None:
        session.close()


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # the connection may be gone; the next request reconnects
        logger.debug("Rollback after a failed entity load failed too.")
