"""The Flask extension: setup, the per-request guard and the token methods."""

from __future__ import annotations

import dataclasses
import threading
import typing as t
from datetime import timedelta

from flask import Flask, Response, current_app, g, has_request_context, request

from . import errors
from .backends.base import EntityBackend, EntityStoreError, InvalidEntityId
from .entities import Entity, EntityRegistry, default_backends
from .routing import OPEN, OPTIONAL_TOKEN, Access, RoutePolicy, warn_unmatched
from .settings import Settings, build_settings, check_secret_key
from .tokens import RESERVED_CLAIMS, TokenCodec, check_custom_claims, new_claims
from .transport import read_token

EXTENSION_KEY = "flask_jwt_router"

#: Where the verified claims of the current request are kept on ``g``.
CLAIMS_ATTR = "_jwt_router_claims"


@dataclasses.dataclass(frozen=True)
class _Runtime:
    """What the guard and the token methods use for one app, built once."""

    settings: Settings
    policy: RoutePolicy
    codec: TokenCodec
    registry: EntityRegistry
    #: Names this library may set on ``g``; cleared at every request.
    g_names: tuple[str, ...]


class _AppState:
    """Kept in ``app.extensions["flask_jwt_router"]``.

    ``init_app`` checks what it can; the rest is built before the first
    request, so that config set after ``init_app`` (as app factories do) is
    honoured.
    """

    def __init__(self, ext: JwtRoutes, app: Flask, models: list[t.Any]) -> None:
        self.ext = ext
        self.app = app
        self.models = models
        self.runtime: _Runtime | None = None
        self._lock = threading.Lock()

    def ready(self) -> _Runtime:
        """Finish setting up, once; safe to call from many threads."""
        runtime = self.runtime

        if runtime is None:
            with self._lock:
                runtime = self.runtime or self._build()
                self.runtime = runtime

        return runtime

    def _build(self) -> _Runtime:
        settings = build_settings(self.app.config)
        registry = EntityRegistry(self.models, self.ext._backends, settings.entity_key)

        with self.app.app_context():
            for entity in registry:
                entity.backend.check_model(entity.model)

        policy = RoutePolicy(
            self.app,
            settings.white_list,
            settings.ignored,
            entity_tables=registry.table_names,
        )
        warn_unmatched(policy)

        return _Runtime(
            settings=settings,
            policy=policy,
            codec=TokenCodec(settings),
            registry=registry,
            g_names=(CLAIMS_ATTR, *registry.table_names),
        )

    def respond(self, error: errors.AuthError) -> Response:
        """Build the response for a refusal, with the app's handler if any."""
        handler = self.ext._error_handler

        if handler is not None:
            return handler(error)

        realm = self.runtime.settings.realm if self.runtime else "api"
        return errors.default_error_response(error, realm)


