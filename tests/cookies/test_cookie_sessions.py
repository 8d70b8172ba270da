"""Refresh tokens and logout with cookies, on the sessions of ``sessions.py``."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

ACCESS, CSRF = "jwt_router_access", "jwt_router_csrf"
REFRESH, REFRESH_CSRF = "jwt_router_refresh", "jwt_router_refresh_csrf"
BROWSER = {
    "JWT_ROUTER_TOKEN_LOCATION": ["header", "cookie"],
    "JWT_ROUTER_REVOCATION_STORE": "memory",
    "JWT_ROUTER_REFRESH_ROUTE": "/auth/refresh",
    "JWT_ROUTER_REFRESH_COOKIE_PATH": "/auth/refresh",
}


def cookie(client: t.Any, name: str, path: str = "/") -> str:
    found = client.get_cookie(name, path=path)
    assert found is not None, name
    return t.cast(str, found.value)


@pytest.fixture()
def browser(make_app: t.Callable[..., Flask]) -> t.Any:
    client = make_app(**BROWSER).test_client()
    assert client.post("/login-pair").status_code == 200
    return client


def test_the_refresh_route_reads_the_refresh_cookie_and_answers_in_cookies(
    browser: t.Any,
) -> None:
    old_access = cookie(browser, ACCESS)
    old_refresh = cookie(browser, REFRESH, "/auth/refresh")

    refused = browser.post("/auth/refresh")
    assert refused.status_code == 403
    assert REFRESH_CSRF in refused.json["message"]
    # The access token's CSRF value does not unlock the refresh token.
    access_csrf = {"X-CSRF-Token": cookie(browser, CSRF)}
    assert browser.post("/auth/refresh", headers=access_csrf).status_code == 403

    headers = {"X-CSRF-Token": cookie(browser, REFRESH_CSRF)}
    refreshed = browser.post("/auth/refresh", headers=headers)

    assert refreshed.status_code == 200
    assert refreshed.json == {"token_type": "cookie"}
    assert old_access not in refreshed.get_data(as_text=True)
    new_access = cookie(browser, ACCESS)
    new_refresh = cookie(browser, REFRESH, "/auth/refresh")
    assert new_access != old_access and new_refresh != old_refresh
    assert browser.get("/items").json["member"] == "one"
    csrf = {"X-CSRF-Token": cookie(browser, CSRF)}
    assert browser.post("/items", headers=csrf).status_code == 200

    # The old refresh token is retired: replaying it ends the whole login.
    thief = browser.application.test_client()
    thief.set_cookie(REFRESH, old_refresh, path="/auth/refresh")
    replay = {"X-CSRF-Token": headers["X-CSRF-Token"]}
    assert thief.post("/auth/refresh", headers=replay).status_code == 401
    assert browser.get("/items").status_code == 401


def test_api_clients_still_get_the_pair_in_the_body(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(**BROWSER)

    with app.app_context():
        pair = app.extensions["test_jwt_routes"].create_token(
            entity_id=2, table_name="members", refresh=True
        )

    response = app.test_client().post(
        "/auth/refresh", headers={"Authorization": f"Bearer {pair.refresh_token}"}
    )

    assert response.status_code == 200
    assert set(response.json) == {"access_token", "refresh_token", "token_type"}
    assert "Set-Cookie" not in response.headers


def test_a_refresh_cookie_and_a_different_header_conflict(
    browser: t.Any, token_for: t.Callable[..., str]
) -> None:
    other = {"Authorization": f"Bearer {token_for(browser.application, 2)}"}

    response = browser.post("/auth/refresh", headers=other)

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


def test_logout_revokes_the_cookie_session(browser: t.Any) -> None:
    access = cookie(browser, ACCESS)
    refresh_csrf = cookie(browser, REFRESH_CSRF)
    refresh = cookie(browser, REFRESH, "/auth/refresh")

    assert browser.post("/logout").status_code == 403
    logged_out = browser.post(
        "/logout", headers={"X-CSRF-Token": cookie(browser, CSRF)}
    )
    assert logged_out.json == {"logged_out": True}
    assert browser.get_cookie(ACCESS) is None

    # Copies of the tokens kept elsewhere are dead too.
    api = browser.application.test_client()
    revoked = api.get("/items", headers={"Authorization": f"Bearer {access}"})
    assert revoked.status_code == 401
    api.set_cookie(REFRESH, refresh, path="/auth/refresh")
    stale = api.post("/auth/refresh", headers={"X-CSRF-Token": refresh_csrf})
    assert stale.status_code == 401
