"""Per-view and per-blueprint route rules, beside the config lists.

Each decorator leaves a mark on the view function, the view class or the
blueprint and returns it unchanged; the route policy reads the marks when it
compiles the app's rules before the first request. So the decorator may sit
above or below ``@app.route``, and marks added after the app has started
serving requests are not seen.
"""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Blueprint

from .errors import UsageError
from .routing import MARKS_ATTR, Access
from .settings import HTTP_METHODS

_T = t.TypeVar("_T")


class RouteDecorator(t.Protocol):
    """What the decorators return when called with options: it marks a view
    function, a view class or a blueprint and returns it unchanged."""

    def __call__(self, target: _T, /) -> _T: ...


@dataclasses.dataclass(frozen=True)
class Mark:
    """What one decorator says about a view or a blueprint."""

    #: ``None`` when the decorator only limits which entities may come.
    access: Access | None
    #: Table names whose tokens may use the route; ``None``: any entity.
    entities: frozenset[str] | None
    #: The methods it applies to; ``None``: every method of the view.
    methods: frozenset[str] | None
    #: How the route map names it, such as ``"@public"``.
    label: str


@t.overload
def public(target: _T, /) -> _T: ...
@t.overload
def public(*, methods: t.Iterable[str] | None = None) -> RouteDecorator: ...
def public(target: t.Any = None, /, *, methods: t.Iterable[str] | None = None) -> t.Any:
    """Let a view, view class or blueprint be used without a token.

    ``@public`` on its own covers every method of the view;
    ``@public(methods=["GET"])`` covers only those named.

    .. versionadded:: 1.0
    """
    return _decorate(target, Access.PUBLIC, None, methods, "@public")


@t.overload
def ignored(target: _T, /) -> _T: ...
@t.overload
def ignored(*, methods: t.Iterable[str] | None = None) -> RouteDecorator: ...
def ignored(
    target: t.Any = None, /, *, methods: t.Iterable[str] | None = None
) -> t.Any:
    """Leave a view, view class or blueprint alone, as ``IGNORED_ROUTES`` does.

    The library reads no token there and sets nothing on ``g``.

    .. versionadded:: 1.0
    """
    return _decorate(target, Access.IGNORED, None, methods, "@ignored")


@t.overload
def optional(target: _T, /) -> _T: ...
@t.overload
def optional(
    *, lenient: bool = False, methods: t.Iterable[str] | None = None
) -> RouteDecorator: ...
def optional(
    target: t.Any = None,
    /,
    *,
    lenient: bool = False,
    methods: t.Iterable[str] | None = None,
) -> t.Any:
    """Make the token optional on a view, view class or blueprint.

    With a valid token the entity is loaded as on a protected route; without
    one the view runs anonymously (:func:`~flask_jwt_router.current_identity`
    returns ``None``). A token that is sent but refused (expired, forged, of
    an unknown entity) still gets the client a 401, unless ``lenient=True``:
    then the view runs anonymously instead. A failing entity store is a 503
    either way.

    .. versionadded:: 1.0
    """
    if not isinstance(lenient, bool):
        raise UsageError(
            f"@optional(lenient=...) takes True or False, got {lenient!r}."
        )

    if lenient:
        return _decorate(
            target,
            Access.OPTIONAL_LENIENT,
            None,
            methods,
            "@optional(lenient=True)",
        )

    return _decorate(target, Access.OPTIONAL, None, methods, "@optional")


def entity_scope(
    *table_names: str, methods: t.Iterable[str] | None = None
) -> RouteDecorator:
    """Let only tokens of the given entity tables use a view or blueprint.

    A valid token of another table gets 403 ``insufficient_scope``
    (RFC 6750, section 3.1). On its own it makes the route protected;
    combined with :func:`optional` anonymous requests still run the view.
    Scopes from a view and its blueprints combine: only tables named by all
    of them may come.

    :param table_names: table names of registered entity models, checked
        before the first request.

    .. versionadded:: 1.0
    """
    if not table_names or not all(
        isinstance(name, str) and name for name in table_names
    ):
        raise UsageError(
            "entity_scope() takes one or more table names, such as"
            f" entity_scope('teachers'), got {table_names!r}."
        )

    label = f"@entity_scope({', '.join(map(repr, table_names))})"
    decorator: RouteDecorator = _decorate(
        None, None, frozenset(table_names), methods, label
    )
    return decorator


def _decorate(
    target: t.Any,
    access: Access | None,
    entities: frozenset[str] | None,
    methods: t.Iterable[str] | None,
    label: str,
) -> t.Any:
    mark = Mark(access, entities, _methods(methods, label), label)

    def apply(target: _T) -> _T:
        if not (callable(target) or isinstance(target, Blueprint)):
            raise UsageError(
                f"{label} decorates a view function, a view class or a"
                f" Blueprint, not {target!r}."
            )

        marks = (*getattr(target, MARKS_ATTR, ()), mark)

        try:
            setattr(target, MARKS_ATTR, marks)
        except (AttributeError, TypeError):
            raise UsageError(
                f"{label} cannot mark {target!r}; decorate the plain function"
                " that is registered as the view."
            ) from None

        return target

    if target is None:
        return apply

    return apply(target)


def _methods(methods: t.Iterable[str] | None, label: str) -> frozenset[str] | None:
    if methods is None:
        return None

    if isinstance(methods, str):
        methods = [methods]

    names = frozenset(str(method).strip().upper() for method in methods)
    unknown = sorted(names - HTTP_METHODS)

    if not names or unknown:
        raise UsageError(
            f"{label}(methods=...) takes HTTP methods such as ['GET', 'POST'],"
            f" got {sorted(names)!r}."
        )

    # HEAD follows GET, as it does for the config lists.
    if "GET" in names:
        names |= {"HEAD"}

    return names
