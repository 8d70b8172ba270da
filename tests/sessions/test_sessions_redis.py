"""The extension on a real Redis: entry lifetimes and faults."""

from __future__ import annotations

import logging
import time
import typing as t

import jwt
import pytest
from flask import Flask
from redis_servers import PersistentRedis, pause, resume
from sessions_app import bearer, create_app

from flask_jwt_router import JwtRoutes

DAY = 86400


def ext(app: Flask) -> JwtRoutes:
    return t.cast(JwtRoutes, app.extensions["test_jwt_routes"])


def claims_of(token: str) -> dict[str, t.Any]:
    return jwt.decode(token, options={"verify_signature": False})


def redis_app(url: str, prefix: str, **config: t.Any) -> Flask:
    return create_app(url, JWT_ROUTER_REVOCATION_PREFIX=prefix, **config)


def pttl_seconds(app: Flask, key: str) -> float:
    client = app.extensions["flask_jwt_router"].runtime.sessions.store.client
    return t.cast(int, client.pttl(key)) / 1000


# -- entry lifetimes, read from Redis ------------------------------------------


def test_entries_live_as_long_as_what_they_block(redis_url: str, prefix: str) -> None:
    app = redis_app(redis_url, prefix, JWT_EXPIRE_DAYS=1, JWT_ROUTER_LEEWAY=5)
    client = app.test_client()

    with app.app_context():
        token = ext(app).create_token(1, "users")
        ext(app).revoke_token(token)
        ext(app).revoke_token("some-jti")
        ext(app).revoke_entity("users", 2)

        token_ttl = pttl_seconds(app, f"{prefix}t:{claims_of(token)['jti']}")
        jti_ttl = pttl_seconds(app, f"{prefix}t:some-jti")
        entity_ttl = pttl_seconds(app, f"{prefix}e:5:users:2")

    expected_token = claims_of(token)["exp"] + 5 - time.time()
    assert expected_token - 5 < token_ttl <= expected_token + 1
    # Without a token, the longest lifetime: refresh tokens, 30 days.
    assert 30 * DAY < jti_ttl <= 30 * DAY + 5
    assert 30 * DAY < entity_ttl <= 30 * DAY + 5

    pair = client.post("/login", json={"id": 3}).json
    refresh_claims = claims_of(pair["refresh_token"])
    assert (
        client.post("/auth/refresh", headers=bearer(pair["refresh_token"])).status_code
        == 200
    )

    with app.app_context():
        retired_ttl = pttl_seconds(app, f"{prefix}t:{refresh_claims['jti']}")

    expected_retired = refresh_claims["exp"] + 5 - time.time()
    assert expected_retired - 5 < retired_ttl <= expected_retired + 1

    replay = client.post("/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert replay.json["error"] == "token_revoked"

    with app.app_context():
        family_ttl = pttl_seconds(app, f"{prefix}f:{refresh_claims['fam']}")

    assert 30 * DAY < family_ttl <= 30 * DAY + 5


def test_redis_drops_an_entry_when_its_token_expires(
    redis_url: str, prefix: str
) -> None:
    app = redis_app(redis_url, prefix, JWT_ROUTER_LEEWAY=0)
    jwt_routes = ext(app)
    jwt_routes.set_exp(expire_days=2 / DAY)  # two seconds

    with app.app_context():
        token = jwt_routes.create_token(1, "users")
        jwt_routes.revoke_token(token)

    key = f"{prefix}t:{claims_of(token)['jti']}"
    redis_client = app.extensions["flask_jwt_router"].runtime.sessions.store.client
    assert 0 < redis_client.pttl(key) <= 2000
    deadline = time.monotonic() + 10

    while redis_client.exists(key):
        assert time.monotonic() < deadline, "Redis kept the entry past its TTL"
        time.sleep(0.1)

    refused = app.test_client().get("/me", headers=bearer(token))
    assert refused.json["error"] == "token_expired"


# -- faults ---------------------------------------------------------------------


def test_redis_down_fails_closed_then_recovers(
    persistent_redis: PersistentRedis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = redis_app(persistent_redis.url, prefix)
    client = app.test_client()
    good = client.post("/login-plain", json={"id": 1}).json["token"]
    revoked = client.post("/login-plain", json={"id": 1}).json["token"]
    pair = client.post("/login", json={"id": 2}).json
    client.post("/logout", headers=bearer(revoked))

    persistent_redis.stop(crash=True)

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        down = [client.get("/me", headers=bearer(t)) for t in (good, revoked, good)]
        refresh = client.post("/auth/refresh", headers=bearer(pair["refresh_token"]))
        logout = client.post("/logout-everywhere", headers=bearer(good))

    for response in (*down, refresh):
        assert response.status_code == 503
        assert response.json["error"] == "revocation_store_unavailable"
        assert response.headers["Retry-After"]

    assert logout.status_code == 503  # the guard refused before the view ran
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "one log line per outage, not one per request"
    assert "revocation store is unreachable" in errors[0].getMessage()
    assert "503" in errors[0].getMessage()
    assert good not in caplog.text and revoked not in caplog.text

    persistent_redis.start()
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        assert client.get("/me", headers=bearer(good)).status_code == 200

    assert "answers again" in caplog.text
    assert client.get("/me", headers=bearer(revoked)).json["error"] == "token_revoked"
    assert (
        client.post("/auth/refresh", headers=bearer(pair["refresh_token"])).status_code
        == 200
    )


def test_fail_open_accepts_tokens_while_redis_is_down(
    persistent_redis: PersistentRedis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = redis_app(persistent_redis.url, prefix, JWT_ROUTER_REVOCATION_FAIL_OPEN=True)
    client = app.test_client()
    good = client.post("/login-plain", json={"id": 1}).json["token"]
    pair = client.post("/login", json={"id": 1}).json

    persistent_redis.stop(crash=True)

    with caplog.at_level(logging.ERROR, logger="flask_jwt_router"):
        assert client.get("/me", headers=bearer(good)).status_code == 200

    assert "JWT_ROUTER_REVOCATION_FAIL_OPEN" in caplog.text
    # Refresh always fails closed: it cannot retire the old token.
    refresh = client.post("/auth/refresh", headers=bearer(pair["refresh_token"]))
    assert refresh.status_code == 503
    # Nor can a revocation be recorded.
    assert client.post("/logout", headers=bearer(good)).status_code == 503


def test_a_frozen_redis_is_bounded_by_the_socket_timeout(
    persistent_redis: PersistentRedis, prefix: str
) -> None:
    app = redis_app(persistent_redis.url + "?socket_timeout=0.3", prefix)
    client = app.test_client()
    good = client.post("/login-plain", json={"id": 1}).json["token"]
    revoked = client.post("/login-plain", json={"id": 1}).json["token"]
    client.post("/logout", headers=bearer(revoked))

    pause(persistent_redis)

    try:
        frozen = client.get("/me", headers=bearer(good))
        frozen_revoked = client.get("/me", headers=bearer(revoked))
    finally:
        resume(persistent_redis)

    assert frozen.status_code == 503
    assert frozen_revoked.status_code == 503
    assert client.get("/me", headers=bearer(good)).status_code == 200
    assert client.get("/me", headers=bearer(revoked)).status_code == 401
