"""Where a request carries its token: the Authorization header, ``?auth=``, a cookie."""

from __future__ import annotations

import typing as t

from . import errors

HEADER = "header"
QUERY = "query"
COOKIE = "cookie"

#: Every location a token may come from.
LOCATIONS = (HEADER, QUERY, COOKIE)

#: Where tokens are read when ``JWT_ROUTER_TOKEN_LOCATION`` is not set, as in 0.2.
DEFAULT_LOCATIONS = (HEADER, QUERY)


class FoundToken(t.NamedTuple):
    """A token and where the request carried it."""

    token: str
    #: The first location, in the configured order, that carried it.
    location: str
    #: ``True`` when a cookie was the only carrier: the browser may have sent
    #: it on its own, so a state-changing request must pass the CSRF check.
    cookie_only: bool


def parse_locations(value: object, source: str) -> tuple[str, ...]:
    """Validate a list of token locations, such as ``["header", "cookie"]``.

    A string names one location or several separated by commas.

    :param source: the setting or decorator being read, for the message.
    :raises ConfigurationError: on an unknown, repeated or missing location.
    """
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]

    if not isinstance(value, (list, tuple)):
        raise errors.ConfigurationError(
            f"{source} must be a list of token locations from {', '.join(LOCATIONS)},"
            f" such as ['header', 'cookie'], got {value!r}."
        )

    locations: list[str] = []

    for item in value:
        name = item.strip().lower() if isinstance(item, str) else item

        if name not in LOCATIONS:
            raise errors.ConfigurationError(
                f"{source} names the token location {item!r}; the known ones are"
                f" {', '.join(LOCATIONS)}."
            )

        if name in locations:
            raise errors.ConfigurationError(
                f"{source} names the token location {name!r} twice; list each once."
            )

        locations.append(name)

    if not locations:
        raise errors.ConfigurationError(
            f"{source} names no token location; list at least one of"
            f" {', '.join(LOCATIONS)}."
        )

    return tuple(locations)


def find_token(
    req: t.Any,
    locations: t.Sequence[str] = DEFAULT_LOCATIONS,
    cookie_name: str = "",
) -> FoundToken | None:
    """Look for the request's token in ``locations``, in that order.

    :param cookie_name: the name of the access token cookie.
    :returns: ``None`` when no location carries a token.
    :raises AuthError: on a malformed header, an empty token, or two
        locations carrying different tokens.
    """
    found: FoundToken | None = None
    carriers = 0
    # A header with a scheme other than Bearer (Basic from a proxy, say) is not
    # ours: it is refused only when no other location carries a token.
    foreign_header: errors.AuthError | None = None

    for location in locations:
        if location == HEADER:
            header = req.headers.get("Authorization")

            if header is None:
                continue

            try:
                token = _bearer(header)
            except errors.TokenMissing as error:
                foreign_header = error
                continue

        elif location == QUERY:
            if not req.query_string or "auth" not in req.args:
                continue

            token = _query_token(req.args.getlist("auth"))

        else:
            cookie = (
                _cookie_token(req, cookie_name) if "Cookie" in req.headers else None
            )

            if not cookie:  # an emptied cookie is no token
                continue

            token = cookie

        carriers += 1

        if found is None:
            found = FoundToken(token, location, location == COOKIE)
        elif token != found.token:
            raise errors.InvalidRequest(
                f"The request carries two different tokens ({found.location} and"
                f" {location}); send one."
            )

    if foreign_header is not None and found is None:
        raise foreign_header

    if found is None:
        return None

    if not found.token.strip():
        raise errors.TokenMalformed("The token is empty.")

    if carriers > 1 and found.cookie_only:
        found = found._replace(cookie_only=False)

    return found


def _cookie_token(req: t.Any, name: str) -> str | None:
    # Two cookies of one name (a sibling subdomain or a narrower path can plant
    # one) are two tokens: never settled by which the browser sent first.
    values = req.cookies.getlist(name)

    if len(set(values)) > 1:
        raise errors.InvalidRequest(
            f"The request carries several different {name!r} cookies; clear them"
            " and log in again."
        )

    return values[0] if values else None


def _query_token(values: list[str]) -> str:
    if len(set(values)) > 1:
        raise errors.InvalidRequest(
            "The query string carries several different 'auth' tokens; send one."
        )

    return values[0]


def read_token(
    req: t.Any,
    locations: t.Sequence[str] = DEFAULT_LOCATIONS,
    cookie_name: str = "",
) -> str | None:
    """The request's token from ``locations``; ``None`` if none carries one.

    :raises AuthError: on a malformed header or two different tokens.
    """
    found = find_token(req, locations, cookie_name)
    return None if found is None else found.token


def _bearer(header: str) -> str:
    parts = header.split(None, 1)

    if not parts or parts[0].lower() != "bearer":
        raise errors.TokenMissing(
            "The Authorization header uses another scheme; this resource needs"
            " 'Authorization: Bearer <token>'."
        )

    token = parts[1].strip() if len(parts) == 2 else ""

    if not token or len(token.split()) != 1:
        raise errors.TokenMalformed(
            "The Authorization header must be 'Bearer <token>'."
        )

    return token