class JwtRoutes:
    """Protects every route of a Flask app with JSON Web Tokens.

    ``JwtRoutes(app, entity_models=[User])`` or, for app factories,
    ``jwt_routes = JwtRoutes()`` then ``jwt_routes.init_app(app, ...)``.

    :param entity_models: models whose rows tokens may name; combined with
        ``ENTITY_MODELS`` from the app's config.
    :param session: a SQLAlchemy ``Session``, ``scoped_session`` or
        ``sessionmaker`` for loading entities, when the app does not use
        Flask-SQLAlchemy or ``Model.query``.
    :param backends: entity backends asked before the built-in ones.
    """

    def __init__(
        self,
        app: Flask | None = None,
        entity_models: t.Iterable[t.Any] | None = None,
        *,
        session: t.Any = None,
        backends: t.Iterable[EntityBackend] = (),
    ) -> None:
        self._entity_models = list(entity_models or ())
        self._backends = self._build_backends(backends, session)
        self._expires: timedelta | None = None
        self._error_handler: errors.ErrorHandler | None = None

        if app is not None:
            self.init_app(app)

    @staticmethod
    def _build_backends(
        custom: t.Iterable[EntityBackend], session: t.Any
    ) -> list[EntityBackend]:
        backends = list(custom)

        for backend in default_backends():
            if session is not None and backend.name == "sqlalchemy":
                from .backends.sqlalchemy import SQLAlchemyBackend

                backend = SQLAlchemyBackend(session=session)

            backends.append(backend)

        return backends

    def init_app(
        self, app: Flask, entity_models: t.Iterable[t.Any] | None = None
    ) -> None:
        """Protect ``app``.

        :raises ConfigurationError: when ``SECRET_KEY`` is not set, or a model
            cannot serve as an entity.
        """
        if EXTENSION_KEY in app.extensions:
            raise errors.ConfigurationError(
                "flask-jwt-router is already set up on this app; call init_app"
                " once per app."
            )

        check_secret_key(app.config)
        models = [
            *self._entity_models,
            *(entity_models or ()),
            *(app.config.get("ENTITY_MODELS") or ()),
        ]
        # Checks the models now; they are read again before the first request
        # in case ENTITY_MODELS changes in between.
        EntityRegistry(models, self._backends, "id")

        for backend in self._backends:
            backend.init_app(app)

        from .cli import jwt_router_cli

        app.cli.add_command(jwt_router_cli)
        state = _AppState(self, app, models)
        app.extensions[EXTENSION_KEY] = state
        app.before_request_funcs.setdefault(None, []).insert(0, _make_guard(state))

    # -- tokens ------------------------------------------------------------

    def create_token(
        self,
        entity_id: object = None,
        table_name: str | None = None,
        *,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> str:
        """Return a signed token naming the row ``entity_id`` of ``table_name``.

        Works in any app context of an app this extension protects.

        :param claims: custom claims to carry in the token, read back in the
            view with :func:`~flask_jwt_router.current_identity`. Their names
            may not be the library's own (``tokens.RESERVED_CLAIMS``) or the
            entity's id claim, and their values must be JSON.

        .. versionchanged:: 1.0
            Added ``claims``.
        """
        if entity_id is None:
            raise errors.UsageError(
                "create_token() needs entity_id=, the primary key of the row the"
                " token stands for."
            )

        if table_name is None:
            raise errors.UsageError(
                "create_token() needs table_name=, the table of the entity model"
                " (for example table_name='users')."
            )

        runtime = _state().ready()
        entity = runtime.registry.require(table_name)
        return self._sign(runtime, entity, entity_id, claims)

    def update_token(self, entity_id: object = None) -> str:
        """Return a fresh token for the entity of the current request's token.

        On a public route the request's token is verified here; a bad one gets
        the client the same 401 as on a protected route. Custom claims of the
        request's token are carried over to the new one.

        :raises UsageError: when the request carried no token, or
            ``entity_id`` is not the id in that token.
        """
        runtime = _state().ready()
        claims, entity, token_id = _request_identity(runtime)

        if entity_id is not None and _convert(entity, entity_id) != token_id:
            raise errors.UsageError(
                "update_token(entity_id=...) was given an id that is not the one in"
                " the request's token; use create_token() to issue a token for"
                " another entity."
            )

        carried = {
            name: value
            for name, value in claims.items()
            if name not in RESERVED_CLAIMS and name not in entity.id_claims
        }
        return self._sign(runtime, entity, token_id, carried)

    def encode_token(self, entity_id: object) -> str:
        """Same as :meth:`update_token`, with the id as a positional argument."""
        return self.update_token(entity_id)

    def set_exp(self, expire_days: float = 30) -> None:
        """Set the lifetime of the tokens this extension creates, in days.

        It wins over ``JWT_EXPIRE_DAYS``; ``set_exp()`` restores 30 days.
        """
        if isinstance(expire_days, bool) or not isinstance(expire_days, (int, float)):
            raise errors.ConfigurationError(
                f"set_exp(expire_days=...) takes a number of days, got {expire_days!r}."
            )

        if expire_days <= 0:
            raise errors.ConfigurationError(
                f"set_exp(expire_days=...) must be positive, got {expire_days!r}."
            )

        self._expires = timedelta(days=expire_days)

    def error_handler(self, handler: errors.ErrorHandler) -> errors.ErrorHandler:
        """Register the function that builds the response for every refusal.

        It receives the :class:`~flask_jwt_router.AuthError` and returns a
        Flask response; use it as a decorator.
        """
        self._error_handler = handler
        return handler

    def _sign(
        self,
        runtime: _Runtime,
        entity: Entity,
        entity_id: object,
        extra: t.Mapping[str, t.Any] | None = None,
        lifetime: timedelta | None = None,
    ) -> str:
        custom = check_custom_claims(extra, entity.id_claims) if extra else {}

        try:
            key_value = entity.convert(entity_id)
        except InvalidEntityId as exc:
            raise errors.UsageError(
                f"entity_id={entity_id!r} is not a valid primary key for"
                f" {entity.table_name!r}: {exc}."
            ) from None

        expires = lifetime or self._expires or runtime.settings.expires
        claims = new_claims(
            entity.table_name, entity.key.name, key_value, expires.total_seconds()
        )
        return runtime.codec.encode({**custom, **claims})


def _state() -> _AppState:
    try:
        state = current_app.extensions[EXTENSION_KEY]
    except RuntimeError:
        raise errors.UsageError(
            "flask-jwt-router needs an app context here: call it inside a"
            " request, or within 'with app.app_context():'."
        ) from None
    except KeyError:
        raise errors.UsageError(
            "flask-jwt-router is not set up on the current app; call"
            " JwtRoutes(app) or jwt_routes.init_app(app) first."
        ) from None

    return t.cast(_AppState, state)


def _make_guard(state: _AppState) -> t.Callable[[], Response | None]:
    def guard() -> Response | None:
        runtime = state.ready()
        namespace = t.cast(t.Any, g)._get_current_object().__dict__

        # An app context kept open across requests (common in tests) must not
        # carry one request's entity into the next.
        for name in runtime.g_names:
            namespace.pop(name, None)

        rule = request.url_rule

        if rule is None:  # no rule matched: Flask answers 404 or 405
            return None

        decision = runtime.policy.decision(rule, request.method)
        access = decision.access

        if access in OPEN or access is Access.AUTOMATIC_OPTIONS:
            return None

        if access is Access.PREFLIGHT_ONLY and _is_preflight():
            return None

        try:
            claims, entity, loaded = _authenticate(runtime, decision.entities)
        except errors.AuthError as error:
            if access in OPTIONAL_TOKEN and _anonymous(access, error):
                return None

            return state.respond(error)

        namespace[CLAIMS_ATTR] = claims
        namespace[entity.table_name] = loaded
        return None

    return guard


def _authenticate(
    runtime: _Runtime, entities: t.AbstractSet[str] | None = None
) -> tuple[dict[str, t.Any], Entity, object]:
    token = read_token(request)

    if token is None:
        raise errors.TokenMissing()

    claims = runtime.codec.decode(token)
    entity, entity_id = _identity(runtime, claims)

    if entities is not None and entity.table_name not in entities:
        raise errors.InsufficientScope(scope=entities)

    try:
        loaded = entity.load(entity_id)
    except EntityStoreError:
        raise errors.EntityStoreUnavailable() from None

    if loaded is None:
        raise errors.UnknownEntity()

    return claims, entity, loaded


def _identity(runtime: _Runtime, claims: dict[str, t.Any]) -> tuple[Entity, object]:
    """The entity model and converted id a verified token names."""
    entity = runtime.registry.get(claims.get("table_name"))

    if entity is None:
        raise errors.UnknownEntity("The token names no known entity table.")

    for claim in entity.id_claims:
        if claim in claims:
            return entity, _convert(entity, claims[claim])

    raise errors.TokenInvalid("The token names no entity id.")


def _convert(entity: Entity, value: object) -> object:
    try:
        return entity.convert(value)
    except InvalidEntityId:
        raise errors.UnknownEntity("The token's entity id is not valid.") from None


def _anonymous(access: Access, error: errors.AuthError) -> bool:
    """Whether a refusal on an optional route lets the view run anonymously."""
    if isinstance(error, errors.EntityStoreUnavailable):
        return False

    return access is Access.OPTIONAL_LENIENT or isinstance(error, errors.TokenMissing)


def _request_identity(
    runtime: _Runtime,
) -> tuple[dict[str, t.Any], Entity, object]:
    """The claims, entity and id of the current request's token, verified."""
    if not has_request_context():
        raise errors.UsageError(
            "update_token() only works inside a request that carried a token;"
            " use create_token(entity_id=..., table_name=...) elsewhere."
        )

    claims = g.get(CLAIMS_ATTR)

    if claims is None:
        # A public route: nothing was verified yet, so verify it all here.
        if read_token(request) is None:
            raise errors.UsageError(
                "update_token() needs a request that carried a token; use"
                " create_token(entity_id=..., table_name=...) to issue a first one."
            )

        claims = _authenticate(runtime)[0]

    return (claims, *_identity(runtime, claims))


def _is_preflight() -> bool:
    headers = request.headers
    return "Origin" in headers and "Access-Control-Request-Method" in headers
