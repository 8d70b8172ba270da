"""Cookie helpers, the CSRF double submit and refusals, through Flask's test client."""

from __future__ import annotations

import time
import typing as t

import jwt
import pytest
from flask import Flask, Response, jsonify

from flask_jwt_router import (
    ConfigurationError,
    UsageError,
    csrf_token,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    unset_refresh_cookies,
)

ACCESS = "jwt_router_access"
CSRF = "jwt_router_csrf"
COOKIES = {"JWT_ROUTER_TOKEN_LOCATION": ["header", "cookie"]}
STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"]


def set_cookies(response: t.Any) -> dict[str, dict[str, str]]:
    """The ``Set-Cookie`` headers of ``response``: name -> attributes."""
    cookies = {}

    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = header.split("; ")
        name, _, value = first.partition("=")
        attributes = {"value": value}

        for part in rest:
            key, _, attribute = part.partition("=")
            attributes[key.lower()] = attribute or "true"

        cookies[name] = attributes

    return cookies


def logged_in(app: Flask, member: int = 1) -> tuple[t.Any, str, str]:
    """A test client holding the cookies of ``member``; and its token and CSRF."""
    client = app.test_client()
    response = client.post(f"/login?member={member}")
    assert response.status_code == 200
    csrf = client.get_cookie(CSRF)
    assert csrf is not None
    return client, response.json["token"], csrf.value


# -- CSRF ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_need_no_csrf_value(
    make_app: t.Callable[..., Flask], method: str
) -> None:
    client, _, _ = logged_in(make_app(**COOKIES))

    assert client.open("/items", method=method).status_code == 200


@pytest.mark.parametrize("method", STATE_CHANGING)
def test_state_changing_methods_must_echo_the_csrf_value(
    make_app: t.Callable[..., Flask], method: str
) -> None:
    client, _, csrf = logged_in(make_app(**COOKIES))

    missing = client.open("/items", method=method)
    assert missing.status_code == 403
    assert missing.json["error"] == "csrf_failed"
    assert "X-CSRF-Token" in missing.json["message"]
    assert "jwt_router_csrf" in missing.json["message"]

    wrong = client.open("/items", method=method, headers={"X-CSRF-Token": "x" * 32})
    assert wrong.status_code == 403
    assert wrong.json["error"] == "csrf_failed"

    right = client.open("/items", method=method, headers={"X-CSRF-Token": csrf})
    assert right.json == {"member": "one", "method": method}


