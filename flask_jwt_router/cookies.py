"""Tokens for browsers: HttpOnly cookies, CSRF double submit, per-view locations."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import time
import typing as t

import jwt
from flask import Response, current_app, g, has_request_context, request

from . import errors
from .transport import COOKIE, find_token, parse_locations

if t.TYPE_CHECKING:
    from flask import Flask

    from .settings import Settings

_T = t.TypeVar("_T")

#: The attribute :func:`token_locations` sets on a view, view class or blueprint.
LOCATIONS_ATTR = "_jwt_router_token_locations"

#: Set on ``g`` when the request's refresh token came in a cookie.
REFRESH_COOKIE_ATTR = "_jwt_router_refresh_cookie"

_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


@dataclasses.dataclass(frozen=True)
class CookieSettings:
    """How one app sets token cookies and checks CSRF values."""

    access_name: str
    refresh_name: str
    csrf_name: str
    refresh_csrf_name: str
    access_path: str
    refresh_path: str
    csrf_path: str
    domain: str | None
    secure: bool
    httponly: bool
    samesite: str | None
    session_cookies: bool
    clear_on_refusal: bool
    csrf_protect: bool
    csrf_methods: frozenset[str]
    csrf_header: str
    csrf_form_field: str | None
    #: Derived from the app's secret; keys the CSRF values. ``None`` when
    #: the app has no secret (asymmetric keys without ``SECRET_KEY``).
    csrf_key: bytes | None = dataclasses.field(repr=False)


def build_cookie_settings(
    config: t.Mapping[str, t.Any], token_locations: t.Container[str] = ()
) -> CookieSettings:
    """Read and validate the cookie and CSRF settings of one app.

    :param token_locations: the app's token locations; with ``"cookie"``
        among them, a secret for the CSRF values is required.
    :raises ConfigurationError: naming the key, what was expected and the fix.
    """
    from .settings import HTTP_METHODS

    def name(key: str, default: str) -> str:
        value = config.get(key, default)

        if not isinstance(value, str) or not _COOKIE_NAME.match(value):
            raise errors.ConfigurationError(
                f"{key} must be a cookie or header name made of letters, digits and"
                f" '-_.!#$%&'*+^`|~', got {value!r}. Remove it to use {default!r}."
            )

        return value

    def path(key: str) -> str:
        value = config.get(key, "/")

        if not isinstance(value, str) or not value.startswith("/"):
            raise errors.ConfigurationError(
                f"{key} must be a URL path starting with '/', got {value!r}."
            )

        return value

    def flag(key: str, default: bool) -> bool:
        value = config.get(key, default)

        if not isinstance(value, bool):
            raise errors.ConfigurationError(
                f"{key} must be True or False, got {value!r}."
            )

        return value

    names = {
        "access_name": name("JWT_ROUTER_ACCESS_COOKIE_NAME", "jwt_router_access"),
        "refresh_name": name("JWT_ROUTER_REFRESH_COOKIE_NAME", "jwt_router_refresh"),
        "csrf_name": name("JWT_ROUTER_CSRF_COOKIE_NAME", "jwt_router_csrf"),
        "refresh_csrf_name": name(
            "JWT_ROUTER_REFRESH_CSRF_COOKIE_NAME", "jwt_router_refresh_csrf"
        ),
    }

    if len(set(names.values())) != len(names):
        raise errors.ConfigurationError(
            "JWT_ROUTER_ACCESS_COOKIE_NAME, JWT_ROUTER_REFRESH_COOKIE_NAME,"
            " JWT_ROUTER_CSRF_COOKIE_NAME and JWT_ROUTER_REFRESH_CSRF_COOKIE_NAME"
            f" must be four different names, got {sorted(names.values())}."
        )

    domain = config.get("JWT_ROUTER_COOKIE_DOMAIN")

    if domain is not None and (not isinstance(domain, str) or "/" in domain):
        raise errors.ConfigurationError(
            "JWT_ROUTER_COOKIE_DOMAIN must be a host name such as 'example.com'"
            f" (no scheme, no path), or None for the current host, got {domain!r}."
        )

    secure = flag("JWT_ROUTER_COOKIE_SECURE", True)
    samesite = _samesite(config.get("JWT_ROUTER_COOKIE_SAMESITE", "Lax"), secure)
    paths = {
        "access_path": path("JWT_ROUTER_ACCESS_COOKIE_PATH"),
        "refresh_path": path("JWT_ROUTER_REFRESH_COOKIE_PATH"),
        "csrf_path": path("JWT_ROUTER_CSRF_COOKIE_PATH"),
    }
    _check_prefixes(names, paths, domain, secure)

    methods = config.get("JWT_ROUTER_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE"))

    if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
        raise errors.ConfigurationError(
            "JWT_ROUTER_CSRF_METHODS must be a list of HTTP methods, such as"
            f" ['POST', 'PUT', 'PATCH', 'DELETE'], got {methods!r}."
        )

    csrf_methods = frozenset(method.strip().upper() for method in methods)
    unknown = csrf_methods - HTTP_METHODS

    if unknown:
        raise errors.ConfigurationError(
            f"JWT_ROUTER_CSRF_METHODS names {sorted(unknown)}, which are not HTTP"
            f" methods; use some of {', '.join(sorted(HTTP_METHODS))}."
        )

    form_field = config.get("JWT_ROUTER_CSRF_FORM_FIELD")

    if form_field is not None and (not isinstance(form_field, str) or not form_field):
        raise errors.ConfigurationError(
            "JWT_ROUTER_CSRF_FORM_FIELD must be the name of a form field, such as"
            f" 'csrf_token', or None to accept the CSRF value in a header only,"
            f" got {form_field!r}."
        )

    csrf_key = _csrf_key(config)

    if csrf_key is None and COOKIE in token_locations:
        raise errors.ConfigurationError(_NO_CSRF_KEY)

    return CookieSettings(
        **names,
        **paths,
        domain=domain,
        secure=secure,
        httponly=flag("JWT_ROUTER_COOKIE_HTTPONLY", True),
        samesite=samesite,
        session_cookies=flag("JWT_ROUTER_SESSION_COOKIES", False),
        clear_on_refusal=flag("JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL", False),
        csrf_protect=flag("JWT_ROUTER_CSRF_PROTECT", True),
        csrf_methods=csrf_methods,
        csrf_header=name("JWT_ROUTER_CSRF_HEADER", "X-CSRF-Token"),
        csrf_form_field=form_field,
        csrf_key=csrf_key,
    )


_NO_CSRF_KEY = (
    "Tokens in cookies need CSRF values, which are keyed with"
    " JWT_ROUTER_SECRET_KEY or SECRET_KEY, and neither is set (the app signs"
    " tokens with asymmetric keys). Set SECRET_KEY to a long random string."
)


def _csrf_key(config: t.Mapping[str, t.Any]) -> bytes | None:
    # The same secret an HMAC app signs with; apps on asymmetric keys still
    # have Flask's SECRET_KEY in most cases.
    for name in ("JWT_ROUTER_SECRET_KEY", "SECRET_KEY"):
        secret = config.get(name)

        if isinstance(secret, str) and secret:
            secret = secret.encode()

        if isinstance(secret, bytes) and secret:
            return hmac.new(secret, b"flask-jwt-router csrf", hashlib.sha256).digest()

    return None


def _samesite(value: object, secure: bool) -> str | None:
    if value is None:
        return None

    canonical = _SAMESITE.get(value.lower()) if isinstance(value, str) else None

    if canonical is None:
        raise errors.ConfigurationError(
            "JWT_ROUTER_COOKIE_SAMESITE must be 'Strict', 'Lax', 'None' or None"
            f" (no attribute), got {value!r}."
        )

    if canonical == "None" and not secure:
        raise errors.ConfigurationError(
            "JWT_ROUTER_COOKIE_SAMESITE='None' needs JWT_ROUTER_COOKIE_SECURE=True:"
            " browsers drop SameSite=None cookies that are not Secure."
        )

    return canonical


def _check_prefixes(
    names: dict[str, str], paths: dict[str, str], domain: str | None, secure: bool
) -> None:
    # Browsers drop cookies whose name prefix promises more than they carry.
    cookies = [
        (names["access_name"], paths["access_path"]),
        (names["refresh_name"], paths["refresh_path"]),
        (names["csrf_name"], paths["csrf_path"]),
        (names["refresh_csrf_name"], paths["csrf_path"]),
    ]

    for cookie, cookie_path in cookies:
        host_only = cookie.startswith("__Host-")

        if (host_only or cookie.startswith("__Secure-")) and not secure:
            raise errors.ConfigurationError(
                f"The cookie name {cookie!r} needs JWT_ROUTER_COOKIE_SECURE=True;"
                " browsers drop '__Secure-' and '__Host-' cookies that are not Secure."
            )

        if host_only and (domain is not None or cookie_path != "/"):
            raise errors.ConfigurationError(
                f"The cookie name {cookie!r} needs path '/' and no"
                " JWT_ROUTER_COOKIE_DOMAIN; browsers drop '__Host-' cookies otherwise."
            )


# -- per-view token locations ---------------------------------------------


def token_locations(*locations: str) -> t.Callable[[_T], _T]:
    """Choose where one view, view class or blueprint accepts its token.

    The list replaces ``JWT_ROUTER_TOKEN_LOCATION`` for what it decorates: a
    view's own list wins over its blueprint's, an inner blueprint's over an
    outer one's. ::

        @app.post("/api/orders")
        @token_locations("header")
        def create_order(): ...

        token_locations("cookie")(pages_blueprint)

    :param locations: some of ``"header"``, ``"query"`` and ``"cookie"``.
    :raises ConfigurationError: on an unknown or repeated location.
    """
    accepted = parse_locations(list(locations), "token_locations()")

    def mark(target: _T) -> _T:
        setattr(target, LOCATIONS_ATTR, accepted)
        return target

    return mark


def _view_limits(app: Flask) -> dict[str, tuple[str, ...]]:
    """The endpoints whose view or blueprint chose its own token locations."""
    limits = {}

    for endpoint, view in app.view_functions.items():
        accepted = getattr(view, LOCATIONS_ATTR, None)
        accepted = accepted or getattr(
            getattr(view, "view_class", None), LOCATIONS_ATTR, None
        )
        blueprint = endpoint

        while accepted is None and "." in blueprint:
            blueprint = blueprint.rpartition(".")[0]
            accepted = getattr(app.blueprints.get(blueprint), LOCATIONS_ATTR, None)

        if accepted is not None:
            limits[endpoint] = accepted

    return limits


class TokenReader:
    """Finds the token of a request for one app, CSRF check included.

    Built once per app: a request costs one dict lookup for its view's
    locations.
    """

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.default = settings.token_locations
        self.cookies = settings.cookies
        self._limits = _view_limits(app)

        if self.cookies.csrf_key is None:
            for endpoint, locations in self._limits.items():
                if COOKIE in locations:
                    raise errors.ConfigurationError(
                        f"The view {endpoint!r} reads tokens from a cookie. "
                        + _NO_CSRF_KEY
                    )

    def locations(self, endpoint: str | None) -> tuple[str, ...]:
        """The token locations of the view behind ``endpoint``."""
        if endpoint is None:
            return self.default

        return self._limits.get(endpoint, self.default)

    def token(self, req: t.Any, cookie_allowed: bool = True) -> str | None:
        """The request's token, or ``None`` when it carries none.

        :param cookie_allowed: ``False`` on ignored routes, which never read
            a token cookie.
        :raises AuthError: on a malformed or conflicting token, or a
            cookie-borne token on a state-changing request without its CSRF
            value.
        """
        locations = self.default

        if self._limits:
            rule = req.url_rule
            locations = self.locations(None if rule is None else rule.endpoint)

        if not cookie_allowed and COOKIE in locations:
            locations = tuple(where for where in locations if where != COOKIE)

        found = find_token(req, locations, self.cookies.access_name)

        if found is None:
            return None

        if found.cookie_only:
            _check_csrf(req, self.cookies, found.token, self.cookies.csrf_name)

        return found.token

    def refresh_token(self, req: t.Any) -> str | None:
        """The request's refresh token, as :meth:`token` finds an access token.

        The refresh cookie stands in for the access cookie, and its own CSRF
        value is checked.
        """
        rule = req.url_rule
        locations = self.locations(None if rule is None else rule.endpoint)
        found = find_token(req, locations, self.cookies.refresh_name)
        setattr(g, REFRESH_COOKIE_ATTR, found is not None and found.cookie_only)

        if found is None:
            return None

        if found.cookie_only:
            _check_csrf(req, self.cookies, found.token, self.cookies.refresh_csrf_name)

        return found.token

    def after_refusal(
        self, req: t.Any, error: errors.AuthError, response: Response
    ) -> Response:
        """Clear the access cookies when the app asks for it and they failed.

        :param response: what the error handler returned; a view-style return
            value (a tuple, a string) is made a response first.
        """
        if not self.cookies.clear_on_refusal or error.code != 401:
            return response

        if not has_request_context():
            return response

        rule = req.url_rule
        endpoint = None if rule is None else rule.endpoint

        if COOKIE not in self.locations(endpoint):
            return response

        if self.cookies.access_name not in req.cookies:
            return response

        cleared = current_app.make_response(response)
        _unset(cleared, self.cookies, refresh=False)
        return cleared


def _check_csrf(req: t.Any, settings: CookieSettings, token: str, cookie: str) -> None:
    if not settings.csrf_protect or req.method not in settings.csrf_methods:
        return

    sent = req.headers.get(settings.csrf_header)

    if sent is None and settings.csrf_form_field and req.mimetype in _FORM_TYPES:
        sent = req.form.get(settings.csrf_form_field)

    if not sent:
        where = f"the {settings.csrf_header!r} header"

        if settings.csrf_form_field:
            where += f" or the {settings.csrf_form_field!r} form field"

        raise errors.CsrfFailed(
            f"This request sends its token in a cookie, so it must echo the value"
            f" of the {cookie!r} cookie in {where}."
        )

    expected = csrf_value(settings, token)

    if not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode()):
        raise errors.CsrfFailed(
            "The CSRF value does not belong to the request's token."
        )


def csrf_value(settings: CookieSettings, token: str) -> str:
    """The CSRF value bound to ``token``: a keyed hash only this app can make."""
    if settings.csrf_key is None:
        raise errors.ConfigurationError(_NO_CSRF_KEY)

    digest = hmac.new(settings.csrf_key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


# -- helpers for views ------------------------------------------------------


def _settings() -> CookieSettings:
    from .extension import _state

    return _state().ready().settings.cookies


def set_access_cookies(
    response: Response, token: str, max_age: int | None = None
) -> Response:
    """Put the access ``token`` on ``response`` as an HttpOnly cookie.

    A readable CSRF cookie goes with it, holding the value that state-changing
    requests must echo. Both expire with the token unless ``max_age`` (seconds)
    is given or ``JWT_ROUTER_SESSION_COOKIES`` is set.

    :returns: ``response``, for chaining.
    """
    settings = _settings()
    _set_pair(
        response,
        settings,
        (settings.access_name, settings.access_path),
        settings.csrf_name,
        token,
        max_age,
    )
    return response


def set_refresh_cookies(
    response: Response, token: str, max_age: int | None = None
) -> Response:
    """Put a refresh ``token`` on ``response`` as an HttpOnly cookie.

    Works with any token string; read it back with
    :func:`refresh_token_from_cookie`. Narrow ``JWT_ROUTER_REFRESH_COOKIE_PATH``
    to the refresh endpoint so the browser sends it nowhere else.

    :returns: ``response``, for chaining.
    """
    settings = _settings()
    _set_pair(
        response,
        settings,
        (settings.refresh_name, settings.refresh_path),
        settings.refresh_csrf_name,
        token,
        max_age,
    )
    return response


def unset_access_cookies(response: Response) -> Response:
    """Tell the browser to drop the access token and its CSRF cookie."""
    _unset(response, _settings(), refresh=False)
    return response


def unset_refresh_cookies(response: Response) -> Response:
    """Tell the browser to drop the refresh token and its CSRF cookie."""
    settings = _settings()
    _delete(response, settings, settings.refresh_name, settings.refresh_path, True)
    _delete(response, settings, settings.refresh_csrf_name, settings.csrf_path, False)
    return response


def unset_jwt_cookies(response: Response) -> Response:
    """Tell the browser to drop every token cookie of this library (log out)."""
    _unset(response, _settings(), refresh=True)
    return response


def refreshed_from_cookie() -> bool:
    """Whether the current request's refresh token came in the refresh cookie.

    A refresh view then answers the new tokens in cookies, not in its body:
    the browser's scripts must not see them.
    """
    return bool(has_request_context() and g.get(REFRESH_COOKIE_ATTR))


def csrf_token(token: str | None = None) -> str | None:
    """The CSRF value for ``token``, for a hidden form field in a rendered page.

    Without ``token``, the value for the access cookie of the current request,
    or ``None`` when the request has none.
    """
    settings = _settings()

    if token is None:
        if not has_request_context():
            return None

        token = request.cookies.get(settings.access_name)

        if not token:
            return None

    return csrf_value(settings, token)


def refresh_token_from_cookie() -> str | None:
    """The refresh token of the current request's cookie, CSRF checked.

    A state-changing request must echo the value of the refresh CSRF cookie,
    as with access tokens.

    :raises CsrfFailed: when it does not.
    """
    settings = _settings()
    token = request.cookies.get(settings.refresh_name)

    if not token:
        return None

    _check_csrf(request, settings, token, settings.refresh_csrf_name)
    return token


def _set_pair(
    response: Response,
    settings: CookieSettings,
    token_cookie: tuple[str, str],
    csrf_cookie: str,
    token: str,
    max_age: int | None,
) -> None:
    if not isinstance(token, str) or not token:
        raise errors.UsageError(
            f"A token cookie needs the token as a non-empty str, got {token!r}."
        )

    if max_age is None and not settings.session_cookies:
        max_age = _lifetime(token)

    name, path = token_cookie
    common: dict[str, t.Any] = {
        "max_age": max_age,
        "domain": settings.domain,
        "secure": settings.secure,
        "samesite": settings.samesite,
    }
    response.set_cookie(name, token, path=path, httponly=settings.httponly, **common)
    response.set_cookie(
        csrf_cookie, csrf_value(settings, token), path=settings.csrf_path, **common
    )


def _lifetime(token: str) -> int | None:
    # The token is the app's own, about to be sent; only its expiry is read.
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return None

    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None

    return max(0, int(exp - time.time()))


def _unset(response: Response, settings: CookieSettings, refresh: bool) -> None:
    _delete(response, settings, settings.access_name, settings.access_path, True)
    _delete(response, settings, settings.csrf_name, settings.csrf_path, False)

    if refresh:
        _delete(response, settings, settings.refresh_name, settings.refresh_path, True)
        _delete(
            response, settings, settings.refresh_csrf_name, settings.csrf_path, False
        )


def _delete(
    response: Response, settings: CookieSettings, name: str, path: str, httponly: bool
) -> None:
    response.delete_cookie(
        name,
        path=path,
        domain=settings.domain,
        secure=settings.secure,
        httponly=httponly and settings.httponly,
        samesite=settings.samesite,
    )
