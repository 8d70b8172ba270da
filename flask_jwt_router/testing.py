"""Helpers for testing apps protected by flask-jwt-router.

Every helper takes either an entity (a loaded row, such as a ``User``) or
``table_name=`` and ``entity_id=``, and works in an app context of the app or
with ``app=``. The pytest fixtures built on them live in
:mod:`flask_jwt_router.pytest_plugin`.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import typing as t
import uuid
from datetime import timedelta

from flask import Flask, current_app, has_app_context

from .errors import UsageError
from .sessions import FAMILY_CLAIM, REFRESH, TYPE_CLAIM
from .tokens import check_custom_claims

if t.TYPE_CHECKING:
    from flask.testing import FlaskClient

    from .entities import Entity
    from .extension import _AppState, _Runtime

__all__ = [
    "auth_headers",
    "authenticated_client",
    "bearer",
    "expired_token",
    "forged_token",
    "make_token",
    "other_entity_token",
    "revoked_token",
    "wrong_type_token",
]


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token``.

    .. versionadded:: 1.0
    """
    return {"Authorization": f"Bearer {token}"}


def make_token(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    claims: t.Mapping[str, t.Any] | None = None,
    app: Flask | None = None,
) -> str:
    """A valid token for ``entity``, or for ``table_name`` and ``entity_id``.

    .. versionadded:: 1.0
    """
    with _context(app) as (state, runtime):
        record, key = _resolve(runtime, entity, table_name, entity_id)
        custom = check_custom_claims(claims, record.id_claims) if claims else None
        return state.ext._sign(runtime, record, key, custom=custom)


def auth_headers(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    claims: t.Mapping[str, t.Any] | None = None,
    app: Flask | None = None,
) -> dict[str, str]:
    """Request headers that authenticate as ``entity``.

    ``client.get("/me", headers=auth_headers(user))``

    .. versionadded:: 1.0
    """
    token = make_token(
        entity, table_name=table_name, entity_id=entity_id, claims=claims, app=app
    )
    return bearer(token)


def authenticated_client(
    app: Flask,
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    claims: t.Mapping[str, t.Any] | None = None,
) -> FlaskClient:
    """A test client of ``app`` that sends a token for ``entity`` with every
    request.

    .. versionadded:: 1.0
    """
    token = make_token(
        entity, table_name=table_name, entity_id=entity_id, claims=claims, app=app
    )
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def expired_token(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    app: Flask | None = None,
) -> str:
    """A correctly signed token that expired an hour ago (401 ``token_expired``).

    .. versionadded:: 1.0
    """
    with _context(app) as (state, runtime):
        record, key = _resolve(runtime, entity, table_name, entity_id)
        lifetime = -(runtime.settings.leeway + timedelta(hours=1))
        return state.ext._sign(runtime, record, key, None, lifetime)


def forged_token(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    app: Flask | None = None,
) -> str:
    """A token for ``entity`` whose signature is not the app's (401
    ``bad_signature``).

    Its header and claims are those of a valid token; only the signature is
    replaced by random bytes of the same length, whatever the algorithm.

    .. versionadded:: 1.0
    """
    token = make_token(entity, table_name=table_name, entity_id=entity_id, app=app)
    header, payload, signature = token.split(".")
    size = len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    fake = base64.urlsafe_b64encode(secrets.token_bytes(size)).rstrip(b"=")
    return f"{header}.{payload}.{fake.decode('ascii')}"


def revoked_token(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    app: Flask | None = None,
) -> str:
    """A valid token for ``entity``, revoked at once (401 ``token_revoked``).

    The token is revoked in the app's revocation store with
    :meth:`~flask_jwt_router.JwtRoutes.revoke_token`; with the in-memory
    store (the default) only this app process knows it.

    :raises UsageError: when ``JWT_ROUTER_REVOCATION_STORE`` is off.

    .. versionadded:: 1.0
    """
    with _context(app) as (state, runtime):
        record, key = _resolve(runtime, entity, table_name, entity_id)
        token = state.ext._sign(runtime, record, key)
        state.ext.revoke_token(token)
        return token


