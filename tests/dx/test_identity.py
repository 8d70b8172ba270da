"""Custom claims on create_token and current_identity() in the view."""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

import pytest
from flask import Flask

from flask_jwt_router import Identity, UsageError, current_identity, public
from flask_jwt_router.testing import bearer
from flask_jwt_router.tokens import RESERVED_CLAIMS

from .school import Student, Teacher, claims_of, extension

Client = t.Callable[..., t.Any]


@pytest.fixture
def identity_app(app: Flask) -> Flask:
    @app.get("/me")
    def me() -> dict[str, t.Any]:
        identity = current_identity()
        return {
            "name": identity.entity.name,
            "table": identity.table_name,
            "id": identity.entity_id,
            "id_type": type(identity.entity_id).__name__,
            "custom": identity.custom_claims,
            "sub": identity.claims["sub"],
        }

    @app.post("/refresh")
    @public
    def refresh() -> dict[str, str]:
        return {"token": extension(app).update_token()}

    @app.get("/anyone")
    @public
    def anyone() -> dict[str, t.Any]:
        return {"identity": current_identity(required=False)}

    @app.get("/must")
    @public
    def must() -> dict[str, t.Any]:
        current_identity()
        return {}

    return app


def test_custom_claims_reach_the_view(identity_app: Flask) -> None:
    with identity_app.app_context():
        token = extension(identity_app).create_token(
            entity_id=7,
            table_name="teachers",
            claims={"role": "head", "rooms": [1, 2], "meta": {"a": None}},
        )

    response = identity_app.test_client().get("/me", headers=bearer(token))

    assert response.json == {
        "name": "mr smith",
        "table": "teachers",
        "id": 7,
        "id_type": "int",
        "custom": {"role": "head", "rooms": [1, 2], "meta": {"a": None}},
        "sub": "7",
    }


def test_the_plugin_fixture_takes_claims(
    identity_app: Flask, jwt_client: Client, ada: Student
) -> None:
    response = jwt_client(ada, claims={"plan": "pro"}).get("/me")

    assert response.json["custom"] == {"plan": "pro"}
    assert response.json["table"] == "students"


@pytest.mark.parametrize(
    "name", [*sorted(RESERVED_CLAIMS), "tid", "id"], ids=lambda name: name
)
def test_claims_may_not_collide_with_the_librarys(
    identity_app: Flask, name: str
) -> None:
    # Teachers carry their id in "tid"; "id" is the ENTITY_KEY claim.
    with identity_app.app_context(), pytest.raises(UsageError, match=repr(name)):
        extension(identity_app).create_token(
            entity_id=7, table_name="teachers", claims={name: "x"}
        )


def test_claims_must_be_json(identity_app: Flask) -> None:
    jwt_routes = extension(identity_app)

    with identity_app.app_context():
        with pytest.raises(UsageError, match="'when' is datetime"):
            jwt_routes.create_token(
                entity_id=1,
                table_name="students",
                claims={"when": datetime.datetime.now()},
            )

        with pytest.raises(UsageError, match="mapping"):
            jwt_routes.create_token(
                entity_id=1,
                table_name="students",
                claims=[("a", 1)],  # type: ignore[arg-type]
            )

        with pytest.raises(UsageError, match="must be strings"):
            jwt_routes.create_token(
                entity_id=1,
                table_name="students",
                claims={1: "a"},  # type: ignore[dict-item]
            )


def test_update_token_carries_custom_claims(identity_app: Flask) -> None:
    with identity_app.app_context():
        token = extension(identity_app).create_token(
            entity_id=1, table_name="students", claims={"plan": "pro"}
        )

    response = identity_app.test_client().post("/refresh", headers=bearer(token))
    fresh = claims_of(response.json["token"])

    assert fresh["plan"] == "pro"
    assert (fresh["table_name"], fresh["id"]) == ("students", 1)
    assert fresh["jti"] != claims_of(token)["jti"]


def test_identity_is_frozen_and_read_only(
    identity_app: Flask, jwt_headers: t.Callable[..., dict[str, str]], ada: Student
) -> None:
    seen: list[Identity] = []

    @identity_app.get("/peek")
    def peek() -> str:
        seen.append(current_identity())
        return "ok"

    identity_app.test_client().get("/peek", headers=jwt_headers(ada, claims={"k": 1}))
    identity = seen[0]

    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.table_name = "teachers"  # type: ignore[misc]

    with pytest.raises(TypeError):
        identity.claims["k"] = 2  # type: ignore[index]

    assert identity.entity_as(Student).name == "ada"

    with pytest.raises(UsageError, match="not a Teacher"):
        identity.entity_as(Teacher)


def test_no_identity_without_a_token(identity_app: Flask) -> None:
    client = identity_app.test_client()
    must = client.get("/must")

    assert client.get("/anyone").json == {"identity": None}
    assert (must.status_code, must.json["error"]) == (401, "token_missing")


def test_current_identity_outside_a_request(identity_app: Flask) -> None:
    with identity_app.app_context(), pytest.raises(UsageError, match="in a view"):
        current_identity()


def test_custom_claims_travel_with_a_token_pair(
    make_app: t.Callable[..., Flask],
) -> None:
    app = make_app(JWT_ROUTER_REVOCATION_STORE="memory")

    @app.post("/refresh")
    @public
    def refresh() -> dict[str, str]:
        pair = extension(app).refresh_tokens()
        return {"access": pair.access_token, "refresh": pair.refresh_token}

    with app.app_context():
        pair = extension(app).create_token(
            entity_id=1, table_name="students", refresh=True, claims={"plan": "pro"}
        )

    response = app.test_client().post("/refresh", headers=bearer(pair.refresh_token))
    rotated = response.json

    assert claims_of(pair.access_token)["plan"] == "pro"
    assert claims_of(pair.refresh_token)["plan"] == "pro"
    assert claims_of(rotated["access"])["plan"] == "pro"
    assert claims_of(rotated["refresh"])["typ"] == "refresh"
    assert claims_of(rotated["refresh"])["plan"] == "pro"
