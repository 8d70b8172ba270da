"""Revocation, log-out-everywhere and refresh rotation, in one process."""

from __future__ import annotations

import threading
import time
import typing as t

import jwt
import pytest
from flask import Flask
from sessions_app import USER_IDS, bearer, create_app

from flask_jwt_router import (
    ConfigurationError,
    JwtRoutes,
    MemoryRevocationStore,
    TokenPair,
    UsageError,
)
from flask_jwt_router.sessions import TokenRevoked, _judge, issued_us

SECRET = "sessions-test-secret-0123456789abcdef0123456789"


def ext(app: Flask) -> JwtRoutes:
    return t.cast(JwtRoutes, app.extensions["test_jwt_routes"])


def login(client: t.Any, user_id: int = 1) -> tuple[str, str]:
    response = client.post("/login", json={"id": user_id})
    assert response.status_code == 200
    return response.json["access_token"], response.json["refresh_token"]


def plain_token(client: t.Any, user_id: int = 1) -> str:
    response = client.post("/login-plain", json={"id": user_id})
    assert response.status_code == 200
    return t.cast(str, response.json["token"])


def me(client: t.Any, token: str) -> t.Any:
    return client.get("/me", headers=bearer(token))


def refresh(client: t.Any, token: str, path: str = "/auth/refresh") -> t.Any:
    return client.post(path, headers=bearer(token))


def claims_of(token: str) -> dict[str, t.Any]:
    return jwt.decode(token, options={"verify_signature": False})


# -- revoking one token -------------------------------------------------------


def test_logout_revokes_the_request_token_only(client: t.Any) -> None:
    first, second = plain_token(client), plain_token(client)
    assert me(client, first).status_code == 200

    assert client.post("/logout", headers=bearer(first)).status_code == 204

    refused = me(client, first)
    assert refused.status_code == 401
    assert refused.json["error"] == "token_revoked"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert me(client, second).json["id"] == 1


def test_revoke_token_on_a_public_route_verifies_it_first(client: t.Any) -> None:
    token = plain_token(client)

    assert client.post("/public-logout", headers=bearer(token)).status_code == 204
    assert me(client, token).json["error"] == "token_revoked"

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.post("/public-logout", headers=bearer(forged)).status_code == 401


def test_revoke_by_token_or_jti_outside_a_request(app: Flask, client: t.Any) -> None:
    by_token, by_jti, kept = (plain_token(client) for _ in range(3))

    with app.app_context():
        ext(app).revoke_token(by_token)
        ext(app).revoke_token(claims_of(by_jti)["jti"])

    assert me(client, by_token).json["error"] == "token_revoked"
    assert me(client, by_jti).json["error"] == "token_revoked"
    assert me(client, kept).status_code == 200


def test_revoke_token_without_a_token_is_a_usage_error(app: Flask) -> None:
    with app.test_request_context("/me"), pytest.raises(Exception) as info:
        ext(app).revoke_token()

    assert info.value.code == 401  # type: ignore[attr-defined]

    with app.app_context(), pytest.raises(UsageError, match="inside a request"):
        ext(app).revoke_token()


def test_an_expired_token_needs_no_entry(app: Flask) -> None:
    store = MemoryRevocationStore()
    app = create_app(store, JWT_ROUTER_LEEWAY=0)
    expired = jwt.encode(
        {"table_name": "users", "id": 1, "exp": int(time.time()) - 10, "jti": "x"},
        SECRET,
        algorithm="HS256",
    )

    with app.app_context():
        ext(app).revoke_token(expired)

    assert len(store) == 0


def test_a_02_token_is_revoked_by_its_digest(client: t.Any) -> None:
    # 0.2 wrote no jti and no iat.
    old = jwt.encode(
        {"table_name": "users", "id": 2, "exp": int(time.time()) + 600},
        SECRET,
        algorithm="HS256",
    )
    other = jwt.encode(
        {"table_name": "users", "id": 2, "exp": int(time.time()) + 601},
        SECRET,
        algorithm="HS256",
    )
    assert me(client, old).json["id"] == 2

    assert client.post("/logout", headers=bearer(old)).status_code == 204

    assert me(client, old).json["error"] == "token_revoked"
    assert me(client, other).status_code == 200


