"""Protect every route of a Flask app with JSON Web Tokens."""

from __future__ import annotations

from .backends.base import (
    EntityBackend,
    EntityStoreError,
    InvalidEntityId,
    PrimaryKey,
)
from .errors import (
    AuthError,
    BadSignature,
    ConfigurationError,
    EntityStoreUnavailable,
    InvalidRequest,
    JwtRouterError,
    TokenExpired,
    TokenInvalid,
    TokenMalformed,
    TokenMissing,
    UnknownEntity,
    UsageError,
)
from .extension import JwtRoutes
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
    "InvalidEntityId",
    "InvalidRequest",
    "JwtRouterError",
    "JwtRoutes",
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
]
