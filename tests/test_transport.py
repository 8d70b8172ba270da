"""Where the token travels, and how every refusal is answered."""

from __future__ import annotations

import time
import typing as t

import pytest
from flask import Flask, Response, g, jsonify

from flask_jwt_router import AuthError, ConfigurationError, JwtRoutes

OTHER_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


@pytest.fixture
def jwt_routes(app: Flask, fsa: t.Any) -> JwtRoutes:
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"id": g.users.id}

    @app.post("/login")
    def login() -> str:
        return jwt_routes.update_token()

    return jwt_routes


@pytest.fixture
def token(app: Flask, jwt_routes: JwtRoutes) -> str:
    with app.app_context():
        return jwt_routes.create_token(entity_id=2, table_name="users")


def get_me(app: Flask, **kwargs: t.Any) -> t.Any:
    return app.test_client().get("/me", **kwargs)


# -- the Authorization header and ?auth= -------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "Bearer {}",
        "bearer {}",
        "BEARER {}",
        "BeArEr {}",
        "Bearer   {}",
        "  Bearer {}  ",
        "Bearer\t{}",
    ],
)
def test_bearer_scheme_is_case_insensitive_and_spaces_tolerated(
    app, token, template
) -> None:
    response = get_me(app, headers={"Authorization": template.format(token)})

    assert response.status_code == 200
    assert response.json == {"id": 2}


def test_token_in_the_query_string(app, token) -> None:
    response = get_me(app, query_string={"auth": token})

    assert response.status_code == 200
    assert response.json == {"id": 2}


def test_same_token_in_header_and_query_string_is_fine(app, token, tokens) -> None:
    response = get_me(app, headers=tokens.bearer(token), query_string={"auth": token})

    assert response.status_code == 200


def test_different_tokens_in_header_and_query_string_is_400(app, jwt_routes, tokens):
    with app.app_context():
        first = jwt_routes.create_token(entity_id=1, table_name="users")
        second = jwt_routes.create_token(entity_id=2, table_name="users")

    response = get_me(app, headers=tokens.bearer(first), query_string={"auth": second})

    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("Basic dXNlcjpwYXNz", "token_missing"),
        ("Token {}", "token_missing"),
        ("{}", "token_missing"),
        ("Bearer", "token_malformed"),
        ("Bearer ", "token_malformed"),
        ("Bearer {} {}", "token_malformed"),
        ("Bearer not-a-jwt", "token_malformed"),
        ("Bearer a.b.c", "token_malformed"),
        ("Bearer ...", "token_malformed"),
        ("Bearer t\u00f6ken", "token_malformed"),
    ],
)
def test_malformed_or_foreign_authorization_is_401(app, token, header, error) -> None:
    response = get_me(app, headers={"Authorization": header.format(token, token)})

    assert response.status_code == 401
    assert response.json["error"] == error
    assert response.content_type == "application/json"


def test_empty_query_token_is_401(app, jwt_routes) -> None:
    response = get_me(app, query_string={"auth": ""})

    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"


def test_other_query_parameters_are_not_a_token(app, token) -> None:
    response = get_me(app, query_string={"token": token, "authorization": token})

    assert response.status_code == 401
    assert response.json["error"] == "token_missing"


# -- every refusal: JSON, its own code, RFC 6750 header ----------------------


def refusals(tokens: t.Any) -> dict[str, dict[str, t.Any]]:
    """Request kwargs producing each refusal, by expected error code."""
    now = int(time.time())
    good = {"table_name": "users", "id": 1, "exp": now + 600}

    return {
        "token_missing": {},
        "token_malformed": {"headers": {"Authorization": "Bearer x.y"}},
        "token_expired": {
            "headers": tokens.bearer(tokens.sign({**good, "exp": now - 3600}))
        },
        "bad_signature": {"headers": tokens.bearer(tokens.sign(good, key=OTHER_KEY))},
        "unknown_entity": {
            "headers": tokens.bearer(tokens.sign({**good, "table_name": "admins"}))
        },
        "token_invalid": {
            "headers": tokens.bearer(tokens.sign({"table_name": "users", "id": 1}))
        },
    }


