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
    "PrimaryKey",
    "TokenExpired",
    "TokenInvalid",
    "TokenMalformed",
    "TokenMissing",
    "UnknownEntity",
    "UsageError",
]
