"""Tokens: create_token, update_token, encode_token, set_exp, and what decoding
accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import typing as t

import jwt
import pytest
from flask import Flask, g

from flask_jwt_router import ConfigurationError, JwtRouterError, JwtRoutes, UsageError
from flask_jwt_router.extension import CLAIMS_ATTR

DAY = 86400


@pytest.fixture
def jwt_routes(app: Flask, fsa: t.Any) -> JwtRoutes:
    """Users and teachers; ``/login`` public, ``/refresh`` protected."""
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login"), ("POST", "/public")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User, fsa.Teacher])

    @app.post("/login")
    def login() -> dict[str, str]:
        return {"token": jwt_routes.update_token(entity_id=1)}

    @app.post("/public")
    def public() -> dict[str, str]:
        return {"token": jwt_routes.update_token()}

    @app.post("/refresh")
    def refresh() -> dict[str, str]:
        return {"token": jwt_routes.encode_token(g.users.id)}

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"name": g.users.name}

    return jwt_routes


def make(jwt_routes: JwtRoutes, app: Flask, entity_id: object, table: str) -> str:
    with app.app_context():
        return jwt_routes.create_token(entity_id=entity_id, table_name=table)


# -- create_token and the claims ---------------------------------------------


def test_create_token_claims(app, jwt_routes, tokens) -> None:
    before = int(time.time())
    token = make(jwt_routes, app, 2, "users")
    after = int(time.time())

    assert isinstance(token, str)
    claims = tokens.decode(token)
    assert set(claims) == {"table_name", "id", "sub", "iat", "iat_us", "exp", "jti"}
    assert claims["iat_us"] // 1_000_000 == claims["iat"]
    assert claims["table_name"] == "users"
    assert claims["id"] == 2
    assert claims["sub"] == "2"
    assert before <= claims["iat"] <= after
    assert claims["exp"] - claims["iat"] == 30 * DAY
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_primary_key_claim_uses_the_column_name(app, jwt_routes, tokens) -> None:
    claims = tokens.decode(make(jwt_routes, app, 1, "teachers"))

    assert claims["table_name"] == "teachers"
    assert claims["teacher_id"] == 1
    assert claims["sub"] == "1"
    assert "id" not in claims


def test_id_given_as_digits_is_stored_as_the_key_type(app, jwt_routes, tokens) -> None:
    assert tokens.decode(make(jwt_routes, app, "3", "users"))["id"] == 3


def test_string_primary_key(app, sa, tokens) -> None:
    jwt_routes = JwtRoutes(app, entity_models=[sa.Tag], session=sa.Session)
    claims = tokens.decode(make(jwt_routes, app, "py", "tags"))

    assert claims["code"] == "py"
    assert claims["sub"] == "py"


def test_every_token_has_its_own_jti(app, jwt_routes, tokens) -> None:
    jtis = {tokens.decode(make(jwt_routes, app, 1, "users"))["jti"] for _ in range(20)}

    assert len(jtis) == 20


def test_signed_hs256_with_secret_key(app, jwt_routes, tokens) -> None:
    token = make(jwt_routes, app, 1, "users")

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert tokens.decode(token)["id"] == 1

    with pytest.raises(jwt.InvalidSignatureError):
        tokens.decode(token, key="some-other-secret-0123456789-0123456789")


def test_created_token_is_accepted(app, jwt_routes, tokens) -> None:
    token = make(jwt_routes, app, 3, "users")

    response = app.test_client().get("/me", headers=tokens.bearer(token))
    assert response.json == {"name": "cy"}


def test_create_token_without_entity_id_raises(app, jwt_routes) -> None:
    with app.app_context(), pytest.raises(UsageError, match="entity_id="):
        jwt_routes.create_token(table_name="users")


def test_create_token_without_table_name_raises(app, jwt_routes) -> None:
    with app.app_context(), pytest.raises(UsageError, match="table_name="):
        jwt_routes.create_token(entity_id=1)


def test_create_token_for_unknown_table_lists_known_ones(app, jwt_routes) -> None:
    with app.app_context(), pytest.raises(JwtRouterError) as info:
        jwt_routes.create_token(entity_id=1, table_name="admins")

    message = str(info.value)
    assert "'admins'" in message
    assert "'users'" in message and "'teachers'" in message


@pytest.mark.parametrize("entity_id", ["abc", True, [1], 1.5, 2**80])
def test_create_token_with_an_id_of_the_wrong_type_raises(app, jwt_routes, entity_id):
    with app.app_context(), pytest.raises(UsageError, match="not a valid primary key"):
        jwt_routes.create_token(entity_id=entity_id, table_name="users")


def test_create_token_outside_an_app_context_raises(jwt_routes) -> None:
    with pytest.raises(UsageError, match="app context"):
        jwt_routes.create_token(entity_id=1, table_name="users")


def test_create_token_on_an_app_without_the_extension_raises(jwt_routes) -> None:
    other = Flask("other")

    with other.app_context(), pytest.raises(UsageError, match="not set up"):
        jwt_routes.create_token(entity_id=1, table_name="users")


# -- lifetime ----------------------------------------------------------------


def lifetime(jwt_routes: JwtRoutes, app: Flask, tokens: t.Any) -> int:
    claims = tokens.decode(make(jwt_routes, app, 1, "users"))
    return int(claims["exp"] - claims["iat"])


def test_jwt_expire_days(app, fsa, tokens) -> None:
    app.config["JWT_EXPIRE_DAYS"] = 0.5
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    assert lifetime(jwt_routes, app, tokens) == DAY // 2


def test_set_exp_before_init_app_wins_over_config(app, fsa, tokens) -> None:
    app.config["JWT_EXPIRE_DAYS"] = 2
    jwt_routes = JwtRoutes()
    jwt_routes.set_exp(expire_days=14)
    jwt_routes.init_app(app, entity_models=[fsa.User])

    assert lifetime(jwt_routes, app, tokens) == 14 * DAY


def test_set_exp_after_init_app_and_reset(app, fsa, tokens) -> None:
    app.config["JWT_EXPIRE_DAYS"] = 2
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    assert lifetime(jwt_routes, app, tokens) == 2 * DAY

    jwt_routes.set_exp(expire_days=7)
    assert lifetime(jwt_routes, app, tokens) == 7 * DAY

    jwt_routes.set_exp()
    assert lifetime(jwt_routes, app, tokens) == 30 * DAY


@pytest.mark.parametrize("days", [0, -3, "14", True, float("nan"), float("inf")])
def test_set_exp_rejects_what_is_not_a_positive_number(days: object) -> None:
    with pytest.raises(ConfigurationError, match="set_exp"):
        JwtRoutes().set_exp(expire_days=days)  # type: ignore[arg-type]


# -- decoding ----------------------------------------------------------------


def claims(**overrides: t.Any) -> dict[str, t.Any]:
    now = int(time.time())
    base = {"table_name": "users", "id": 1, "iat": now, "exp": now + 600}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def get_me(app: Flask, token: str) -> t.Any:
    return app.test_client().get("/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_algorithm_is_pinned(app, jwt_routes, tokens, algorithm) -> None:
    response = get_me(app, tokens.sign(claims(), algorithm=algorithm))

    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"
    assert "algorithm" in response.json["message"]


def test_unsigned_token_is_refused(app, jwt_routes) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")

    response = get_me(app, unsigned)
    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"


def test_token_without_exp_is_refused(app, jwt_routes, tokens) -> None:
    response = get_me(app, tokens.sign(claims(exp=None)))

    assert response.status_code == 401
    assert response.json == {
        "error": "token_invalid",
        "message": "The token has no 'exp' claim.",
    }


@pytest.mark.parametrize("exp", ["tomorrow", [1], {"a": 1}])
def test_token_with_a_bad_exp_is_refused(app, jwt_routes, tokens, exp) -> None:
    response = get_me(app, tokens.sign(claims(exp=exp)))

    assert response.status_code == 401
    assert response.json["error"] in {"token_invalid", "token_malformed"}


def test_leeway_accepts_a_token_expired_a_moment_ago(app, jwt_routes, tokens) -> None:
    just_expired = tokens.sign(claims(exp=int(time.time()) - 2))
    long_expired = tokens.sign(claims(exp=int(time.time()) - 60))

    assert get_me(app, just_expired).status_code == 200
    response = get_me(app, long_expired)
    assert response.status_code == 401
    assert response.json["error"] == "token_expired"


def test_leeway_can_be_set_to_zero(app, fsa, tokens) -> None:
    app.config["JWT_ROUTER_LEEWAY"] = 0
    JwtRoutes(app, entity_models=[fsa.User])

    @app.get("/me")
    def me() -> str:
        return "me"

    assert get_me(app, tokens.sign(claims(exp=int(time.time()) - 2))).status_code == 401


def test_token_not_valid_yet_is_refused(app, jwt_routes, tokens) -> None:
    response = get_me(app, tokens.sign(claims(nbf=int(time.time()) + 600)))

    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"


def test_token_longer_than_the_limit_is_refused(app, jwt_routes, tokens) -> None:
    token = tokens.sign(claims(padding="x" * 9000))

    response = get_me(app, token)
    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"


# -- update_token and encode_token -------------------------------------------


def test_update_token_on_a_public_route(app, jwt_routes, tokens) -> None:
    old = make(jwt_routes, app, 1, "users")

    response = app.test_client().post("/login", headers=tokens.bearer(old))

    assert response.status_code == 200
    new = tokens.decode(response.json["token"])
    assert new["table_name"] == "users"
    assert new["id"] == 1
    assert new["jti"] != tokens.decode(old)["jti"]


def test_update_token_keeps_the_table_of_the_request_token(app, jwt_routes, tokens):
    teacher = make(jwt_routes, app, 1, "teachers")

    response = app.test_client().post("/public", headers=tokens.bearer(teacher))

    new = tokens.decode(response.json["token"])
    assert (new["table_name"], new["teacher_id"]) == ("teachers", 1)


def test_update_token_accepts_a_0_2_token(app, jwt_routes, tokens) -> None:
    old = tokens.legacy("users", "id", 1)

    response = app.test_client().post("/login", headers=tokens.bearer(old))

    assert response.status_code == 200
    assert tokens.decode(response.json["token"])["id"] == 1


def test_encode_token_on_a_protected_route(app, jwt_routes, tokens) -> None:
    old = make(jwt_routes, app, 2, "users")

    response = app.test_client().post("/refresh", headers=tokens.bearer(old))

    assert response.status_code == 200
    assert tokens.decode(response.json["token"])["id"] == 2


@pytest.mark.parametrize(
    ("token_kwargs", "error"),
    [
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"key": "forged-secret-0123456789-0123456789-0123"}, "bad_signature"),
        ({"table_name": "admins"}, "unknown_entity"),
        ({"id": 99}, "unknown_entity"),
        ({"id": "1 OR 1=1"}, "unknown_entity"),
    ],
    ids=["expired", "forged", "unknown-table", "deleted-row", "bad-id"],
)
def test_update_token_with_a_bad_token_on_a_public_route_is_401(
    app, jwt_routes, tokens, token_kwargs, error
) -> None:
    key = token_kwargs.pop("key", None)
    token = tokens.sign(claims(**token_kwargs), key=key)

    response = app.test_client().post("/login", headers=tokens.bearer(token))

    assert response.status_code == 401
    assert response.json["error"] == error
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_update_token_with_a_malformed_header_on_a_public_route(app, jwt_routes):
    client = app.test_client()

    response = client.post("/login", headers={"Authorization": "Bearer a b"})
    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"


def test_update_token_without_a_token_says_to_use_create_token(app, jwt_routes):
    response = app.test_client().post("/login")

    assert response.status_code == 401
    assert response.json["error"] == "token_missing"
    assert "create_token(" in response.json["message"]

    with app.test_request_context("/login", method="POST"):
        with pytest.raises(UsageError, match=r"create_token\("):
            jwt_routes.update_token()


def test_update_token_outside_a_request_says_to_use_create_token(app, jwt_routes):
    with app.app_context(), pytest.raises(UsageError, match=r"create_token\("):
        jwt_routes.update_token(entity_id=1)


def test_update_token_for_another_entity_raises(app, jwt_routes, tokens) -> None:
    other = make(jwt_routes, app, 2, "users")

    response = app.test_client().post("/login", headers=tokens.bearer(other))

    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"
    assert "not the one in the request's token" in response.json["message"]

    with app.test_request_context("/login", headers=tokens.bearer(other)):
        with pytest.raises(UsageError, match="not the one in the request's token"):
            jwt_routes.update_token(entity_id=1)


def test_update_token_id_given_as_string_is_the_same_entity(app, fsa, tokens) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    @app.post("/login")
    def login() -> str:
        return jwt_routes.update_token(entity_id="3")

    token = make(jwt_routes, app, 3, "users")
    response = app.test_client().post("/login", headers=tokens.bearer(token))
    assert tokens.decode(response.text)["id"] == 3


def test_nothing_leaks_into_a_later_update_token(app, jwt_routes, tokens) -> None:
    token = make(jwt_routes, app, 1, "users")
    client = app.test_client()

    with app.app_context():
        assert client.get("/me", headers=tokens.bearer(token)).status_code == 200
        assert CLAIMS_ATTR in g and "users" in g

        refused = client.post("/public")
        assert refused.status_code == 401
        assert "create_token(" in refused.json["message"]

        assert CLAIMS_ATTR not in g and "users" not in g


def test_refused_update_token_leaves_nothing_on_g(app, jwt_routes, tokens) -> None:
    good = make(jwt_routes, app, 1, "users")
    expired = tokens.sign(claims(exp=int(time.time()) - 3600))
    client = app.test_client()

    with app.app_context():
        assert client.get("/me", headers=tokens.bearer(good)).status_code == 200
        response = client.post("/public", headers=tokens.bearer(expired))

        assert response.status_code == 401
        assert CLAIMS_ATTR not in g and "users" not in g


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def crafted(header: bytes, payload: bytes, key: str) -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{b64(signature.digest())}"


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b'{"alg": ["HS256"], "typ": "JWT"}', b'{"table_name": "users", "id": 1}'),
        (b'{"alg": null}', b'{"table_name": "users", "id": 1, "exp": 9e9}'),
        (b'{"alg": "HS256", "crit": "x"}', b'{"table_name": "users", "exp": 9e9}'),
        (b'{"alg": "HS256", "kid": {"a": 1}}', b'{"table_name": "users", "id": 1}'),
        (b'"HS256"', b'{"table_name": "users", "id": 1, "exp": 9e9}'),
        (b'{"alg": "HS256"}', b"[1, 2]"),
        (b'{"alg": "HS256"}', b"1"),
        (b'{"alg": "HS256"}', b'"users"'),
        (b'{"alg": "HS256"}', b"{not json"),
        (b'{"alg": "HS256"}', b'{"table_name": "users", "id": 1, "exp": 1e400}'),
        (b'{"alg": "HS256"}', b'{"table_name": "users", "id": 1, "exp": true}'),
        (
            b'{"alg": "HS256"}',
            b'{"table_name": "users", "id": 1, "exp": 9e9, "iat": "now"}',
        ),
        (
            b'{"alg": "HS256"}',
            b'{"table_name": "users", "id": 1, "exp": 9e9, "nbf": [1]}',
        ),
        (
            b'{"alg": "HS256"}',
            b'{"table_name": "users", "id": 1, "exp": 9e9, "aud": "someone"}',
        ),
        (b'{"alg": "HS256"}', b'{"table_name": "users", "id": 1e400, "exp": 9e9}'),
        (b'{"alg": "HS256"}', b'{"table_name": "users", "id": NaN, "exp": 9e9}'),
        (b'{"alg": "HS256"}', b'{"table_name": "users", "id": 1, "exp": NaN}'),
        (b"\xff\xfe", b'{"table_name": "users", "id": 1, "exp": 9e9}'),
    ],
)
def test_crafted_tokens_are_401_never_500(app, jwt_routes, header, payload) -> None:
    token = crafted(header, payload, app.config["SECRET_KEY"])

    for response in (
        get_me(app, token),
        app.test_client().post("/login", headers={"Authorization": f"Bearer {token}"}),
    ):
        assert response.status_code == 401, response.data
        assert response.json["error"] in {
            "token_malformed",
            "token_invalid",
            "token_expired",
            "unknown_entity",
        }


@pytest.mark.parametrize(
    "token",
    ["a.b", "a.b.c.d", "..", "a..c", "\u00e9.\u00e9.\u00e9", "e30.e30.!!!", "x" * 8192],
)
def test_malformed_token_strings_are_401(app, jwt_routes, token) -> None:
    response = get_me(app, token)

    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"