def wrong_type_token(
    entity: object = None,
    /,
    *,
    table_name: str | None = None,
    entity_id: object = None,
    app: Flask | None = None,
) -> str:
    """A valid refresh token for ``entity``, which protected routes refuse
    (401 ``wrong_token_type``): they take access tokens only.

    It is signed like one from ``create_token(..., refresh=True)`` but
    belongs to no login the store knows, so it needs no revocation store.

    .. versionadded:: 1.0
    """
    with _context(app) as (state, runtime):
        record, key = _resolve(runtime, entity, table_name, entity_id)
        kind = {FAMILY_CLAIM: uuid.uuid4().hex, TYPE_CLAIM: REFRESH}
        return state.ext._sign(runtime, record, key, kind)


def other_entity_token(
    table_name: str,
    /,
    *,
    entity_id: object = None,
    app: Flask | None = None,
) -> str:
    """A valid token of another entity table than ``table_name``.

    On a route scoped to ``table_name`` with
    :func:`~flask_jwt_router.entity_scope` it gets 403 ``insufficient_scope``.
    The token names the first other registered table, with ``entity_id`` or
    a sample id of the key's type (the row need not exist: the scope is
    checked before the entity is loaded).

    :raises UsageError: when the app registers no other entity table.

    .. versionadded:: 1.0
    """
    with _context(app) as (state, runtime):
        runtime.registry.require(table_name)
        others = [e for e in runtime.registry if e.table_name != table_name]

        if not others:
            raise UsageError(
                f"other_entity_token({table_name!r}) needs a second entity table in"
                " the app; only one is registered."
            )

        record = others[0]
        key = _sample_id(record) if entity_id is None else entity_id
        return state.ext._sign(runtime, record, key)


@contextlib.contextmanager
def _context(app: Flask | None) -> t.Iterator[tuple[_AppState, _Runtime]]:
    from .extension import _state

    if app is None and not has_app_context():
        raise UsageError(
            "flask_jwt_router.testing needs the app: pass app=app, or call it"
            " within 'with app.app_context():'."
        )

    if app is None or (has_app_context() and _current_app() is app):
        state = _state()
        yield state, state.ready()
        return

    with app.app_context():
        state = _state()
        yield state, state.ready()


def _current_app() -> Flask:
    return t.cast(Flask, t.cast(t.Any, current_app)._get_current_object())


def _resolve(
    runtime: _Runtime,
    entity: object,
    table_name: str | None,
    entity_id: object,
) -> tuple[Entity, object]:
    if entity is None:
        if table_name is None or entity_id is None:
            raise UsageError(
                "Pass an entity, or both table_name= and entity_id=, to say who"
                " the token is for."
            )

        return runtime.registry.require(table_name), entity_id

    if table_name is not None or entity_id is not None:
        raise UsageError("Pass an entity or table_name= and entity_id=, not both.")

    record = _entity_record(runtime, entity)
    key = record.backend.instance_id(record.model, entity)

    if key is None:
        raise UsageError(
            f"{entity!r} has no primary key yet; save it (for SQLAlchemy, flush"
            " or commit the session) before making a token for it."
        )

    return record, key


def _entity_record(runtime: _Runtime, entity: object) -> Entity:
    # The most specific model wins, for models that inherit from one another.
    for cls in type(entity).__mro__:
        for record in runtime.registry:
            if record.model is cls:
                return record

    known = ", ".join(runtime.registry.table_names) or "none"
    raise UsageError(
        f"{type(entity).__name__} is not a registered entity model (tables:"
        f" {known}); pass table_name= and entity_id= instead."
    )


def _sample_id(record: Entity) -> object:
    python_type = record.key.python_type

    if issubclass(python_type, uuid.UUID):
        return uuid.UUID(int=1)

    if issubclass(python_type, str):
        return "1"

    return 1
