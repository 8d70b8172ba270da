"""Where a request carries its token: the Authorization header or ``?auth=``."""

from __future__ import annotations

import typing as t

from . import errors


def read_token(req: t.Any) -> str | None:
    """The request's token from the header or ``?auth=``; ``None`` if neither.

    An ``Authorization`` header of another scheme (``Basic`` from a proxy, say)
    is not ours: the token may still come in the query string.

    :raises AuthError: on a malformed header or two different tokens.
    """
    header = req.headers.get("Authorization")
    from_header = None if header is None else _bearer(header)
    from_query = _query_token(req) if req.query_string else None

    if from_query is not None and from_header is not None and from_query != from_header:
        raise errors.InvalidRequest(
            "The request carries two different tokens (header and query string);"
            " send one."
        )

    token = from_header or from_query

    if token is None and header is not None and from_header is None:
        raise errors.TokenMissing(
            "This resource needs a token sent as 'Authorization: Bearer <token>'."
        )

    if token is not None and not token.strip():
        raise errors.TokenMalformed("The token is empty.")

    return token


def _query_token(req: t.Any) -> str | None:
    values = req.args.getlist("auth")

    if len(set(values)) > 1:
        raise errors.InvalidRequest(
            "The query string carries several different 'auth' tokens; send one."
        )

    return values[0] if values else None


def _bearer(header: str) -> str | None:
    parts = header.split(None, 1)

    if not parts or parts[0].lower() != "bearer":
        return None

    token = parts[1].strip() if len(parts) == 2 else ""

    if not token or len(token.split()) != 1:
        raise errors.TokenMalformed(
            "The Authorization header must be 'Bearer <token>'."
        )

    return token
