"""A typed view of the current request's entity and token claims."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import g, has_request_context

from . import errors
from .tokens import RESERVED_CLAIMS

_E = t.TypeVar("_E")


class ReadOnlyDict(dict[str, t.Any]):
    """A dict that refuses changes, and so still serialises as JSON."""

    def _refuse(self, *args: object, **kwargs: object) -> t.NoReturn:
        raise TypeError("the claims of a verified token are read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who the current request's token names.

    .. versionadded:: 1.0
    """

    #: The loaded entity, the object also found on ``g.<table_name>``.
    entity: t.Any
    #: The entity's table name, as carried by the token.
    table_name: str
    #: The token's id, converted to the primary key's type.
    entity_id: object
    #: Every claim of the verified token, read-only.
    claims: t.Mapping[str, t.Any]
    #: The claims given to ``create_token(claims=...)``, read-only. Both are
    #: dicts that refuse changes, so a view can return them as JSON.
    custom_claims: t.Mapping[str, t.Any]

    def entity_as(self, model: type[_E]) -> _E:
        """The entity, checked to be an instance of ``model``.

        For type checkers: ``teacher = current_identity().entity_as(Teacher)``.

        :raises UsageError: when the entity is of another type.
        """
        if not isinstance(self.entity, model):
            raise errors.UsageError(
                f"The current entity is a {type(self.entity).__name__} from"
                f" {self.table_name!r}, not a {model.__name__}."
            )

        return self.entity


@t.overload
def current_identity() -> Identity: ...
@t.overload
def current_identity(*, required: t.Literal[True]) -> Identity: ...
@t.overload
def current_identity(*, required: bool) -> Identity | None: ...
def current_identity(*, required: bool = True) -> Identity | None:
    """The entity and claims of the current request's verified token.

    On a public, ignored or optional route without a token there is none:
    with ``required=False`` this returns ``None``; otherwise it raises
    :class:`~flask_jwt_router.TokenMissing`, which Flask answers with a 401.

    :raises UsageError: outside a request.

    .. versionadded:: 1.0
    """
    from .extension import CLAIMS_ATTR, _identity, _state

    if not has_request_context():
        raise errors.UsageError(
            "current_identity() reads the current request's token; call it in a"
            " view or a request hook."
        )

    claims = g.get(CLAIMS_ATTR)

    if claims is None:
        if required:
            raise errors.TokenMissing()

        return None

    entity, entity_id = _identity(_state().ready(), claims)
    ours = RESERVED_CLAIMS.union(entity.id_claims)

    return Identity(
        entity=g.get(entity.table_name),
        table_name=entity.table_name,
        entity_id=entity_id,
        claims=ReadOnlyDict(claims),
        custom_claims=ReadOnlyDict(
            (name, value) for name, value in claims.items() if name not in ours
        ),
    )
