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
    "BackendNotInstalled",
    "BadSignature",
    "CallableEntity",
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
    "entity_loader",
]
