"""Protect every route of a Flask app with JSON Web Tokens."""

from __future__ import annotations

from .backends.base import (
    EntityBackend,
    EntityStoreError,
    InvalidEntityId,
    PrimaryKey,
)
from .decorators import entity_scope, ignored, optional, public
from .errors import (
    AuthError,
    BadSignature,
    ConfigurationError,
    EntityStoreUnavailable,
    InsufficientScope,
    InvalidRequest,
    JwtRouterError,
    KeySetUnavailable,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    TokenMissing,
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
    "BadSignature",
    "ConfigurationError",
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
]
