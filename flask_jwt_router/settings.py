"""One frozen settings object per app, read from ``app.config`` and options."""

from __future__ import annotations

import dataclasses
import logging
import typing as t
from datetime import timedelta

from .cookies import CookieSettings, build_cookie_settings
from .errors import ConfigurationError
from .keys import HMAC_ALGORITHMS, parse_algorithm, secret_key
from .routing import check_entry_path
from .transport import DEFAULT_LOCATIONS, parse_locations

logger = logging.getLogger(__name__)

HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
DEFAULT_EXPIRE_DAYS = 30
MAX_EXPIRE_DAYS = 36500


@dataclasses.dataclass(frozen=True)
class RouteEntry:
    """One ``(METHOD, path)`` pair from a whitelist or the ignore list."""

    method: str
    path: str
    #: Where it came from, for messages: ``"WHITE_LIST_ROUTES[2]"``.
    source: str

    def __str__(self) -> str:
        return f"({self.method!r}, {self.path!r}) from {self.source}"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated configuration of one app."""

    #: The HMAC secret of an app with one HMAC key; ``None`` otherwise (the
    #: keys themselves live in the key ring, see ``keys.py``).
    secret_key: str | bytes | None
    algorithm: str
    white_list: tuple[RouteEntry, ...]
    ignored: tuple[RouteEntry, ...]
    api_name: str
    entity_key: str
    expires: timedelta
    leeway: timedelta
    realm: str
    max_token_bytes: int
    #: Where tokens are read, in order, unless a view chooses its own.
    token_locations: tuple[str, ...]
    cookies: CookieSettings
    #: ``iss`` written into tokens and required of them.
    issuer: str | None = None
    #: ``aud`` written into tokens; a token must name one of these.
    audience: tuple[str, ...] | None = None
    #: Tokens whose ``exp`` lies further ahead than this are refused.
    max_lifetime: timedelta | None = None


def build_settings(config: t.Mapping[str, t.Any], *, log: bool = True) -> Settings:
    """Read and validate the app's config.

    :param log: whether to log what was normalised; ``init_app`` checks the
        config quietly, and the full build before the first request logs.
    :raises ConfigurationError: naming the key, what was expected and the fix.
    """
    algorithm = parse_algorithm(config.get("JWT_ROUTER_ALGORITHM"))
    secret_key = None

    if algorithm in HMAC_ALGORITHMS and config.get("JWT_ROUTER_KEYS") is None:
        secret_key = _secret_key(config)

    api_name = _api_name(config.get("JWT_ROUTER_API_NAME"))
    white_list = _route_entries(config, "WHITE_LIST_ROUTES", api_name, log)
    ignored = _route_entries(config, "IGNORED_ROUTES", "", log)
    entity_key = config.get("ENTITY_KEY", "id")

    if not isinstance(entity_key, str) or not entity_key:
        raise ConfigurationError(
            f"ENTITY_KEY must be a non-empty string naming the primary key claim,"
            f" got {entity_key!r}. Remove it to use the default 'id'."
        )

    expires = _expires(config)
    leeway = _seconds(config, "JWT_ROUTER_LEEWAY", default=5, allow_zero=True)
    max_lifetime = _max_lifetime(config, expires)
    token_locations = parse_locations(
        config.get("JWT_ROUTER_TOKEN_LOCATION", DEFAULT_LOCATIONS),
        "JWT_ROUTER_TOKEN_LOCATION",
    )

    return Settings(
        secret_key=secret_key,
        algorithm=algorithm,
        white_list=white_list,
        ignored=ignored,
        api_name=api_name,
        entity_key=entity_key,
        expires=expires,
        leeway=timedelta(seconds=leeway),
        realm=_realm(config.get("JWT_ROUTER_REALM", "api")),
        max_token_bytes=_max_token_bytes(config.get("JWT_ROUTER_MAX_TOKEN_BYTES")),
        token_locations=token_locations,
        cookies=build_cookie_settings(config, token_locations),
        issuer=_issuer(config.get("JWT_ROUTER_ISSUER")),
        audience=_audience(config.get("JWT_ROUTER_AUDIENCE")),
        max_lifetime=max_lifetime,
    )


def check_secret_key(config: t.Mapping[str, t.Any]) -> None:
    """Fail early, at ``init_app``, when no signing secret is configured."""
    _secret_key(config)


def _secret_key(config: t.Mapping[str, t.Any]) -> str | bytes:

    return secret_key(config)[0]


def _api_name(value: object) -> str:
    if value is None or value == "":
        return ""

    if not isinstance(value, str):
        raise ConfigurationError(
            f"JWT_ROUTER_API_NAME must be a string such as '/api/v1', got {value!r}."
        )

    stripped = value.strip("/")
    return "/" + stripped if stripped else ""


def _route_entries(
    config: t.Mapping[str, t.Any], key: str, prefix: str, log: bool
) -> tuple[RouteEntry, ...]:
    raw = config.get(key) or []

    if isinstance(raw, (str, bytes)) or not isinstance(raw, t.Iterable):
        raise ConfigurationError(
            f"{key} must be a list of (METHOD, path) tuples, such as"
            f" [('POST', '/register')], got {raw!r}."
        )

    entries = []

    for index, item in enumerate(raw):
        source = f"{key}[{index}]"
        method, path = _route_pair(item, source)

        if not path.startswith("/"):
            if log:
                logger.warning(
                    "%s: path %r has no leading slash; it is read as %r.",
                    source,
                    path,
                    "/" + path,
                )
            path = "/" + path

        if prefix:
            path = prefix + "/" + path.lstrip("/")

        entries.append(RouteEntry(method, path, source))

    return tuple(entries)


def _route_pair(item: object, source: str) -> tuple[str, str]:
    if not (
        isinstance(item, (tuple, list))
        and len(item) == 2
        and all(isinstance(part, str) for part in item)
    ):
        raise ConfigurationError(
            f"{source} must be a (METHOD, path) tuple of two strings, such as"
            f" ('GET', '/users/<int:user_id>'), got {item!r}."
        )

    raw_method, raw_path = item
    method = raw_method.strip().upper()

    if method not in HTTP_METHODS:
        raise ConfigurationError(
            f"{source} names the HTTP method {raw_method!r}, which is not one of"
            f" {', '.join(sorted(HTTP_METHODS))}."
        )

    if not raw_path.strip():
        raise ConfigurationError(f"{source} has an empty path; write it as '/...'.")

    check_entry_path(raw_path, source)

    return method, raw_path.strip()


def _expire_days(value: object) -> timedelta:
    if value is None:
        return timedelta(days=DEFAULT_EXPIRE_DAYS)

    # NaN is not positive; infinity is no lifetime.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= MAX_EXPIRE_DAYS
    ):
        raise ConfigurationError(
            f"JWT_EXPIRE_DAYS must be a positive number of days (at most"
            f" {MAX_EXPIRE_DAYS}), got {value!r}. Remove it to use the default"
            f" of {DEFAULT_EXPIRE_DAYS}."
        )

    return timedelta(days=value)


def _expires(config: t.Mapping[str, t.Any]) -> timedelta:
    value = config.get("JWT_ROUTER_ACCESS_EXPIRES")

    if value is None:
        return _expire_days(config.get("JWT_EXPIRE_DAYS"))

    if config.get("JWT_EXPIRE_DAYS") is not None:
        raise ConfigurationError(
            "Both JWT_ROUTER_ACCESS_EXPIRES and JWT_EXPIRE_DAYS are set; they say"
            " the same thing. Keep JWT_ROUTER_ACCESS_EXPIRES and remove"
            " JWT_EXPIRE_DAYS."
        )

    seconds = _seconds(config, "JWT_ROUTER_ACCESS_EXPIRES", 0, allow_zero=False)

    # NaN and infinity are no lifetime.
    if not seconds <= MAX_EXPIRE_DAYS * 86400:
        raise ConfigurationError(
            "JWT_ROUTER_ACCESS_EXPIRES must be at most"
            f" {MAX_EXPIRE_DAYS} days, got {seconds!r} seconds."
        )

    return timedelta(seconds=seconds)


def _max_lifetime(
    config: t.Mapping[str, t.Any], expires: timedelta
) -> timedelta | None:
    if config.get("JWT_ROUTER_MAX_LIFETIME") is None:
        return None

    seconds = _seconds(config, "JWT_ROUTER_MAX_LIFETIME", 0, allow_zero=False)

    if not seconds <= MAX_EXPIRE_DAYS * 86400:
        raise ConfigurationError(
            f"JWT_ROUTER_MAX_LIFETIME must be at most {MAX_EXPIRE_DAYS} days,"
            f" got {seconds!r} seconds. Remove it for no limit beyond that."
        )
    max_lifetime = timedelta(seconds=seconds)

    if expires > max_lifetime:
        raise ConfigurationError(
            f"The token lifetime ({expires}) is longer than JWT_ROUTER_MAX_LIFETIME"
            f" ({max_lifetime}), so the app would refuse its own tokens. Shorten"
            " JWT_ROUTER_ACCESS_EXPIRES (or JWT_EXPIRE_DAYS) or raise"
            " JWT_ROUTER_MAX_LIFETIME."
        )

    return max_lifetime


def _issuer(value: object) -> str | None:
    if value is None:
        return None

    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            "JWT_ROUTER_ISSUER must be a non-empty string such as"
            f" 'https://auth.example.com', got {value!r}."
        )

    return value


def _audience(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None

    items = [value] if isinstance(value, str) else value

    if (
        not isinstance(items, (list, tuple))
        or not items
        or not all(isinstance(item, str) and item for item in items)
    ):
        raise ConfigurationError(
            "JWT_ROUTER_AUDIENCE must be a non-empty string or a list of them,"
            f" such as 'orders-api' or ['orders-api', 'admin'], got {value!r}."
        )

    return tuple(items)


def _seconds(
    config: t.Mapping[str, t.Any], key: str, default: float, allow_zero: bool
) -> float:
    value = config.get(key, default)

    if isinstance(value, timedelta):
        value = value.total_seconds()

    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    # NaN fails every comparison, so it fails these too.
    in_range = is_number and 0 <= value < _MAX_SECONDS and (allow_zero or value > 0)

    if not in_range:
        lower = "zero or more" if allow_zero else "more than zero"
        raise ConfigurationError(
            f"{key} must be a number of seconds ({lower}, finite) or a timedelta,"
            f" got {value!r}."
        )

    return float(value)


#: About a hundred years, the longest span any duration setting may take.
_MAX_SECONDS = 100 * 366 * 24 * 3600


def _realm(value: object) -> str:
    # The realm is a quoted header parameter: quotes and backslashes are
    # replaced; anything but printable ASCII (a line break above all, which
    # the server would refuse on every refusal) is a configuration error.
    if isinstance(value, str):
        value = value.replace('"', "'").replace("\\", "/")

    if not (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and all(" " <= char <= "~" for char in value)
    ):
        raise ConfigurationError(
            f"JWT_ROUTER_REALM must be a short string of printable ASCII, such as"
            f" 'api', got {value!r}."
        )

    return value


def _max_token_bytes(value: object) -> int:
    if value is None:
        return 8192

    if isinstance(value, bool) or not isinstance(value, int) or value < 256:
        raise ConfigurationError(
            f"JWT_ROUTER_MAX_TOKEN_BYTES must be a whole number of bytes, at least"
            f" 256 (default 8192), got {value!r}."
        )

    return value