def test_logout_with_the_refresh_token(app: Flask, client: t.Any) -> None:
    access, refresh_token = login(client)
    other_access, other_refresh = login(client)

    with app.app_context():
        ext(app).revoke_token(refresh_token)
        ext(app).revoke_session(other_refresh)

        with pytest.raises(UsageError, match="empty string"):
            ext(app).revoke_token(" ")

    assert refresh(client, refresh_token).json["error"] == "token_revoked"
    assert me(client, access).status_code == 200  # only the refresh token
    assert me(client, other_access).json["error"] == "token_revoked"


# -- log out everywhere --------------------------------------------------------


def test_logout_everywhere_revokes_every_earlier_token(client: t.Any) -> None:
    plain = plain_token(client, 3)
    access, refresh_token = login(client, 3)
    bystander = plain_token(client, 4)

    response = client.post("/logout-everywhere", headers=bearer(plain))
    fresh = response.json["token"]

    for old in (plain, access):
        assert me(client, old).json["error"] == "token_revoked"

    assert refresh(client, refresh_token).json["error"] == "token_revoked"
    assert me(client, fresh).json["id"] == 3
    assert me(client, bystander).json["id"] == 4
    assert me(client, plain_token(client, 3)).status_code == 200


def test_a_token_issued_in_the_same_second_after_the_revocation_works(
    app: Flask, client: t.Any
) -> None:
    # Retried until revocation and new token share a second (bounded).
    for _ in range(20):
        old = plain_token(client, 5)
        fresh = client.post("/logout-everywhere", headers=bearer(old)).json["token"]

        with app.app_context():
            store = app.extensions["flask_jwt_router"].runtime.sessions.store
            revoked_at = int(store.get_many(["e:5:users:5"])[0])

        if claims_of(fresh)["iat"] == revoked_at // 1_000_000:
            break
    else:
        pytest.fail("no revocation and new token fell in the same second")

    assert claims_of(old)["iat"] <= claims_of(fresh)["iat"]
    assert me(client, old).status_code == 401
    assert me(client, fresh).status_code == 200


def test_same_second_ordering_uses_microseconds() -> None:
    revoked_at = 1_700_000_000_500_000  # .5 s into a second
    before = {"iat": 1_700_000_000, "iat_us": revoked_at - 1}
    after = {"iat": 1_700_000_000, "iat_us": revoked_at + 1}
    legacy = {"iat": 1_700_000_000}  # no iat_us: the whole second counts

    for claims in (before, legacy, {}):
        with pytest.raises(TokenRevoked):
            _judge(claims, [None, str(revoked_at)])

    _judge(after, [None, str(revoked_at)])
    _judge({"iat": 1_700_000_001}, [None, str(revoked_at)])
    assert issued_us(legacy) == 1_700_000_000_000_000


def test_iat_us_outside_its_iat_second_counts_from_that_second() -> None:
    # Only the signer can write claims, but one that contradicts itself is
    # read the strict way: a far-future iat_us does not outlive a revocation.
    revoked_at = 1_700_000_000_500_000
    lying = {"iat": 1_699_000_000, "iat_us": 9_999_999_999_000_000}

    assert issued_us(lying) == 1_699_000_000_000_000
    with pytest.raises(TokenRevoked):
        _judge(lying, [None, str(revoked_at)])


def test_revoke_token_refuses_what_is_not_a_string(app: Flask) -> None:
    with app.app_context(), pytest.raises(UsageError, match="as a string"):
        ext(app).revoke_token(5)  # type: ignore[arg-type]


