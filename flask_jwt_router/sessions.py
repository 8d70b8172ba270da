"""Sessions: revocation checks, "log out everywhere" and refresh-token rotation.

What the store holds, each entry expiring when what it blocks would expire:

- ``t:<jti>``: one token, ``"revoked"`` by the app or ``"retired"`` by a
  refresh (a token without ``jti``, as 0.2 issued, is keyed by its digest);
- ``e:<len>:<table>:<id>``: the instant, in microseconds, of the entity's
  last "log out everywhere"; tokens issued at or before it are refused;
- ``f:<family>``: a revoked login, every token descending from it refused.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import typing as t
from datetime import timedelta

from flask import Flask, jsonify

from . import errors
from .cookies import refreshed_from_cookie, set_access_cookies, set_refresh_cookies
from .revocation import RevocationStore, RevocationStoreError, store_from_setting
from .settings import RouteEntry

logger = logging.getLogger(__name__)

#: Claim that marks a refresh token; a token without it is an access token.
TYPE_CLAIM = "typ"
REFRESH = "refresh"
#: Claim naming the login a token descends from (tokens of a pair only).
FAMILY_CLAIM = "fam"
#: Claim holding the issue time in microseconds.
ISSUED_US_CLAIM = "iat_us"

REFRESH_ENDPOINT = "flask_jwt_router_refresh"
DEFAULT_REFRESH_EXPIRES = timedelta(days=30)

#: While the store stays down, its failure is logged again this often.
_LOG_EVERY_SECONDS = 30.0


class TokenPair(t.NamedTuple):
    """An access token and the refresh token that renews it.

    .. versionadded:: 1.0
    """

    access_token: str
    refresh_token: str


class TokenRevoked(errors.AuthError):
    """The token was revoked, its entity logged out everywhere, or its login ended."""

    error = "token_revoked"
    description = "The token has been revoked."


class WrongTokenType(errors.AuthError):
    """A refresh token where an access token is expected, or the other way round."""

    error = "wrong_token_type"
    description = "This is not the kind of token this resource expects."


class RevocationUnavailable(errors.AuthError):
    """The revocation store could not be asked whether the token was revoked."""

    code = 503
    error = "revocation_store_unavailable"
    rfc6750_error = None
    description = "Authentication is temporarily unavailable; try again."


class Sessions:
    """Revocation and refresh logic of one app, around its store.

    :param store: ``None`` switches revocation off: only the token type is
        checked, at no other cost.
    :param fail_open: accept tokens unchecked while the store is down.
    :param refresh_expires: lifetime of refresh tokens.
    :param leeway: the codec's leeway, in seconds; entries outlive the
        tokens they block by that much.
    """

    def __init__(
        self,
        store: RevocationStore | None,
        *,
        fail_open: bool = False,
        refresh_expires: timedelta = DEFAULT_REFRESH_EXPIRES,
        leeway: float = 0.0,
    ) -> None:
        self.store = store
        self.fail_open = fail_open
        self.refresh_expires = refresh_expires
        self.leeway = leeway
        self._health = _Health(fail_open)

    # -- per request -------------------------------------------------------

    def admit(
        self, token: str, claims: dict[str, t.Any], table_name: str, entity_id: object
    ) -> None:
        """Refuse a verified token that is not an access token, or is revoked.

        One lookup in the store, none when revocation is off.

        :raises AuthError: :class:`WrongTokenType`, :class:`TokenRevoked`, or
            :class:`RevocationUnavailable` while the store is down.
        """
        kind = claims.get(TYPE_CLAIM)

        if kind is not None and kind != "access":
            raise WrongTokenType(
                "This resource needs an access token; a refresh token only"
                " serves to get a new pair."
            )

        if self.store is None:
            return

        keys = [token_key(claims, token), entity_key(table_name, entity_id)]
        family = claims.get(FAMILY_CLAIM)

        if family is not None:
            keys.append(family_key(family))

        try:
            values = self.store.get_many(keys)
        except RevocationStoreError as exc:
            self._health.failed(exc)

            if self.fail_open:
                return

            raise RevocationUnavailable() from None

        self._health.ok()
        _judge(claims, values)

    def rotate(
        self,
        token: str,
        claims: dict[str, t.Any],
        table_name: str,
        entity_id: object,
        horizon: float,
    ) -> str:
        """Retire a verified refresh token and return its family.

        A refresh token presented after it was exchanged ends its whole
        family: a stolen token and the one its owner holds cannot both go on.
        One revoked by the app is refused, and nothing more.

        :raises AuthError: the token is not a refresh token, is revoked or was
            used before; 503 while the store is down, whatever
            ``JWT_ROUTER_REVOCATION_FAIL_OPEN`` says.
        """
        if claims.get(TYPE_CLAIM) != REFRESH:
            raise WrongTokenType(
                "This resource needs a refresh token; send the refresh token of"
                " the pair, not the access token."
            )

        family = claims.get(FAMILY_CLAIM)

        if not isinstance(family, str) or not family:
            raise errors.TokenInvalid("The refresh token names no login.")

        store = self.require_store("exchange a refresh token")
        key = token_key(claims, token)
        keys = [key, entity_key(table_name, entity_id), family_key(family)]

        try:
            added, values = store.add_and_get(
                key, "retired", self._remaining(claims, horizon), keys
            )
        except RevocationStoreError as exc:
            self._health.failed(exc)
            raise RevocationUnavailable() from None

        self._health.ok()

        if not added and values[0] != "retired":  # revoked by the app
            raise TokenRevoked()

        if not added:
            self.revoke_family(family, horizon)
            logger.warning(
                "A refresh token of a %r entity was presented again after it was"
                " exchanged; every token of its login is now revoked.",
                table_name,
            )
            raise TokenRevoked(
                "This refresh token was used before; the login it belongs to has"
                " been ended. Log in again."
            )

        _judge(claims, [None, *values[1:]])
        return family

    # -- revocation --------------------------------------------------------

    def revoke(self, token: str, claims: dict[str, t.Any], horizon: float) -> None:
        """Revoke one verified token until it expires."""
        ttl = self._remaining(claims, horizon)
        self._put(token_key(claims, token), "revoked", ttl)

    def revoke_jti(self, jti: str, horizon: float) -> None:
        """Revoke the token with this ``jti``, whose expiry is unknown."""
        self._put("t:" + jti, "revoked", horizon)

    def revoke_entity(self, table_name: str, entity_id: object, horizon: float) -> None:
        """Refuse every token of one entity issued up to this instant."""
        now_us = time.time_ns() // 1000
        self._put(entity_key(table_name, entity_id), str(now_us), horizon)

    def revoke_family(self, family: str, horizon: float) -> None:
        """Refuse every token descending from one login."""
        self._put(family_key(family), "revoked", horizon)

    def require_store(self, action: str) -> RevocationStore:
        if self.store is None:
            raise errors.UsageError(
                f"Cannot {action}: JWT_ROUTER_REVOCATION_STORE is off. Set it to"
                " 'memory' (one process) or a redis:// URL (several processes)."
            )

        return self.store

    def _put(self, key: str, value: str, ttl: float) -> None:
        store = self.require_store("revoke tokens")

        if ttl <= 0:  # what it would block has expired already
            return

        try:
            store.put(key, value, ttl)
        except RevocationStoreError as exc:
            self._health.failed(exc)
            raise RevocationUnavailable(
                "The revocation could not be recorded; try again."
            ) from None

        self._health.ok()

    def _remaining(self, claims: dict[str, t.Any], horizon: float) -> float:
        """Seconds until the token stops verifying; ``horizon`` without ``exp``."""
        exp = claims.get("exp")

        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            return horizon

        return exp + self.leeway - time.time()


def token_key(claims: dict[str, t.Any], token: str) -> str:
    jti = claims.get("jti")

    if jti is None or jti == "":
        return "t:#" + hashlib.sha256(token.encode()).hexdigest()[:40]

    return f"t:{jti}"


def entity_key(table_name: str, entity_id: object) -> str:
    # The length keeps ("a:b", 1) and ("a", "b:1") apart.
    return f"e:{len(table_name)}:{table_name}:{entity_id}"


def family_key(family: object) -> str:
    return f"f:{family}"


def issued_us(claims: dict[str, t.Any]) -> int:
    """When a token was issued, in microseconds, rounded down.

    Tokens from before ``iat_us`` existed count from the start of their
    ``iat`` second, and 0.2 tokens, which have no ``iat``, from the epoch: a
    revocation refuses them whenever in that second they were issued.
    """
    value = claims.get(ISSUED_US_CLAIM)
    iat = claims.get("iat")

    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        return 0

    second = int(math.floor(iat)) * 1_000_000

    # iat_us only refines iat within its second; one that disagrees with iat
    # counts from the start of that second, the stricter reading.
    if isinstance(value, int) and not isinstance(value, bool):
        if second <= value < second + 1_000_000:
            return value

    return second


def _judge(claims: dict[str, t.Any], values: list[str | None]) -> None:
    token_mark, entity_mark, *family_mark = values

    if token_mark is not None:
        raise TokenRevoked()

    if family_mark and family_mark[0] is not None:
        raise TokenRevoked("The login this token belongs to has been ended.")

    if entity_mark is not None and issued_us(claims) <= _instant(entity_mark):
        raise TokenRevoked(
            "This token was revoked: every token of this entity issued up to a"
            " logout everywhere was."
        )


def _instant(mark: str) -> int:
    try:
        return int(mark)
    except ValueError:  # not ours: refuse rather than guess
        return 2**63


class _Health:
    """Logs when the store goes down (again every 30 s) and when it recovers."""

    def __init__(self, fail_open: bool) -> None:
        self.down = False
        self._fail_open = fail_open
        self._logged_at = -math.inf
        self._lock = threading.Lock()

    def failed(self, exc: RevocationStoreError) -> None:
        now = time.monotonic()

        with self._lock:
            if self.down and now - self._logged_at < _LOG_EVERY_SECONDS:
                return

            self.down = True
            self._logged_at = now

        consequence = (
            "tokens are accepted without the revocation check"
            " (JWT_ROUTER_REVOCATION_FAIL_OPEN)"
            if self._fail_open
            else "protected requests are answered 503 until it answers again"
        )
        logger.error("The revocation store is unreachable (%s); %s.", exc, consequence)

    def ok(self) -> None:
        if not self.down:
            return

        with self._lock:
            if not self.down:
                return

            self.down = False

        logger.warning("The revocation store answers again; revocation checks resume.")


# -- configuration -----------------------------------------------------------


def build_sessions(config: t.Mapping[str, t.Any], leeway: float) -> Sessions:
    """Read the session settings from the app's config.

    :raises ConfigurationError: naming the key, what was expected and the fix.
    """
    prefix = config.get("JWT_ROUTER_REVOCATION_PREFIX", "jwt_router:")

    if not isinstance(prefix, str):
        raise errors.ConfigurationError(
            f"JWT_ROUTER_REVOCATION_PREFIX must be a string such as 'myapp:',"
            f" got {prefix!r}."
        )

    fail_open = config.get("JWT_ROUTER_REVOCATION_FAIL_OPEN", False)

    if not isinstance(fail_open, bool):
        raise errors.ConfigurationError(
            f"JWT_ROUTER_REVOCATION_FAIL_OPEN must be True or False, got {fail_open!r}."
        )

    store = store_from_setting(
        config.get("JWT_ROUTER_REVOCATION_STORE", "memory"), prefix
    )

    return Sessions(
        store,
        fail_open=fail_open,
        refresh_expires=_refresh_expires(config.get("JWT_ROUTER_REFRESH_EXPIRES")),
        leeway=leeway,
    )


def _refresh_expires(value: object) -> timedelta:
    if value is None:
        return DEFAULT_REFRESH_EXPIRES

    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        seconds = -1.0

    if seconds <= 0:
        raise errors.ConfigurationError(
            f"JWT_ROUTER_REFRESH_EXPIRES must be a positive number of seconds or a"
            f" timedelta, got {value!r}. Remove it to use the default of 30 days."
        )

    return timedelta(seconds=seconds)


def refresh_route_path(config: t.Mapping[str, t.Any]) -> str | None:
    """The path of ``JWT_ROUTER_REFRESH_ROUTE``, checked; ``None`` when unset."""
    path = config.get("JWT_ROUTER_REFRESH_ROUTE")

    if path is None:
        return None

    if not isinstance(path, str) or not path.startswith("/"):
        raise errors.ConfigurationError(
            f"JWT_ROUTER_REFRESH_ROUTE must be a path starting with '/', such as"
            f" '/auth/refresh', got {path!r}."
        )

    return path


def add_refresh_route(
    app: Flask, path: str, exchange: t.Callable[[], TokenPair]
) -> RouteEntry:
    """Register ``POST path``, answering a new pair for a refresh token.

    :return: the entry that makes the route public to the route policy: the
        view itself insists on a refresh token.
    """

    def refresh_view() -> t.Any:
        pair = exchange()

        if refreshed_from_cookie():
            # A browser: the new pair goes back in HttpOnly cookies only.
            response = jsonify(token_type="cookie")
            set_access_cookies(response, pair.access_token)
            return set_refresh_cookies(response, pair.refresh_token)

        return jsonify(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",
        )

    app.add_url_rule(
        path, endpoint=REFRESH_ENDPOINT, view_func=refresh_view, methods=["POST"]
    )
    return RouteEntry("POST", path, "JWT_ROUTER_REFRESH_ROUTE")