def test_every_refusal_is_json_with_a_distinct_code(app, jwt_routes, tokens) -> None:
    seen = set()

    for error, kwargs in refusals(tokens).items():
        response = get_me(app, **kwargs)

        assert response.status_code == 401, error
        assert response.content_type == "application/json"
        assert set(response.json) == {"error", "message"}
        assert response.json["error"] == error
        assert response.json["message"]
        seen.add(response.json["error"])

    assert len(seen) == 6


def test_www_authenticate_follows_rfc_6750(app, jwt_routes, tokens) -> None:
    cases = refusals(tokens)

    missing = get_me(app, **cases.pop("token_missing"))
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="api"'

    for error, kwargs in cases.items():
        header = get_me(app, **kwargs).headers["WWW-Authenticate"]

        assert header.startswith('Bearer realm="api", error="invalid_token", '), error
        assert 'error_description="' in header


def test_realm_from_config(app, fsa) -> None:
    app.config["JWT_ROUTER_REALM"] = 'school "api"'
    JwtRoutes(app, entity_models=[fsa.User])

    @app.get("/me")
    def me() -> str:
        return "me"

    response = app.test_client().get("/me")
    assert response.headers["WWW-Authenticate"] == "Bearer realm=\"school 'api'\""


def test_update_token_refusals_are_json_too(app, jwt_routes, tokens) -> None:
    cases = refusals(tokens)
    del cases["token_missing"]  # a usage error, not a refusal, on a public route

    for error, kwargs in cases.items():
        response = app.test_client().post("/login", **kwargs)

        assert response.status_code == 401, error
        assert response.json["error"] == error
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


# -- replacing the response --------------------------------------------------


def test_error_handler_replaces_every_refusal(app, jwt_routes, tokens) -> None:
    received: list[AuthError] = []

    @jwt_routes.error_handler
    def custom(error: AuthError) -> Response:
        received.append(error)
        response = jsonify(problem=error.error, status=error.code)
        response.status_code = error.code
        response.headers["X-Refused"] = "yes"
        return response

    expired = tokens.sign({"table_name": "users", "id": 1, "exp": 1})
    client = app.test_client()

    guarded = client.get("/me")
    assert guarded.status_code == 401
    assert guarded.json == {"problem": "token_missing", "status": 401}
    assert guarded.headers["X-Refused"] == "yes"

    in_view = client.post("/login", headers=tokens.bearer(expired))
    assert in_view.status_code == 401
    assert in_view.json == {"problem": "token_expired", "status": 401}
    assert in_view.headers["X-Refused"] == "yes"

    assert [type(error).__name__ for error in received] == [
        "TokenMissing",
        "TokenExpired",
    ]


def test_foreign_scheme_header_leaves_the_query_token_usable(app, token) -> None:
    # A proxy in front of the app may add Basic credentials of its own.
    headers = {"Authorization": "Basic dXNlcjpwYXNz"}

    response = get_me(app, headers=headers, query_string={"auth": token})

    assert response.status_code == 200
    assert response.json == {"id": 2}
    refused = get_me(app, headers=headers)
    assert refused.status_code == 401
    assert refused.json["error"] == "token_missing"


def test_repeated_auth_parameters_must_agree(app, token) -> None:
    same = get_me(app, query_string=[("auth", token), ("auth", token)])
    assert same.status_code == 200

    for pair in ([token, "junk"], ["junk", token]):
        response = get_me(app, query_string=[("auth", value) for value in pair])
        assert response.status_code == 400
        assert response.json["error"] == "invalid_request"


@pytest.mark.parametrize("realm", ["a\r\nX-Evil: 1", "caf\u00e9", "", 5])
def test_a_realm_that_cannot_be_a_header_fails_at_startup(app, fsa, realm) -> None:
    app.config["JWT_ROUTER_REALM"] = realm

    with pytest.raises(ConfigurationError, match="JWT_ROUTER_REALM"):
        JwtRoutes(app, entity_models=[fsa.User])
