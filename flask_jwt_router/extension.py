"""The Flask extension: setup, the per-request guard and the token methods."""

from __future__ import annotations

import dataclasses
import threading
import typing as t
import uuid
from datetime import timedelta

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    request,
)

from . import errors, jwks
from .backends.base import EntityBackend, EntityStoreError, InvalidEntityId
from .cookies import REFRESH_COOKIE_ATTR, TokenReader
from .entities import Entity, EntityRegistry, default_backends
from .keys import KeyRing, load_key_ring, report_weak_keys, snapshot
from .revocation import check_setting as check_revocation_store
from .routing import OPEN, OPTIONAL_TOKEN, Access, RoutePolicy, warn_unmatched
from .sessions import (
    FAMILY_CLAIM,
    REFRESH,
    TYPE_CLAIM,
    Sessions,
    TokenPair,
    add_refresh_route,
    build_sessions,
    refresh_route_path,
)
from .settings import MAX_EXPIRE_DAYS, RouteEntry, Settings, build_settings
from .tokens import RESERVED_CLAIMS, TokenCodec, check_custom_claims, new_claims

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
    reader: TokenReader
    sessions: Sessions
    #: Names this library may set on ``g``; cleared at every request.
    g_names: tuple[str, ...]
    #: The JWK Set served at ``JWT_ROUTER_JWKS_PATH``, if any.
    published: jwks.PublishedKeySet | None = None


