"""Protect every route of a Flask app with JSON Web Tokens."""

from __future__ import annotations

from .backends.base import (
    BackendNotInstalled,
    EntityBackend,
    EntityStoreError,
    InvalidEntityId,
    PrimaryKey,
)
from .backends.callables import CallableEntity, entity_loader
from .cookies import (
    csrf_token,
    refresh_token_from_cookie,
    set_access_cookies,
    set_refresh_cookies,
    token_locations,
    unset_access_cookies,
    unset_jwt_cookies,
    unset_refresh_cookies,
)
from .decorators import entity_scope, ignored, optional, public
from .errors import (
    AuthError,
    BadSignature,
    ConfigurationError,
    CsrfFailed,
    EntityMismatch,
    EntityStoreUnavailable,
    InsufficientScope,
    InvalidRequest,
    JwtRouterError,
    KeySetUnavailable,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    TokenMissing,
    TokenRequired,
    UnknownEntity,
    UsageError,
)
from .extension import JwtRoutes
from .identity import Identity, current_identity
from .keys import InsecureKeyWarning
from .revocation import (
    MemoryRevocationStore,
    RedisRevocationStore,
    RevocationStore,
    RevocationStoreError,
)
from .sessions import RevocationUnavailable, TokenPair, TokenRevoked, WrongTokenType

__all__ = [
    "AuthError",
    "BackendNotInstalled",
    "BadSignature",
    "CallableEntity",
    "ConfigurationError",
    "CsrfFailed",
    "EntityMismatch",
    "EntityBackend",
    "EntityStoreError",
    "EntityStoreUnavailable",
    "Identity",
    "InsecureKeyWarning",
    "InsufficientScope",
    "InvalidEntityId",
    "InvalidRequest",
    "JwtRouterError",
    "JwtRoutes",
    "KeySetUnavailable",
    "MemoryRevocationStore",
    "PrimaryKey",
    "RedisRevocationStore",
    "RevocationStore",
    "RevocationStoreError",
    "RevocationUnavailable",
    "TokenExpired",
    "TokenInvalid",
    "TokenMalformed",
    "TokenMissing",
    "TokenRequired",
    "TokenPair",
    "TokenRevoked",
    "UnknownEntity",
    "UsageError",
    "WrongTokenType",
    "current_identity",
    "entity_scope",
    "ignored",
    "optional",
    "public",
    "csrf_token",
    "entity_loader",
    "refresh_token_from_cookie",
    "set_access_cookies",
    "set_refresh_cookies",
    "token_locations",
    "unset_access_cookies",
    "unset_jwt_cookies",
    "unset_refresh_cookies",
]
