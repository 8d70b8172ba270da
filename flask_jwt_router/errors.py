"""Exceptions, and the one place where an authentication failure becomes a response."""

from __future__ import annotations

import typing as t

from flask import Response, current_app, json
from werkzeug.exceptions import HTTPException

#: Signature of a function that turns an :class:`AuthError` into a response.
ErrorHandler = t.Callable[["AuthError"], Response]


class JwtRouterError(Exception):
    """Base class of every exception this library raises."""


class ConfigurationError(JwtRouterError, ValueError):
    """The app's configuration or the extension's options are wrong.

    Raised at startup; the message names the setting and says how to fix it.
    """


class UsageError(JwtRouterError, RuntimeError):
    """A method of the extension was called in a way it does not support."""


class AuthError(JwtRouterError, HTTPException):
    """A request is refused. Subclasses name the reason.

    It is an :class:`~werkzeug.exceptions.HTTPException`, so when it is raised
    inside a view (by :meth:`JwtRoutes.update_token`) Flask, Flask-RESTful and
    flask-restx all answer it with its own status code rather than a 500.
    """

    code: int = 401
    #: Machine-readable reason, sent as ``error`` in the JSON body.
    error: str = "unauthorized"
    #: The RFC 6750 error code for ``WWW-Authenticate``, or ``None`` when the
    #: request carried no credentials (the RFC asks for no code then).
    rfc6750_error: str | None = "invalid_token"
    description = "Authentication failed."

    def __init__(self, message: str | None = None) -> None:
        # Called directly rather than through super(): in a class that is also
        # a UsageError, the next class in line would be RuntimeError.
        HTTPException.__init__(self, message or self.description)
        self.message: str = message or self.description
        # Flask-RESTful and flask-restx send ``data`` as the body when present.
        self.data = {"error": self.error, "message": self.message}

    def www_authenticate(self, realm: str) -> str:
        """Build the ``WWW-Authenticate`` header value for this refusal."""
        parts = [f'Bearer realm="{realm}"']

        if self.rfc6750_error is not None:
            parts.append(f'error="{self.rfc6750_error}"')
            parts.append(f'error_description="{_quote_safe(self.message)}"')

        return ", ".join(parts)

    def get_response(
        self,
        environ: t.Any = None,
        scope: t.Any = None,
    ) -> Response:
        state = current_app.extensions["flask_jwt_router"]
        return t.cast(Response, state.respond(self))


class TokenMissing(AuthError):
    error = "token_missing"
    rfc6750_error = None
    description = "This resource needs a token: send 'Authorization: Bearer <token>'."


class TokenMalformed(AuthError):
    error = "token_malformed"
    description = "The token could not be read."


class TokenExpired(AuthError):
    error = "token_expired"
    description = "The token has expired."


class BadSignature(AuthError):
    error = "bad_signature"
    description = "The token's signature does not match."


class TokenInvalid(AuthError):
    error = "token_invalid"
    description = "The token is not valid."


class UnknownEntity(AuthError):
    error = "unknown_entity"
    description = "The token names no existing entity."


class TokenRequired(UsageError, TokenMissing):
    """``update_token()`` was called in a request that carried no token.

    The developer reads the message; the client gets a 401 ``token_missing``
    like on any protected route, instead of a 500.
    """


class EntityMismatch(UsageError, TokenInvalid):
    """``update_token(entity_id=...)`` names another entity than the token.

    The client gets a 401 ``token_invalid``; the message tells the developer
    to use ``create_token()`` for another entity.
    """


class InsufficientScope(AuthError):
    """A valid token of an entity the route does not admit (RFC 6750, 3.1).

    .. versionadded:: 1.0
    """

    code = 403
    error = "insufficient_scope"
    rfc6750_error = "insufficient_scope"
    description = "This resource is not available to this kind of entity."

    def __init__(self, message: str | None = None, scope: t.Iterable[str] = ()) -> None:
        super().__init__(message)
        #: The entity tables the route admits, sent as the ``scope`` attribute.
        self.scope = tuple(sorted(scope))

    def www_authenticate(self, realm: str) -> str:
        header = super().www_authenticate(realm)

        if self.scope:
            header += f', scope="{_quote_safe(" ".join(self.scope))}"'

        return header


class InvalidRequest(AuthError):
    code = 400
    error = "invalid_request"
    rfc6750_error = "invalid_request"
    description = "The request carries conflicting credentials."


class CsrfFailed(AuthError):
    """A state-changing request sent its token in a cookie without its CSRF value."""

    code = 403
    error = "csrf_failed"
    rfc6750_error = None
    description = "The request's CSRF value is missing or does not match the token."


class EntityStoreUnavailable(AuthError):
    """The entity could not be loaded because the database failed."""

    code = 503
    error = "entity_store_unavailable"
    rfc6750_error = None
    description = "Authentication is temporarily unavailable; try again."


class KeySetUnavailable(AuthError):
    """The key set that verifies tokens (``JWT_ROUTER_JWKS_URL``) is unreachable."""

    code = 503
    error = "key_set_unavailable"
    rfc6750_error = None
    description = "Authentication is temporarily unavailable; try again."


def default_error_response(error: AuthError, realm: str) -> Response:
    """Build the JSON response the library sends for a refusal."""
    headers = [("WWW-Authenticate", error.www_authenticate(realm))]

    if error.code == 503:
        headers.append(("Retry-After", "5"))

    key = (error.error, error.message)
    body = _BODIES.get(key)

    if body is None:
        body = json.dumps({"error": error.error, "message": error.message}).encode()

        # Messages are fixed texts in practice; the bound only guards memory.
        if len(_BODIES) < 512:
            _BODIES[key] = body

    return Response(body, status=error.code, headers=headers, mimetype=_JSON)


_JSON = "application/json"

#: JSON bodies per (error code, message): refusals are frequent and their
#: bodies few, so each is serialised once.
_BODIES: dict[tuple[str, str], bytes] = {}


def _quote_safe(text: str) -> str:
    # RFC 6750 forbids '"' and '\' in error_description, and non-ASCII.
    cleaned = text.replace('"', "'").replace("\\", "/")
    return cleaned.encode("ascii", "replace").decode("ascii")