class _AppState:
    """Kept in ``app.extensions["flask_jwt_router"]``.

    ``init_app`` checks what it can; the rest is built before the first
    request, so that config set after ``init_app`` (as app factories do) is
    honoured.
    """

    def __init__(
        self,
        ext: JwtRoutes,
        app: Flask,
        models: list[t.Any],
        keys: tuple[tuple[t.Any, ...], KeyRing],
    ) -> None:
        self.ext = ext
        self.app = app
        self.models = models
        #: The key config read by ``init_app`` and the ring built from it.
        self.keys = keys
        self.runtime: _Runtime | None = None
        self.refresh_route: RouteEntry | None = None
        #: ids of the backends whose ``init_app`` ran for this app.
        self.prepared_backends: frozenset[int] = frozenset()
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
        config = self.app.config
        settings = build_settings(config)
        keys = self._key_ring()
        models = [*self.models, *_config_models(config)]
        registry = EntityRegistry(models, self.ext._backends, settings.entity_key)

        with self.app.app_context():
            for entity in registry:
                self._check_prepared(entity)
                entity.backend.check_model(entity.model)

        sessions = build_sessions(config, settings.leeway.total_seconds())
        published, public = _published_key_set(self.app, keys)
        public = settings.white_list + public

        if self.refresh_route is not None:
            _check_refresh_route(self.app, self.refresh_route, sessions)
            public = (*public, self.refresh_route)
        elif refresh_route_path(config) is not None:
            raise errors.ConfigurationError(
                "JWT_ROUTER_REFRESH_ROUTE was set after init_app; the route is added"
                " by init_app, so set JWT_ROUTER_REFRESH_ROUTE before calling it."
            )

        policy = RoutePolicy(
            self.app, public, settings.ignored, entity_tables=registry.table_names
        )
        warn_unmatched(policy)
        _answer_refusals_first(self.app)

        return _Runtime(
            settings=settings,
            policy=policy,
            codec=TokenCodec(settings, keys),
            registry=registry,
            reader=TokenReader(self.app, settings),
            sessions=sessions,
            g_names=(CLAIMS_ATTR, REFRESH_COOKIE_ATTR, *registry.table_names),
            published=published,
        )

    def _check_prepared(self, entity: Entity) -> None:
        backend = entity.backend
        has_hooks = type(backend).init_app is not EntityBackend.init_app

        if has_hooks and id(backend) not in self.prepared_backends:
            raise errors.ConfigurationError(
                f"ENTITY_MODELS gained {entity.model.__name__} after init_app, and"
                f" the {backend.name} backend it needs sets itself up in init_app."
                " Put the model in ENTITY_MODELS (or entity_models=) before"
                " calling init_app."
            )

    def _key_ring(self) -> KeyRing:
        """The ring built by ``init_app``, or a new one if its config changed."""
        taken, ring = self.keys

        if snapshot(self.app.config) != taken:
            ring, weak = load_key_ring(self.app.config)
            report_weak_keys(weak, self.app.config)

        return ring

    def respond(self, error: errors.AuthError) -> Response:
        """Build the response for a refusal, with the app's handler if any."""
        handler = self.ext._error_handler
        runtime = self.runtime

        if handler is not None:
            response = handler(error)
        else:
            realm = runtime.settings.realm if runtime else "api"
            response = errors.default_error_response(error, realm)

        if runtime is not None and runtime.settings.cookies.clear_on_refusal:
            response = runtime.reader.after_refusal(request, error, response)

        return response


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

        ring, weak = load_key_ring(app.config)
        report_weak_keys(weak, app.config)
        jwks_path = jwks.endpoint_path(app.config)

        if jwks_path is not None:
            jwks.PublishedKeySet(ring, jwks.max_age(app.config))  # fails early

        # Checks the config and models now; both are read again before the
        # first request, in case the app changes its config in between.
        settings = build_settings(app.config, log=False)
        check_revocation_store(app.config.get("JWT_ROUTER_REVOCATION_STORE"))
        sessions = build_sessions(app.config, settings.leeway.total_seconds())
        models = [*self._entity_models, *(entity_models or ())]
        registry = EntityRegistry(
            [*models, *_config_models(app.config)], self._backends, settings.entity_key
        )
        # Only the backends this app's models use: a backend's hooks run on
        # every request, and an unused one would tax them all.
        prepared = {id(entity.backend): entity.backend for entity in registry}

        for backend in prepared.values():
            backend.init_app(app)

        from .cli import jwt_router_cli

        app.cli.add_command(jwt_router_cli)
        state = _AppState(self, app, models, (snapshot(app.config), ring))
        state.prepared_backends = frozenset(prepared)
        refresh_path = refresh_route_path(app.config)

        if refresh_path is not None:
            state.refresh_route = add_refresh_route(
                app, refresh_path, self.refresh_tokens
            )
            _check_refresh_route(app, state.refresh_route, sessions)

        app.extensions[EXTENSION_KEY] = state

        if jwks_path is not None:
            app.add_url_rule(
                jwks_path, jwks.ENDPOINT, _jwks_view(state), methods=["GET"]
            )

        app.before_request_funcs.setdefault(None, []).insert(0, _make_guard(state))

    # -- tokens ------------------------------------------------------------

    @t.overload
    def create_token(
        self,
        entity_id: object = None,
        table_name: str | None = None,
        *,
        refresh: t.Literal[False] = False,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> str: ...

    @t.overload
    def create_token(
        self,
        entity_id: object = None,
        table_name: str | None = None,
        *,
        refresh: t.Literal[True],
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> TokenPair: ...

    def create_token(
        self,
        entity_id: object = None,
        table_name: str | None = None,
        *,
        refresh: bool = False,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> str | TokenPair:
        """Return a signed token naming the row ``entity_id`` of ``table_name``.

        Works in any app context of an app this extension protects.

        :param refresh: return a :class:`TokenPair` of an access token and a
            refresh token that starts a new login, instead of one access
            token. Needs a revocation store.
        :param claims: custom claims to carry in the token (in both tokens of
            a pair), read back in the view with
            :func:`~flask_jwt_router.current_identity`. Their names may not be
            the library's own (``tokens.RESERVED_CLAIMS``) or the entity's id
            claim, and their values must be JSON.

        .. versionchanged:: 1.0
            Added ``refresh`` and ``claims``.
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
        custom = check_custom_claims(claims, entity.id_claims) if claims else None

        if refresh:
            runtime.sessions.require_store("issue refresh tokens")
            return self._pair(runtime, entity, entity_id, uuid.uuid4().hex, custom)

        return self._sign(runtime, entity, entity_id, custom=custom)

    def update_token(self, entity_id: object = None) -> str:
        """Return a fresh token for the entity of the current request's token.

        On a public route the request's token is verified here; a bad one gets
        the client the same 401 as on a protected route. Custom claims of the
        request's token are carried over to the new one.

        :raises TokenRequired: when the request carried no token.
        :raises EntityMismatch: when ``entity_id`` is not the id in the token.
            Both are a :class:`UsageError` for the developer and answer the
            client 401.
        """
        runtime = _state().ready()
        claims = _request_claims(runtime)
        entity, token_id = _identity(runtime, claims)

        if entity_id is not None and _convert(entity, entity_id) != token_id:
            raise errors.EntityMismatch(
                "update_token(entity_id=...) was given an id that is not the one in"
                " the request's token; use create_token() to issue a token for"
                " another entity."
            )

        # A token renewed within a login stays part of it, so that ending the
        # login (revoke_session) reaches it too.
        family = claims.get(FAMILY_CLAIM)
        extra = None if family is None else {FAMILY_CLAIM: family}
        return self._sign(
            runtime, entity, token_id, extra, custom=_custom_claims(entity, claims)
        )

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

        if not 0 < expire_days <= MAX_EXPIRE_DAYS:
            raise errors.ConfigurationError(
                f"set_exp(expire_days=...) must be positive (at most"
                f" {MAX_EXPIRE_DAYS}), got {expire_days!r}."
            )

        self._expires = timedelta(days=expire_days)

    def error_handler(self, handler: errors.ErrorHandler) -> errors.ErrorHandler:
        """Register the function that builds the response for every refusal.

        It receives the :class:`~flask_jwt_router.AuthError` and returns a
        Flask response; use it as a decorator.
        """
        self._error_handler = handler
        return handler

    # -- sessions ----------------------------------------------------------

    def refresh_tokens(self) -> TokenPair:
        """Exchange the current request's refresh token for a new pair.

        The refresh token is retired: presented again, it ends its whole
        login. Call it in a public view, or let ``JWT_ROUTER_REFRESH_ROUTE``
        add such a view.

        :raises AuthError: 401 for a missing, invalid, revoked or reused
            refresh token or an access token; 503 while a store is down.

        .. versionadded:: 1.0
        """
        runtime = _state().ready()
        token = _required_token(runtime, "refresh_tokens()", refresh=True)
        claims = runtime.codec.decode(token)
        entity, entity_id = _identity(runtime, claims)

        # Loaded before the token is retired, so that a database outage does
        # not leave the client with a retired token and no new pair.
        _load(entity, entity_id)
        family = runtime.sessions.rotate(
            token, claims, entity.table_name, entity_id, self._horizon(runtime)
        )
        custom = _custom_claims(entity, claims)
        return self._pair(runtime, entity, entity_id, family, custom)

    def revoke_token(self, token_or_jti: str | None = None) -> None:
        """Revoke one token until it expires.

        :param token_or_jti: a token (access or refresh) or its ``jti``; by
            default the token of the current request. An expired token needs
            nothing; a bare ``jti`` is kept for the longest token lifetime.
        :raises AuthError: when the token given does not verify, or 503 when
            the store is down.

        .. versionadded:: 1.0
        """
        runtime = _state().ready()
        sessions = runtime.sessions
        horizon = self._horizon(runtime)

        if token_or_jti is not None and not isinstance(token_or_jti, str):
            raise errors.UsageError(
                f"revoke_token() takes a token or a jti as a string, got"
                f" {type(token_or_jti).__name__}; pass nothing to revoke the"
                " current request's token."
            )

        if token_or_jti is not None and token_or_jti.count(".") != 2:
            if not token_or_jti.strip():
                raise errors.UsageError(
                    "revoke_token() was given an empty string; pass a token, a"
                    " jti, or nothing for the current request's token."
                )

            sessions.revoke_jti(token_or_jti, horizon)
            return

        token, claims = _claims_of(runtime, token_or_jti, "revoke_token()")

        if claims is not None:
            sessions.revoke(token, claims, horizon)

    def revoke_entity(self, table_name: str, entity_id: object) -> None:
        """Revoke every token of one entity issued up to now: log out everywhere.

        Tokens issued afterwards, even within the same second, are accepted.

        .. versionadded:: 1.0
        """
        runtime = _state().ready()
        entity = runtime.registry.require(table_name)

        key_value = _key_value(entity, entity_id)

        runtime.sessions.revoke_entity(
            entity.table_name, key_value, self._horizon(runtime)
        )

    def revoke_session(self, token: str | None = None) -> None:
        """End the login a token belongs to: log out on this device.

        Revokes the token and, for tokens of a pair, every access and refresh
        token descending from the same ``create_token(..., refresh=True)``.

        :param token: an access or refresh token; by default the current
            request's.

        .. versionadded:: 1.0
        """
        runtime = _state().ready()
        horizon = self._horizon(runtime)
        token, claims = _claims_of(runtime, token, "revoke_session()")

        if claims is None:
            return

        family = claims.get(FAMILY_CLAIM)

        if isinstance(family, str) and family:
            runtime.sessions.revoke_family(family, horizon)

        runtime.sessions.revoke(token, claims, horizon)

    def _horizon(self, runtime: _Runtime) -> float:
        """Seconds the longest-lived token issued now could still verify."""
        access = self._expires or runtime.settings.expires
        longest = max(access, runtime.sessions.refresh_expires)
        return longest.total_seconds() + runtime.sessions.leeway

    def _pair(
        self,
        runtime: _Runtime,
        entity: Entity,
        entity_id: object,
        family: str,
        custom: t.Mapping[str, t.Any] | None = None,
    ) -> TokenPair:
        access = self._sign(
            runtime, entity, entity_id, {FAMILY_CLAIM: family}, custom=custom
        )
        refresh = self._sign(
            runtime,
            entity,
            entity_id,
            {FAMILY_CLAIM: family, TYPE_CLAIM: REFRESH},
            runtime.sessions.refresh_expires,
            custom=custom,
        )
        return TokenPair(access, refresh)

    def _sign(
        self,
        runtime: _Runtime,
        entity: Entity,
        entity_id: object,
        extra: dict[str, t.Any] | None = None,
        lifetime: timedelta | None = None,
        *,
        custom: t.Mapping[str, t.Any] | None = None,
    ) -> str:
        """Sign a token; ``extra`` holds library claims, ``custom`` the app's
        (checked already), which never override the library's."""
        key_value = _key_value(entity, entity_id)

        expires = lifetime or self._expires or runtime.settings.expires
        limit = runtime.settings.max_lifetime

        if limit is not None and expires > limit:
            raise errors.UsageError(
                f"Tokens would live {expires}, longer than JWT_ROUTER_MAX_LIFETIME"
                f" ({limit}) allows, and the app would refuse them. Shorten"
                " set_exp() or JWT_ROUTER_REFRESH_EXPIRES, or raise the limit."
            )

        claims = new_claims(
            entity.table_name, entity.key.name, key_value, expires.total_seconds()
        )

        if extra:
            claims.update(extra)

        if custom:
            claims = {**custom, **claims}

        return runtime.codec.encode(claims)


def _custom_claims(entity: Entity, claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The app's own claims among a verified token's claims."""
    return {
        name: value
        for name, value in claims.items()
        if name not in RESERVED_CLAIMS and name not in entity.id_claims
    }


def _key_value(entity: Entity, entity_id: object) -> object:
    """``entity_id`` as the developer gave it, converted to the key's type."""
    try:
        return entity.convert(entity_id)
    except InvalidEntityId as exc:
        raise errors.UsageError(
            f"entity_id={entity_id!r} is not a valid primary key for"
            f" {entity.table_name!r}: {exc}."
        ) from None


def _config_models(config: t.Mapping[str, t.Any]) -> list[t.Any]:
    models = config.get("ENTITY_MODELS") or []

    if not isinstance(models, (list, tuple, set, frozenset)):
        raise errors.ConfigurationError(
            f"ENTITY_MODELS must be a list of entity models, such as [User],"
            f" got {models!r}."
        )

    return list(models)


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


def _answer_refusals_first(app: Flask) -> None:
    """Answer a refusal raised in a view before any error handler sees it.

    :meth:`JwtRoutes.update_token` refuses by raising an :class:`AuthError`.
    Left to Flask, an app's ``errorhandler(Exception)`` or ``errorhandler(401)``,
    a blueprint's handler, ``TRAP_HTTP_EXCEPTIONS`` or Flask-RESTful and
    flask-restx in production mode would turn it into something else. This
    runs once, when the app is first used (normally its first request), so that
    it wraps what those extensions installed in their own ``init_app``; an
    extension set up after that point would see refusals first.
    """
    handle_user_exception = app.handle_user_exception

    def answer(error: Exception) -> t.Any:
        if isinstance(error, errors.AuthError):
            return error.get_response()

        return handle_user_exception(error)

    app.handle_user_exception = answer  # type: ignore[method-assign,assignment]


def _make_guard(state: _AppState) -> t.Callable[[], Response | None]:
    def guard() -> Response | None:
        runtime = state.ready()
        namespace = t.cast(t.Any, g)._get_current_object().__dict__

        # An app context kept open across requests (common in tests) must not
        # carry one request's entity into the next.
        for name in runtime.g_names:
            namespace.pop(name, None)

        # The proxy is resolved once: each attribute read through it costs
        # about as much as the policy lookup itself.
        req = request._get_current_object()  # type: ignore[attr-defined]
        rule = req.url_rule

        if rule is None:  # no rule matched: Flask answers 404 or 405
            return None

        decision = runtime.policy.decision(rule, req.method)
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


def _published_key_set(
    app: Flask, keys: KeyRing
) -> tuple[jwks.PublishedKeySet | None, tuple[RouteEntry, ...]]:
    """The JWK Set to serve, and the whitelist entry that makes it public."""
    path = jwks.endpoint_path(app.config)

    if path is None:
        return None, ()

    if jwks.ENDPOINT not in app.view_functions:
        raise errors.ConfigurationError(
            "JWT_ROUTER_JWKS_PATH was set after init_app; the endpoint is added by"
            " init_app, so set JWT_ROUTER_JWKS_PATH before calling it."
        )

    published = jwks.PublishedKeySet(keys, jwks.max_age(app.config))

    if not app.config.get("JWT_ROUTER_JWKS_PUBLIC", True):
        return published, ()

    return published, (RouteEntry("GET", path, "JWT_ROUTER_JWKS_PATH"),)


def _jwks_view(state: _AppState) -> t.Callable[[], Response]:
    def jwks_view() -> Response:
        published = state.ready().published

        if published is None:  # JWT_ROUTER_JWKS_PATH removed after init_app
            abort(404)

        return published.response()

    return jwks_view


def _authenticate(
    runtime: _Runtime,
    entities: t.AbstractSet[str] | None = None,
    cookie_allowed: bool = True,
) -> tuple[dict[str, t.Any], Entity, object]:
    req = request._get_current_object()  # type: ignore[attr-defined]
    token = runtime.reader.token(req, cookie_allowed)

    if token is None:
        raise errors.TokenMissing()

    claims = runtime.codec.decode(token)
    entity, entity_id = _identity(runtime, claims)

    if entities is not None and entity.table_name not in entities:
        raise errors.InsufficientScope(scope=entities)

    runtime.sessions.admit(token, claims, entity.table_name, entity_id)
    return claims, entity, _load(entity, entity_id)


def _load(entity: Entity, entity_id: object) -> object:
    try:
        loaded = entity.load(entity_id)
    except EntityStoreError:
        raise errors.EntityStoreUnavailable() from None

    if loaded is None:
        raise errors.UnknownEntity()

    return loaded


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
    if error.code == 503:  # a store is down: not the client's fault
        return False

    return access is Access.OPTIONAL_LENIENT or isinstance(error, errors.TokenMissing)


def _request_claims(runtime: _Runtime) -> dict[str, t.Any]:
    """The claims of the current request's token, verified."""
    if not has_request_context():
        raise errors.UsageError(
            "update_token() only works inside a request that carried a token;"
            " use create_token(entity_id=..., table_name=...) elsewhere."
        )

    claims = g.get(CLAIMS_ATTR)

    if claims is None:
        # A public route: nothing was verified yet, so verify it all here.
        # Ignored routes never read a token cookie.
        rule = request.url_rule
        cookie_allowed = (
            rule is None
            or runtime.policy.access(rule, request.method) is not Access.IGNORED
        )

        if runtime.reader.token(request, cookie_allowed) is None:
            raise errors.TokenRequired(
                "update_token() needs a request that carried a token; use"
                " create_token(entity_id=..., table_name=...) to issue a first one."
            )

        claims = _authenticate(runtime, cookie_allowed=cookie_allowed)[0]

    return t.cast("dict[str, t.Any]", claims)


def _required_token(runtime: _Runtime, caller: str, refresh: bool = False) -> str:
    if not has_request_context():
        raise errors.UsageError(
            f"{caller} reads the token of the current request; call it inside a"
            " request or pass the token."
        )

    # A refresh token in a cookie lives in the refresh cookie, not the access one.
    reader = runtime.reader
    token = reader.refresh_token(request) if refresh else reader.token(request)

    if token is None:
        raise errors.TokenMissing()

    return token


def _claims_of(
    runtime: _Runtime, token: str | None, caller: str
) -> tuple[str, dict[str, t.Any] | None]:
    """A token (the request's by default) and its verified claims.

    The claims are ``None`` for an expired token, which needs no revoking.
    """
    if token is None:
        token = _required_token(runtime, caller)
        verified = g.get(CLAIMS_ATTR)

        if verified is not None:
            return token, verified

    try:
        return token, runtime.codec.decode(token)
    except errors.TokenExpired:
        return token, None


def _check_refresh_route(app: Flask, route: RouteEntry, sessions: Sessions) -> None:
    configured = refresh_route_path(app.config)

    if configured != route.path:
        raise errors.ConfigurationError(
            f"JWT_ROUTER_REFRESH_ROUTE changed from {route.path!r} to"
            f" {configured!r} after init_app; the route is added by init_app, so"
            " set it before."
        )

    if sessions.store is None:
        raise errors.ConfigurationError(
            "JWT_ROUTER_REFRESH_ROUTE is set but JWT_ROUTER_REVOCATION_STORE is"
            " off; refresh tokens need a store. Set it to 'memory' or a redis://"
            " URL, or remove JWT_ROUTER_REFRESH_ROUTE."
        )


def _is_preflight() -> bool:
    headers = request.headers
    return "Origin" in headers and "Access-Control-Request-Method" in headers