def test_a_csrf_value_from_another_session_fails(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(**COOKIES)
    alice, _, alice_csrf = logged_in(app, 1)
    bob, _, bob_csrf = logged_in(app, 2)
    again, _, again_csrf = logged_in(app, 1)

    assert alice_csrf not in (bob_csrf, again_csrf)
    assert alice.post("/items", headers={"X-CSRF-Token": bob_csrf}).status_code == 403
    assert alice.post("/items", headers={"X-CSRF-Token": again_csrf}).status_code == 403
    assert alice.post("/items", headers={"X-CSRF-Token": alice_csrf}).status_code == 200


def test_a_header_token_needs_no_csrf_value(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(**COOKIES)
    headers = {"Authorization": f"Bearer {token_for(app)}"}

    for method in STATE_CHANGING:
        assert app.test_client().open("/items", method=method, headers=headers).json[
            "method"
        ] == (method)


@pytest.mark.parametrize(
    "value", ["é" * 32, "\x00", "a" * 5000, "", "Bearer x", "jwt_router_csrf"]
)
def test_odd_csrf_values_are_403_never_500(
    make_app: t.Callable[..., Flask], value: str
) -> None:
    client, _, _ = logged_in(make_app(**COOKIES))

    response = client.post("/items", headers={"X-CSRF-Token": value})

    assert response.status_code == 403
    assert response.json["error"] == "csrf_failed"


def test_the_form_field_counts_only_when_enabled(
    make_app: t.Callable[..., Flask],
) -> None:
    client, _, csrf = logged_in(make_app(**COOKIES))
    assert client.post("/items", data={"csrf_token": csrf}).status_code == 403

    app = make_app(JWT_ROUTER_CSRF_FORM_FIELD="csrf_token", **COOKIES)
    client, _, csrf = logged_in(app)
    assert client.post("/items", data={"csrf_token": csrf}).status_code == 200
    assert client.post("/items", data={"csrf_token": "nope"}).status_code == 403
    assert client.post("/items", data={"other": csrf}).status_code == 403
    # A JSON body is no form: a field in it counts for nothing.
    assert client.post("/items", json={"csrf_token": csrf}).status_code == 403
    # Multipart forms (file uploads) work too; the header still wins.
    multipart = client.post(
        "/items",
        data={"csrf_token": csrf},
        content_type="multipart/form-data",
    )
    assert multipart.status_code == 200
    header_wins = client.post(
        "/items", data={"csrf_token": csrf}, headers={"X-CSRF-Token": "x"}
    )
    assert header_wins.status_code == 403


def test_csrf_methods_and_header_are_configurable(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(
        JWT_ROUTER_CSRF_METHODS=["post", "DELETE", "GET"],
        JWT_ROUTER_CSRF_HEADER="X-XSRF-TOKEN",
        **COOKIES,
    )
    client, _, csrf = logged_in(app)

    assert client.put("/items").status_code == 200
    assert client.get("/items").status_code == 403
    assert client.delete("/items", headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.delete("/items", headers={"X-XSRF-Token": csrf}).status_code == 200


def test_csrf_protection_can_be_switched_off(
    make_app: t.Callable[..., Flask],
) -> None:
    client, _, _ = logged_in(make_app(JWT_ROUTER_CSRF_PROTECT=False, **COOKIES))

    assert client.post("/items").json == {"member": "one", "method": "POST"}


def test_csrf_is_checked_before_the_token_is_verified(
    make_app: t.Callable[..., Flask],
) -> None:
    # A cross-site request learns nothing about the token, and costs no query.
    app = make_app(**COOKIES)
    client = app.test_client()
    client.set_cookie(ACCESS, "not-a-token")

    assert client.post("/items").json["error"] == "csrf_failed"
    assert client.get("/items").json["error"] == "token_malformed"


def test_update_token_on_a_public_route_checks_csrf(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(**COOKIES)
    client, token, csrf = logged_in(app)

    refused = client.post("/renew")
    assert refused.status_code == 403
    assert refused.json["error"] == "csrf_failed"

    renewed = client.post("/renew", headers={"X-CSRF-Token": csrf})
    assert renewed.status_code == 200
    claims = jwt.decode(renewed.json["token"], options={"verify_signature": False})
    assert claims["id"] == 1


# -- ignored routes and refusals --------------------------------------------


def test_ignored_routes_never_read_the_token_cookie(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL=True, **COOKIES)
    client, token, _ = logged_in(app)

    # Not verified, no CSRF asked, nothing on g, and update_token finds nothing.
    for method in ("GET", "POST"):
        response = client.open("/home", method=method)
        assert response.json == {"member": None, "token": None}
        assert "Set-Cookie" not in response.headers

    client.set_cookie(ACCESS, "forged")
    assert client.post("/home").json == {"member": None, "token": None}

    header = {"Authorization": f"Bearer {token_for(app)}"}
    assert client.get("/home", headers=header).json["token"] is not None


@pytest.mark.parametrize("clear", [False, True])
def test_a_refusal_clears_cookies_only_when_asked(
    make_app: t.Callable[..., Flask], clear: bool
) -> None:
    app = make_app(JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL=clear, **COOKIES)
    secret = app.config["SECRET_KEY"]
    expired = jwt.encode(
        {"table_name": "members", "id": 1, "exp": int(time.time()) - 3600},
        secret,
        algorithm="HS256",
    )
    client = app.test_client()
    client.set_cookie(ACCESS, expired)
    client.set_cookie(CSRF, "whatever")
    client.set_cookie("jwt_router_refresh", "kept")

    response = client.get("/items")

    assert response.status_code == 401
    assert response.json["error"] == "token_expired"
    cleared = set_cookies(response)

    if clear:
        assert set(cleared) == {ACCESS, CSRF}
        assert cleared[ACCESS]["max-age"] == "0"
        assert cleared[ACCESS]["httponly"] == "true"
        assert client.get_cookie(ACCESS) is None
        assert client.get_cookie("jwt_router_refresh") is not None
    else:
        assert cleared == {}
        assert client.get_cookie(ACCESS) is not None


def test_refusals_that_do_not_condemn_the_cookie_never_clear_it(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL=True, **COOKIES)
    client, _, _ = logged_in(app)

    # A cross-site post must not be able to log the user out.
    assert client.post("/items").status_code == 403
    # A conflicting header says nothing about which token is good.
    other = {"Authorization": f"Bearer {token_for(app, 2)}"}
    assert client.get("/items", headers=other).status_code == 400
    # A view that reads no cookie has not looked at it.
    assert client.get("/api-only").status_code == 401

    assert client.get_cookie(ACCESS) is not None
    assert client.get("/items").status_code == 200


def test_a_custom_error_handler_still_gets_cookies_cleared(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL=True, **COOKIES)

    @app.extensions["test_jwt_routes"].error_handler
    def handle(error: t.Any) -> t.Any:
        return jsonify(custom=error.error), error.code

    client = app.test_client()
    client.set_cookie(ACCESS, "forged.token.value")

    response = client.get("/items")

    assert response.json == {"custom": "token_malformed"}
    assert ACCESS in set_cookies(response)


# -- cookie helpers ---------------------------------------------------------


def test_default_cookie_attributes(make_app: t.Callable[..., Flask]) -> None:
    response = make_app().test_client().post("/login")
    cookies = set_cookies(response)
    token = response.json["token"]
    access, csrf = cookies[ACCESS], cookies[CSRF]

    assert access["value"] == token
    assert access["httponly"] == access["secure"] == "true"
    assert access["samesite"] == "Lax"
    assert access["path"] == "/"
    assert "domain" not in access
    # The cookie lives as long as the token: 30 days by default.
    assert 30 * 86400 - 60 < int(access["max-age"]) <= 30 * 86400

    assert "httponly" not in csrf
    assert csrf["secure"] == "true"
    assert csrf["max-age"] == access["max-age"]
    assert len(csrf["value"]) == 32


def test_cookie_attributes_are_configurable(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(
        JWT_ROUTER_ACCESS_COOKIE_NAME="__Secure-at",
        JWT_ROUTER_CSRF_COOKIE_NAME="xsrf",
        JWT_ROUTER_ACCESS_COOKIE_PATH="/api",
        JWT_ROUTER_CSRF_COOKIE_PATH="/",
        JWT_ROUTER_COOKIE_DOMAIN="example.org",
        JWT_ROUTER_COOKIE_SAMESITE="strict",
        JWT_ROUTER_SESSION_COOKIES=True,
    )
    cookies = set_cookies(app.test_client().post("/login"))

    access, csrf = cookies["__Secure-at"], cookies["xsrf"]
    assert access["path"] == "/api"
    assert access["domain"] == csrf["domain"] == "example.org"
    assert access["samesite"] == csrf["samesite"] == "Strict"
    assert "max-age" not in access and "expires" not in access
    assert csrf["path"] == "/"

    app = make_app(
        JWT_ROUTER_COOKIE_SECURE=False,
        JWT_ROUTER_COOKIE_HTTPONLY=False,
        JWT_ROUTER_COOKIE_SAMESITE=None,
    )
    access = set_cookies(app.test_client().post("/login"))[ACCESS]
    assert {"secure", "httponly", "samesite"}.isdisjoint(access)


def test_cookies_from_the_app_authenticate_the_browser(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(
        JWT_ROUTER_ACCESS_COOKIE_NAME="at",
        JWT_ROUTER_CSRF_COOKIE_NAME="xsrf",
        **COOKIES,
    )
    client = app.test_client()
    client.post("/login")
    csrf = client.get_cookie("xsrf")
    assert csrf is not None

    assert client.get("/items").status_code == 200
    assert client.post("/items", headers={"X-CSRF-Token": csrf.value}).json == {
        "member": "one",
        "method": "POST",
    }


def test_refresh_cookies_work_with_any_token_string(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(JWT_ROUTER_REFRESH_COOKIE_PATH="/refresh", **COOKIES)

    with app.test_request_context():
        response = set_refresh_cookies(jsonify(), "opaque-refresh-value")
        access_csrf = csrf_token("opaque-refresh-value")

    cookies = set_cookies(response)
    refresh = cookies["jwt_router_refresh"]
    assert refresh["value"] == "opaque-refresh-value"
    assert refresh["path"] == "/refresh"
    assert refresh["httponly"] == "true"
    assert "max-age" not in refresh  # no expiry to read: a browser-session cookie
    refresh_csrf = cookies["jwt_router_refresh_csrf"]
    assert refresh_csrf["path"] == "/"
    assert refresh_csrf["value"] == access_csrf

    client, _, login_csrf = logged_in(app)
    client.set_cookie("jwt_router_refresh", "opaque-refresh-value", path="/refresh")

    assert client.post("/refresh").json["error"] == "csrf_failed"
    assert (
        client.post("/refresh", headers={"X-CSRF-Token": login_csrf}).status_code == 403
    )
    answered = client.post("/refresh", headers={"X-CSRF-Token": refresh_csrf["value"]})
    assert answered.json == {"refresh": "opaque-refresh-value"}

    assert app.test_client().post("/refresh").json == {"refresh": None}


def test_explicit_max_age_wins(make_app: t.Callable[..., Flask]) -> None:
    app = make_app()

    with app.test_request_context():
        response = set_access_cookies(jsonify(), "a.b.c", max_age=120)
        response = set_refresh_cookies(response, "r", max_age=600)

    cookies = set_cookies(response)
    assert cookies[ACCESS]["max-age"] == cookies[CSRF]["max-age"] == "120"
    assert cookies["jwt_router_refresh"]["max-age"] == "600"


def test_unset_clears_with_the_attributes_they_were_set_with(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(
        JWT_ROUTER_COOKIE_DOMAIN="example.org",
        JWT_ROUTER_REFRESH_COOKIE_PATH="/refresh",
    )

    with app.test_request_context():
        everything = set_cookies(unset_jwt_cookies(jsonify()))
        refresh_only = set_cookies(unset_refresh_cookies(jsonify()))

    assert set(everything) == {
        ACCESS,
        CSRF,
        "jwt_router_refresh",
        "jwt_router_refresh_csrf",
    }
    assert set(refresh_only) == {"jwt_router_refresh", "jwt_router_refresh_csrf"}

    for cookie in everything.values():
        assert cookie["max-age"] == "0"
        assert cookie["domain"] == "example.org"

    assert everything["jwt_router_refresh"]["path"] == "/refresh"


def test_helpers_refuse_what_is_no_token(make_app: t.Callable[..., Flask]) -> None:
    app = make_app()

    with app.test_request_context():
        for bad in ("", None, b"bytes"):
            with pytest.raises(UsageError, match="non-empty str"):
                set_access_cookies(jsonify(), bad)  # type: ignore[arg-type]

    with pytest.raises(UsageError, match="app context"):
        set_access_cookies(Response(), "token")


def test_csrf_token_for_rendered_pages(make_app: t.Callable[..., Flask]) -> None:
    app = make_app()
    client, token, csrf = logged_in(app)

    with app.test_request_context(headers={"Cookie": f"{ACCESS}={token}"}):
        assert csrf_token() == csrf
        assert csrf_token(token) == csrf

    with app.test_request_context():
        assert csrf_token() is None

    other = make_app(SECRET_KEY="another-secret-key-of-another-app-0123456789")

    with other.test_request_context():
        assert csrf_token(token) != csrf


def test_two_apps_keep_their_own_cookie_settings(
    make_app: t.Callable[..., Flask],
) -> None:
    first = make_app(JWT_ROUTER_ACCESS_COOKIE_NAME="first", **COOKIES)
    second = make_app(JWT_ROUTER_ACCESS_COOKIE_NAME="second", **COOKIES)

    assert "first" in set_cookies(first.test_client().post("/login"))
    assert "second" in set_cookies(second.test_client().post("/login"))

    client = second.test_client()
    client.post("/login")
    token = client.get_cookie("second")
    assert token is not None
    visitor = first.test_client()
    visitor.set_cookie("second", token.value)
    assert visitor.get("/items").json["error"] == "token_missing"


# -- configuration ----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"JWT_ROUTER_COOKIE_SAMESITE": "sometimes"}, "JWT_ROUTER_COOKIE_SAMESITE"),
        (
            {"JWT_ROUTER_COOKIE_SAMESITE": "None", "JWT_ROUTER_COOKIE_SECURE": False},
            "needs JWT_ROUTER_COOKIE_SECURE=True",
        ),
        ({"JWT_ROUTER_COOKIE_SECURE": "yes"}, "JWT_ROUTER_COOKIE_SECURE must be"),
        ({"JWT_ROUTER_ACCESS_COOKIE_NAME": "a b"}, "JWT_ROUTER_ACCESS_COOKIE_NAME"),
        ({"JWT_ROUTER_ACCESS_COOKIE_NAME": ""}, "JWT_ROUTER_ACCESS_COOKIE_NAME"),
        ({"JWT_ROUTER_CSRF_COOKIE_NAME": "jwt_router_access"}, "four different"),
        ({"JWT_ROUTER_CSRF_HEADER": "X CSRF"}, "JWT_ROUTER_CSRF_HEADER"),
        ({"JWT_ROUTER_ACCESS_COOKIE_PATH": "api"}, "JWT_ROUTER_ACCESS_COOKIE_PATH"),
        ({"JWT_ROUTER_COOKIE_DOMAIN": "https://x.org/"}, "JWT_ROUTER_COOKIE_DOMAIN"),
        ({"JWT_ROUTER_CSRF_METHODS": "POST"}, "JWT_ROUTER_CSRF_METHODS"),
        ({"JWT_ROUTER_CSRF_METHODS": ["POST", "FETCH"]}, "'FETCH'"),
        ({"JWT_ROUTER_CSRF_FORM_FIELD": ""}, "JWT_ROUTER_CSRF_FORM_FIELD"),
        ({"JWT_ROUTER_CLEAR_COOKIES_ON_REFUSAL": 1}, "ON_REFUSAL must be True"),
        (
            {
                "JWT_ROUTER_ACCESS_COOKIE_NAME": "__Host-at",
                "JWT_ROUTER_COOKIE_SECURE": False,
            },
            "'__Host-at' needs JWT_ROUTER_COOKIE_SECURE",
        ),
        (
            {
                "JWT_ROUTER_ACCESS_COOKIE_NAME": "__Host-at",
                "JWT_ROUTER_COOKIE_DOMAIN": "x.org",
            },
            "'__Host-at' needs path '/'",
        ),
        (
            {
                "JWT_ROUTER_REFRESH_COOKIE_NAME": "__Host-rt",
                "JWT_ROUTER_REFRESH_COOKIE_PATH": "/r",
            },
            "'__Host-rt' needs path '/'",
        ),
    ],
)
def test_bad_cookie_settings_fail_at_init_app(
    make_app: t.Callable[..., Flask], config: dict[str, t.Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        app = make_app(**config)
        app.extensions["flask_jwt_router"].ready()

    assert message in str(info.value)


def test_defaults(make_app: t.Callable[..., Flask]) -> None:
    settings = make_app().extensions["flask_jwt_router"].ready().settings

    assert settings.token_locations == ("header", "query")
    assert settings.cookies.csrf_methods == {"POST", "PUT", "PATCH", "DELETE"}
    assert settings.cookies.csrf_form_field is None
    assert settings.cookies.clear_on_refusal is False
    assert "csrf_key" not in repr(settings.cookies)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\ngarbage"),
        ("multipart/form-data", b"no boundary at all"),
        ("application/x-www-form-urlencoded", b"%ff%fe=%00&&=&csrf_token=%zz"),
        ("application/x-www-form-urlencoded; charset=utf-7", b"csrf_token=+AGE-"),
    ],
)
def test_malformed_form_bodies_are_403_never_500(
    make_app: t.Callable[..., Flask], content_type: str, body: bytes
) -> None:
    app = make_app(JWT_ROUTER_CSRF_FORM_FIELD="csrf_token", **COOKIES)
    client, _, _ = logged_in(app)

    response = client.post("/items", data=body, content_type=content_type)

    assert response.status_code == 403
    assert response.json["error"] == "csrf_failed"


def test_asymmetric_keys_need_a_secret_for_cookie_csrf(
    make_app: t.Callable[..., Flask],
) -> None:
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )
    keys = {"JWT_ROUTER_ALGORITHM": "EdDSA", "JWT_ROUTER_PRIVATE_KEY": pem}

    with pytest.raises(ConfigurationError, match="Set SECRET_KEY"):
        make_app(SECRET_KEY=None, **keys, **COOKIES)

    # The app reads no cookie, but one blueprint of it does.
    app = make_app(SECRET_KEY=None, **keys)

    with pytest.raises(ConfigurationError, match="'pages.page' reads tokens from"):
        app.extensions["flask_jwt_router"].ready()

    client, token, csrf = logged_in(make_app(**keys, **COOKIES))
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert client.post("/items").status_code == 403
    assert client.post("/items", headers={"X-CSRF-Token": csrf}).status_code == 200