def test_revoke_entity_checks_its_arguments(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(ConfigurationError, match="known: 'users'"):
            ext(app).revoke_entity("people", 1)

        with pytest.raises(UsageError, match="not a valid primary key"):
            ext(app).revoke_entity("users", "abc")


# -- refresh tokens ------------------------------------------------------------


def test_create_token_still_returns_a_string_and_pairs_on_request(app: Flask) -> None:
    with app.app_context():
        token = ext(app).create_token(entity_id=1, table_name="users")
        pair = ext(app).create_token(entity_id=1, table_name="users", refresh=True)

    assert isinstance(token, str)
    assert isinstance(pair, TokenPair)
    access, refresh_token = pair
    assert "typ" not in claims_of(access)
    assert claims_of(refresh_token)["typ"] == "refresh"
    assert claims_of(access)["fam"] == claims_of(refresh_token)["fam"]
    assert (
        claims_of(refresh_token)["exp"] - claims_of(refresh_token)["iat"] == 30 * 86400
    )


def test_refresh_rotates_the_pair(client: t.Any) -> None:
    access, refresh_token = login(client)

    response = refresh(client, refresh_token)

    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    new_access, new_refresh = (
        response.json["access_token"],
        response.json["refresh_token"],
    )
    assert claims_of(new_refresh)["fam"] == claims_of(refresh_token)["fam"]
    assert claims_of(new_refresh)["jti"] != claims_of(refresh_token)["jti"]
    assert me(client, new_access).json["id"] == 1
    assert me(client, access).status_code == 200  # still within its lifetime
    assert refresh(client, new_refresh).status_code == 200


def test_replaying_a_retired_refresh_token_ends_the_login(client: t.Any) -> None:
    first_access, first_refresh = login(client)
    other_access, other_refresh = login(client)  # another login, same user
    second = refresh(client, first_refresh).json

    replay = refresh(client, first_refresh)

    assert replay.status_code == 401
    assert replay.json["error"] == "token_revoked"
    assert "used before" in replay.json["message"]

    for token in (first_access, second["access_token"]):
        assert me(client, token).json["error"] == "token_revoked"

    assert refresh(client, second["refresh_token"]).json["error"] == "token_revoked"
    assert me(client, other_access).status_code == 200
    assert refresh(client, other_refresh).status_code == 200


def test_concurrent_refreshes_of_one_token_let_exactly_one_through(
    client: t.Any, app: Flask
) -> None:
    _, refresh_token = login(client)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        with app.test_client() as own:
            barrier.wait(5)
            statuses.append(refresh(own, refresh_token).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]

    for thread in threads:
        thread.start()

    for thread in threads:
        thread.join(10)

    assert sorted(statuses) == [200] + [401] * 7


def test_token_types_are_not_interchangeable(client: t.Any) -> None:
    access, refresh_token = login(client)

    on_protected = me(client, refresh_token)
    on_refresh = refresh(client, access)

    assert on_protected.status_code == 401
    assert on_protected.json["error"] == "wrong_token_type"
    assert on_refresh.status_code == 401
    assert on_refresh.json["error"] == "wrong_token_type"
    # update_token on a public route does not turn a refresh token into access.
    assert (
        client.post("/public-renew", headers=bearer(refresh_token)).status_code == 401
    )
    # A refused access token did not retire anything.
    assert refresh(client, refresh_token).status_code == 200


def test_refresh_without_token_and_with_garbage(client: t.Any) -> None:
    assert client.post("/auth/refresh").json["error"] == "token_missing"
    assert refresh(client, "a.b.c").status_code == 401
    assert client.get("/auth/refresh").status_code == 405


def test_a_custom_whitelisted_refresh_view(client: t.Any) -> None:
    _, refresh_token = login(client, 2)

    response = refresh(client, refresh_token, "/custom-refresh")

    assert response.status_code == 200
    assert me(client, response.json["access_token"]).json["id"] == 2
    assert refresh(client, refresh_token, "/custom-refresh").status_code == 401


def test_logout_session_ends_this_login_only(client: t.Any) -> None:
    access, refresh_token = login(client)
    other_access, _ = login(client)

    assert client.post("/logout-session", headers=bearer(access)).status_code == 204

    assert me(client, access).json["error"] == "token_revoked"
    assert refresh(client, refresh_token).json["error"] == "token_revoked"
    assert me(client, other_access).status_code == 200


def test_update_token_keeps_its_meaning_and_the_login(client: t.Any) -> None:
    access, _ = login(client)
    plain = plain_token(client)

    renewed = client.post("/renew", headers=bearer(access)).json["token"]
    renewed_plain = client.post("/renew", headers=bearer(plain)).json["token"]

    assert isinstance(renewed, str) and me(client, renewed).json["id"] == 1
    assert "fam" not in claims_of(renewed_plain)
    assert claims_of(renewed)["fam"] == claims_of(access)["fam"]

    client.post("/logout-session", headers=bearer(access))

    assert me(client, renewed).json["error"] == "token_revoked"
    assert me(client, renewed_plain).status_code == 200


def test_a_deleted_entity_cannot_refresh(app: Flask, client: t.Any) -> None:
    _, refresh_token = login(client, 4)
    factory = ext(app)._backends[0]._session  # type: ignore[attr-defined]

    with factory.begin() as session:
        from sessions_app import User

        session.delete(session.get(User, 4))

    assert refresh(client, refresh_token).json["error"] == "unknown_entity"


# -- switched off ----------------------------------------------------------------


def test_revocation_off_checks_the_type_and_nothing_else() -> None:
    app = create_app(None, JWT_ROUTER_REFRESH_ROUTE=None)
    client = app.test_client()
    token = plain_token(client)
    refresh_token = jwt.encode(
        {
            "table_name": "users",
            "id": 1,
            "exp": int(time.time()) + 60,
            "typ": "refresh",
        },
        SECRET,
        algorithm="HS256",
    )

    assert me(client, token).status_code == 200
    assert me(client, refresh_token).json["error"] == "wrong_token_type"

    with app.app_context():
        assert app.extensions["flask_jwt_router"].runtime.sessions.store is None

        with pytest.raises(UsageError, match="JWT_ROUTER_REVOCATION_STORE is off"):
            ext(app).revoke_token(token)

        with pytest.raises(UsageError, match="JWT_ROUTER_REVOCATION_STORE is off"):
            ext(app).create_token(1, "users", refresh=True)


# -- configuration -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("JWT_ROUTER_REVOCATION_STORE", "memroy", "must be 'memory', a redis://"),
        ("JWT_ROUTER_REVOCATION_STORE", 42, "must be 'memory', a redis://"),
        ("JWT_ROUTER_REFRESH_ROUTE", "auth/refresh", "starting with '/'"),
    ],
)
def test_bad_settings_fail_at_init_app(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        create_app("memory", **{key: value})

    assert key in str(info.value)


def test_a_url_password_never_reaches_the_message() -> None:
    with pytest.raises(ConfigurationError) as info:
        create_app("http://user:hunter2@127.0.0.1/0")

    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWT_ROUTER_REVOCATION_FAIL_OPEN", "yes"),
        ("JWT_ROUTER_REFRESH_EXPIRES", 0),
        ("JWT_ROUTER_REFRESH_EXPIRES", "30d"),
        ("JWT_ROUTER_REVOCATION_PREFIX", 3),
    ],
)
def test_bad_settings_fail_before_the_first_request(key: str, value: object) -> None:
    app = create_app("memory")
    app.config[key] = value

    with app.app_context(), pytest.raises(ConfigurationError, match=key):
        ext(app).create_token(1, "users")


def test_the_refresh_route_is_fixed_at_init_app() -> None:
    app = create_app("memory")
    app.config["JWT_ROUTER_REFRESH_ROUTE"] = "/other"

    with app.app_context(), pytest.raises(ConfigurationError, match="before"):
        ext(app).create_token(1, "users")


def test_a_refresh_route_needs_a_store() -> None:
    # Refused by init_app itself, not at the first request.
    with pytest.raises(ConfigurationError, match="REVOCATION_STORE"):
        create_app(None)


def test_refresh_lifetime_is_configurable() -> None:
    app = create_app("memory", JWT_ROUTER_REFRESH_EXPIRES=3600)

    with app.app_context():
        _, refresh_token = ext(app).create_token(1, "users", refresh=True)

    claims = claims_of(refresh_token)
    assert claims["exp"] - claims["iat"] == 3600


def test_two_apps_do_not_share_a_memory_store() -> None:
    one, two = create_app("memory"), create_app("memory")
    token_one = plain_token(one.test_client())

    with two.app_context():
        ext(two).revoke_entity("users", 1)

    assert me(one.test_client(), token_one).status_code == 200
    assert USER_IDS
