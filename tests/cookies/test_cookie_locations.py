"""Token locations: the setting, their order, conflicts and per-view limits."""

from __future__ import annotations

import json
import typing as t

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app

from flask_jwt_router import ConfigurationError

ACCESS = "jwt_router_access"
HEADER_AND_COOKIE = {"JWT_ROUTER_TOKEN_LOCATION": ["header", "cookie"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def build(app: Flask) -> None:
    """Finish the extension's setup, as the first request does."""
    app.extensions["flask_jwt_router"].ready()


def test_default_reads_header_and_query_but_no_cookie(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app()
    token = token_for(app)
    client = app.test_client()

    assert client.get("/items", headers=bearer(token)).status_code == 200
    assert client.get(f"/items?auth={token}").status_code == 200

    client.set_cookie(ACCESS, token)
    refused = client.get("/items")
    assert refused.status_code == 401
    assert refused.json["error"] == "token_missing"


def test_query_can_be_switched_off(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(JWT_ROUTER_TOKEN_LOCATION=["header"])
    token = token_for(app)
    client = app.test_client()

    refused = client.get(f"/items?auth={token}")
    assert refused.status_code == 401
    assert refused.json["error"] == "token_missing"
    assert client.get("/items", headers=bearer(token)).status_code == 200


def test_a_string_setting_lists_locations(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(JWT_ROUTER_TOKEN_LOCATION="Cookie, query")
    token = token_for(app)
    client = app.test_client()

    assert client.get("/items", headers=bearer(token)).json["error"] == (
        "token_missing"
    )
    assert client.get(f"/items?auth={token}").status_code == 200
    client.set_cookie(ACCESS, token)
    assert client.get("/items").json == {"member": "one", "method": "GET"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["header", "body"], "'body'"),
        (["header", "Header"], "twice"),
        ([], "names no token location"),
        ("", "names no token location"),
        (42, "must be a list"),
        ([None], "None"),
    ],
)
def test_bad_location_setting_fails_at_init_app(
    make_app: t.Callable[..., Flask], value: object, message: str
) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_TOKEN_LOCATION") as info:
        build(make_app(JWT_ROUTER_TOKEN_LOCATION=value))

    assert message in str(info.value)


def test_bad_decorator_fails_at_import() -> None:
    from flask_jwt_router import token_locations

    with pytest.raises(ConfigurationError, match=r"token_locations\(\).*'form'"):
        token_locations("header", "form")


@pytest.mark.parametrize(
    ("carriers", "status", "error"),
    [
        ({"header": "other"}, 400, "invalid_request"),
        ({"query": "other"}, 400, "invalid_request"),
        ({"header": "same"}, 200, None),
        ({"header": "same", "query": "same"}, 200, None),
    ],
)
def test_cookie_and_another_location_must_agree(
    make_app: t.Callable[..., Flask],
    token_for: t.Callable[..., str],
    carriers: dict[str, str],
    status: int,
    error: str | None,
) -> None:
    app = make_app(JWT_ROUTER_TOKEN_LOCATION=["header", "query", "cookie"])
    tokens = {"same": token_for(app, 1), "other": token_for(app, 2)}
    client = app.test_client()
    client.set_cookie(ACCESS, tokens["same"])
    url = "/items"
    headers = {}

    if "header" in carriers:
        headers = bearer(tokens[carriers["header"]])

    if "query" in carriers:
        url += f"?auth={tokens[carriers['query']]}"

    response = client.get(url, headers=headers)

    assert response.status_code == status
    assert (response.json.get("error") if error else None) == error

    if error:
        assert "cookie" in response.json["message"]
        assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("order", [["header", "cookie"], ["cookie", "header"]])
def test_the_same_token_in_a_header_needs_no_csrf_whatever_the_order(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str], order: list[str]
) -> None:
    app = make_app(JWT_ROUTER_TOKEN_LOCATION=order)
    token = token_for(app)
    client = app.test_client()
    client.set_cookie(ACCESS, token)

    assert client.post("/items", headers=bearer(token)).status_code == 200
    assert client.post("/items").json["error"] == "csrf_failed"


def test_header_and_query_conflict_as_before(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app()
    one, two = token_for(app, 1), token_for(app, 2)

    response = app.test_client().get(f"/items?auth={two}", headers=bearer(one))

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_a_basic_auth_header_does_not_hide_the_cookie(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    # Browsers behind HTTP basic auth (a staging site) send it on every request;
    # a token in any other location still counts.
    app = make_app(JWT_ROUTER_TOKEN_LOCATION=["header", "query", "cookie"])
    token = token_for(app)
    client = app.test_client()
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}

    assert client.get("/items", headers=basic).status_code == 401
    assert client.get(f"/items?auth={token}", headers=basic).status_code == 200

    client.set_cookie(ACCESS, token)
    assert client.get("/items", headers=basic).json["member"] == "one"


def test_a_malformed_bearer_header_is_refused_even_with_a_cookie(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(**HEADER_AND_COOKIE)
    client = app.test_client()
    client.set_cookie(ACCESS, token_for(app))

    response = client.get("/items", headers={"Authorization": "Bearer a b"})

    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"


@pytest.mark.parametrize("value", ["", " ", '""'])
def test_an_emptied_cookie_is_no_token(
    make_app: t.Callable[..., Flask], value: str
) -> None:
    app = make_app(**HEADER_AND_COOKIE)
    cookie = {"Cookie": f"{ACCESS}={value}"}

    client = app.test_client(use_cookies=False)

    assert client.get("/items", headers=cookie).json["error"] == ("token_missing")


@pytest.mark.parametrize(
    "value",
    ["junk", "a.b.c", "é" * 10, "x" * 9000, "eyJhbGciOiJub25lIn0.e30."],
)
def test_a_bad_cookie_is_a_401_never_a_500(
    make_app: t.Callable[..., Flask], value: str
) -> None:
    app = make_app(**HEADER_AND_COOKIE)
    client = app.test_client(use_cookies=False)
    cookie = {"Cookie": f"{ACCESS}={value}"}

    for method in ("GET", "POST"):
        response = client.open("/items", method=method, headers=cookie)
        assert response.status_code in (401, 403)
        assert response.json["error"] in {
            "token_malformed",
            "token_invalid",
            "csrf_failed",
        }


# -- per view and blueprint ---------------------------------------------------


def test_a_view_limited_to_the_header_ignores_the_cookie(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(**HEADER_AND_COOKIE)
    token = token_for(app)
    client = app.test_client()
    client.set_cookie(ACCESS, token)

    assert client.get("/items").status_code == 200
    assert client.get("/api-only").json["error"] == "token_missing"
    assert client.get("/thing").json["error"] == "token_missing"
    assert client.get("/api-only", headers=bearer(token)).status_code == 200
    assert client.get("/thing", headers=bearer(token)).json == {"member": "one"}


def test_a_view_may_accept_the_query_when_the_app_does_not(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app(JWT_ROUTER_TOKEN_LOCATION=["header"])
    token = token_for(app)
    client = app.test_client()

    assert client.get(f"/video?auth={token}").json == {"member": "one"}
    assert client.get("/video", headers=bearer(token)).status_code == 401
    assert client.get(f"/items?auth={token}").status_code == 401


def test_a_blueprint_limit_covers_its_views_and_nested_blueprints(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    app = make_app()  # header and query for the app, cookie for the blueprint
    token = token_for(app)
    client = app.test_client()

    for url in ("/pages/", "/pages/inner/"):
        assert client.get(url, headers=bearer(token)).status_code == 401
        assert client.get(f"{url}?auth={token}").status_code == 401

    client.set_cookie(ACCESS, token)

    for url in ("/pages/", "/pages/inner/", "/pages/any"):
        assert client.get(url).json == {"member": "one"}

    # The view's own list wins over its blueprint's.
    other = token_for(app, 2)
    assert client.get("/pages/any", headers=bearer(other)).status_code == 400
    assert client.get("/items").status_code == 401


def test_two_different_access_cookies_are_400(
    make_app: t.Callable[..., Flask], token_for: t.Callable[..., str]
) -> None:
    # A sibling subdomain or a narrower path can plant a second cookie of the
    # same name ("cookie tossing"): which one the browser sends first decides
    # nothing.
    # Flask's test client keeps its own cookie jar and drops a Cookie header,
    # so the requests go through WSGI directly.
    app = make_app(**HEADER_AND_COOKIE)
    one, two = token_for(app, 1), token_for(app, 2)

    def get_items(cookie: str) -> tuple[str, dict[str, t.Any]]:
        environ = EnvironBuilder(path="/items", headers={"Cookie": cookie})
        body, status, _ = run_wsgi_app(app, environ.get_environ())
        return status, json.loads(b"".join(body))

    status, tossed = get_items(f"{ACCESS}={two}; {ACCESS}={one}")
    assert status.startswith("400")
    assert tossed["error"] == "invalid_request"

    status, same = get_items(f"{ACCESS}={one}; {ACCESS}={one}")
    assert status.startswith("200")
    assert same["member"] == "one"
