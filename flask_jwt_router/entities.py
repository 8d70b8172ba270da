"""The registry of entity models: table name to model, key and backend."""

from __future__ import annotations

import dataclasses
import typing as t

from .backends.base import EntityBackend, IdConverter, PrimaryKey, package_available
from .errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class Entity:
    """Everything the guard needs about one entity model, worked out once."""

    table_name: str
    model: t.Any
    backend: EntityBackend
    key: PrimaryKey
    convert: IdConverter
    #: Claim names that may carry the id, in the order they are read.
    id_claims: tuple[str, ...]

    def load(self, entity_id: object) -> object | None:
        return self.backend.load(self.model, entity_id)


def default_backends() -> list[EntityBackend]:
    """New instances of the built-in backends, in the order they are asked.

    A backend whose ORM is not installed is left out: no model of it can
    exist. Nothing here imports an ORM.
    """
    from .backends.callables import CallableBackend

    backends: list[EntityBackend] = []

    if package_available("sqlalchemy"):
        from .backends.sqlalchemy import SQLAlchemyBackend

        backends.append(SQLAlchemyBackend())

    if package_available("peewee"):
        from .backends.peewee import PeeweeBackend

        backends.append(PeeweeBackend())

    if package_available("pony"):
        from .backends.pony import PonyBackend

        backends.append(PonyBackend())

    backends.append(CallableBackend())

    return backends


class EntityRegistry:
    """Maps the table names found in tokens to entity models of one app."""

    def __init__(
        self,
        models: t.Iterable[t.Any],
        backends: t.Sequence[EntityBackend],
        entity_key: str,
    ) -> None:
        self._entities: dict[str, Entity] = {}
        seen: set[int] = set()

        for model in models:
            if id(model) in seen:
                continue

            seen.add(id(model))
            entity = _describe(model, backends, entity_key)
            other = self._entities.get(entity.table_name)

            if other is not None:
                raise ConfigurationError(
                    f"Entity models {_name(other.model)} and {_name(model)} both"
                    f" have the table name {entity.table_name!r}; tokens could not"
                    " tell them apart. List only one of them in ENTITY_MODELS."
                )

            self._entities[entity.table_name] = entity

    def get(self, table_name: object) -> Entity | None:
        if not isinstance(table_name, str):
            return None

        return self._entities.get(table_name)

    def require(self, table_name: str | None) -> Entity:
        """Return the entity for ``table_name`` or raise a usage error."""
        entity = self.get(table_name)

        if entity is None:
            known = ", ".join(repr(name) for name in self._entities) or "none"
            raise ConfigurationError(
                f"table_name={table_name!r} is not a registered entity table"
                f" (known: {known}). Pass the model in entity_models= or"
                " ENTITY_MODELS, and use its table name."
            )

        return entity

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self._entities)

    def __iter__(self) -> t.Iterator[Entity]:
        return iter(self._entities.values())


def _describe(
    model: t.Any, backends: t.Sequence[EntityBackend], entity_key: str
) -> Entity:
    backend = next((b for b in backends if b.handles(model)), None)

    if backend is None:
        raise ConfigurationError(_unhandled(model, backends))

    table_name = backend.table_name(model)

    if not isinstance(table_name, str) or not table_name:
        raise ConfigurationError(
            f"The {backend.name} backend found no table name for {_name(model)};"
            " give the model one (for SQLAlchemy, __tablename__)."
        )

    key = backend.primary_key(model)
    id_claims = tuple(dict.fromkeys((key.name, entity_key, "sub")))

    try:
        convert = backend.id_converter(model)
    except TypeError as exc:
        raise ConfigurationError(
            f"{_name(model)}.{key.name} cannot name an entity in a token ({exc});"
            " use an integer, string or UUID primary key."
        ) from exc

    return Entity(
        table_name=table_name,
        model=model,
        backend=backend,
        key=key,
        convert=convert,
        id_claims=id_claims,
    )


def _name(model: t.Any) -> str:
    return getattr(model, "__name__", repr(model))


def _unhandled(model: t.Any, backends: t.Sequence[EntityBackend]) -> str:
    tried = ", ".join(b.name for b in backends) or "none"

    if isinstance(model, type):
        what = f"{model.__name__} (from module {model.__module__})"
    else:
        what = repr(model)

    message = (
        f"No entity backend handles {what}, listed in entity_models or"
        f" ENTITY_MODELS; backends tried, in order: {tried}."
    )

    if isinstance(model, str):
        return (
            f"{message} entity_models takes model classes, not table names:"
            " pass the class itself."
        )

    if not isinstance(model, type) and any(b.handles(type(model)) for b in backends):
        return f"{message} It is an instance; pass its class, {_name(type(model))}."

    return (
        f"{message} Pass a mapped SQLAlchemy class, a Peewee model, a Pony entity"
        " or a flask_jwt_router.CallableEntity; an ORM that is not installed is"
        " not tried (pip install flask-jwt-router[peewee], for example). For"
        " anything else, give your own backend:"
        " JwtRoutes(app, backends=[MyBackend()])."
    )
