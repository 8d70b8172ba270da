"""Entities that live in no ORM: a table name and a function from id to object."""

from __future__ import annotations

import typing as t
import uuid

from ..errors import ConfigurationError
from .base import (
    EntityBackend,
    IdConverter,
    InvalidEntityId,
    PrimaryKey,
    call_maybe_async,
    converter_for,
    is_async_callable,
    require_async_support,
    to_int,
    to_str,
)

#: A function that returns the entity with a given id, or ``None``.
Loader = t.Callable[[t.Any], object]

_ID_TYPES = (int, str, uuid.UUID)


class CallableEntity:
    """An entity table whose rows come from a function rather than an ORM.

    List it in ``entity_models`` like a model::

        clients = CallableEntity("api_clients", CLIENTS.get, id_type=str)
        JwtRoutes(app, entity_models=[User, clients])

    :param table_name: the table name tokens carry, and the name of the
        entity on ``g``.
    :param load: called with the token's id, already converted to
        ``id_type``; returns the entity, or ``None`` when there is none. A
        ``LookupError`` (such as ``KeyError``) it raises also means "none";
        raising :class:`~flask_jwt_router.EntityStoreError` answers 503. It
        may be ``async def``: it then runs to completion through asgiref
        (``pip install 'flask-jwt-router[async]'``), as Flask runs async
        views.
    :param id_type: ``int``, ``str`` or ``uuid.UUID``: the id is converted to
        it before ``load`` is called, and a token whose id does not convert is
        refused. Without it, ``load`` receives the id as the token holds it, an
        integer or a string, and anything else is refused.
    :param key: the claim that carries the id in new tokens, like a primary
        key column's name.

    Calling the object calls ``load``.

    .. versionadded:: 1.0
    """

    def __init__(
        self,
        table_name: str,
        load: Loader,
        *,
        id_type: type | None = None,
        key: str = "id",
    ) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise ConfigurationError(
                f"CallableEntity(table_name=...) must be a non-empty string, got"
                f" {table_name!r}."
            )

        if not callable(load):
            raise ConfigurationError(
                f"CallableEntity({table_name!r}, load) needs a function from an id"
                f" to the entity, got {load!r}."
            )

        if id_type is not None and id_type not in _ID_TYPES:
            raise ConfigurationError(
                f"CallableEntity({table_name!r}, id_type=...) must be int, str or"
                f" uuid.UUID (or left out), got {id_type!r}."
            )

        if not isinstance(key, str) or not key:
            raise ConfigurationError(
                f"CallableEntity({table_name!r}, key=...) must be a non-empty"
                f" string naming the id claim, got {key!r}."
            )

        self.table_name = table_name
        self.load = load
        self.id_type = id_type
        self.key = key
        self.__name__ = getattr(load, "__name__", table_name)
        self.__doc__ = getattr(load, "__doc__", None)

    def __call__(self, entity_id: t.Any) -> object:
        return self.load(entity_id)

    def __repr__(self) -> str:
        return f"CallableEntity({self.table_name!r}, {self.__name__})"


def entity_loader(
    table_name: str, *, id_type: type | None = None, key: str = "id"
) -> t.Callable[[Loader], CallableEntity]:
    """Declare a :class:`CallableEntity` with a decorator::

        @entity_loader("api_clients", id_type=str, key="client_id")
        def api_client(client_id):
            return CLIENTS.get(client_id)

        JwtRoutes(app, entity_models=[User, api_client])

    The arguments are those of :class:`CallableEntity`. The decorated name
    becomes the entity, and calling it still calls the function.

    .. versionadded:: 1.0
    """

    def decorator(load: Loader) -> CallableEntity:
        return CallableEntity(table_name, load, id_type=id_type, key=key)

    return decorator


class CallableBackend(EntityBackend):
    """Serves :class:`CallableEntity` declarations; needs no ORM."""

    name = "callables"

    def handles(self, model: object) -> bool:
        return isinstance(model, CallableEntity)

    def table_name(self, model: t.Any) -> str:
        return t.cast(str, model.table_name)

    def primary_key(self, model: t.Any) -> PrimaryKey:
        return PrimaryKey(model.key, model.id_type or object)

    def id_converter(self, model: t.Any) -> IdConverter:
        if model.id_type is None:
            return _to_scalar

        return converter_for(model.id_type)

    def check_model(self, model: t.Any) -> None:
        if is_async_callable(model.load):
            require_async_support(f"The loader of {model.table_name!r}")

    def load(self, model: t.Any, entity_id: object) -> object | None:
        # An async loader, or one returning an awaitable, is awaited here: its
        # coroutine must never pass for an entity found.
        try:
            found: object | None = call_maybe_async(model.load, entity_id)
            return found
        except LookupError:
            return None


def _to_scalar(value: object) -> object:
    """Accept an integer or a string id as it is, and nothing else."""
    if isinstance(value, str):
        return to_str(value)

    if isinstance(value, int) and not isinstance(value, bool):
        return to_int(value)

    raise InvalidEntityId("not an integer or string id")
