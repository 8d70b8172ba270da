"""The whole cookie flow of ``examples/cookies`` through Flask's test client."""

from __future__ import annotations

import typing as t

from flask import Flask


def test_log_in_read_post_and_log_out(
    make_example: t.Callable[..., Flask], example: t.Any
) -> None:
    app = make_example()
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert b"login-form" in page.data
    assert client.get("/api/me").json["error"] == "token_missing"

    wrong = client.post("/login", json={"email": example.DEMO_EMAIL, "password": "x"})
    assert wrong.status_code == 401
    assert client.get_cookie("jwt_router_access") is None

    login = {"email": example.DEMO_EMAIL, "password": example.DEMO_PASSWORD}
    assert client.post("/login", json=login).json == {"name": "Ada"}
    access = client.get_cookie("jwt_router_access")
    csrf = client.get_cookie("jwt_router_csrf")
    assert access is not None and access.http_only and access.secure
    assert csrf is not None and not csrf.http_only

    # A protected page, read with the cookie alone.
    assert client.get("/api/me").json["name"] == "Ada"
    notes_page = client.get("/notes")
    assert b"Notes of Ada" in notes_page.data
    assert f'value="{csrf.value}"'.encode() in notes_page.data

    # Posting needs the CSRF value, in the header or in the form field.
    refused = client.post("/api/notes", json={"text": "one"})
    assert refused.status_code == 403
    assert refused.json["error"] == "csrf_failed"
    refused = client.post("/notes", data={"text": "one"})
    assert refused.status_code == 403

    headers = {"X-CSRF-Token": csrf.value}
    created = client.post("/api/notes", json={"text": "one"}, headers=headers)
    assert created.status_code == 201
    posted = client.post("/notes", data={"text": "two", "csrf_token": csrf.value})
    assert posted.status_code == 303
    assert client.get("/api/notes").json == {"notes": ["one", "two"]}

    # The same API answers a Bearer client, which needs no CSRF value.
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {access.value}"}
    assert api.post(
        "/api/notes", json={"text": "three"}, headers=bearer
    ).status_code == (201)
    # The query string is switched off in this app.
    assert api.get(f"/api/me?auth={access.value}").status_code == 401

    # Logging out is a state-changing request too.
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", headers=headers).json == {"logged_out": True}
    assert client.get_cookie("jwt_router_access") is None
    assert client.get_cookie("jwt_router_csrf") is None
    assert client.get("/notes").json["error"] == "token_missing"
