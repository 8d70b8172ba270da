"""flask_jwt_router.testing and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import typing as t
from importlib import metadata
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_jwt_router import UsageError, current_identity, entity_scope
from flask_jwt_router.testing import (
    auth_headers,
    authenticated_client,
    bearer,
    expired_token,
    forged_token,
    make_token,
    other_entity_token,
    revoked_token,
    wrong_type_token,
)

from .school import SECRET, Student, Teacher, claims_of


@pytest.fixture
def kit_app(app: Flask) -> Flask:
    @app.get("/me")
    def me() -> dict[str, t.Any]:
        identity = current_identity()
        return {"table": identity.table_name, "id": identity.entity_id}

    @app.get("/staff")
    @entity_scope("teachers")
    def staff() -> str:
        return "staff"

    return app


def test_auth_headers_for_an_entity(kit_app: Flask, smith: Teacher) -> None:
    headers = auth_headers(smith, app=kit_app)
    response = kit_app.test_client().get("/me", headers=headers)

    assert set(headers) == {"Authorization"}
    assert headers["Authorization"].startswith("Bearer ")
    # The id is read through the mapper: the attribute is not named "tid".
    assert response.json == {"table": "teachers", "id": 7}


def test_auth_headers_in_an_app_context_and_by_table(kit_app: Flask) -> None:
    with kit_app.app_context():
        headers = auth_headers(table_name="students", entity_id=2)

    assert kit_app.test_client().get("/me", headers=headers).json == {
        "table": "students",
        "id": 2,
    }


def test_helpers_work_for_another_app_inside_an_app_context(
    kit_app: Flask, make_app: t.Callable[..., Flask]
) -> None:
    other = make_app(SECRET_KEY="another-secret-of-at-least-32-bytes-long")

    with other.app_context():
        token = make_token(table_name="students", entity_id=1, app=kit_app)

    assert claims_of(token)["id"] == 1  # signed with kit_app's key


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Pass an entity, or both"),
        ({"table_name": "students"}, "Pass an entity, or both"),
        ({"entity": "x", "entity_id": 1}, "not both"),
        ({"entity": object()}, "not a registered entity model"),
        ({"entity": Student(name="new")}, "no primary key yet"),
        ({"table_name": "pupils", "entity_id": 1}, "not a registered entity table"),
    ],
)
def test_who_the_token_is_for_must_be_clear(
    kit_app: Flask, kwargs: dict[str, t.Any], message: str
) -> None:
    entity = kwargs.pop("entity", None)

    with pytest.raises(Exception, match=message) as info:
        auth_headers(entity, app=kit_app, **kwargs)

    assert info.type.__module__ == "flask_jwt_router.errors"


def test_an_app_is_needed() -> None:
    with pytest.raises(UsageError, match="pass app=app"):
        auth_headers(table_name="students", entity_id=1)


def test_negative_tokens(kit_app: Flask, ada: Student, smith: Teacher) -> None:
    client = kit_app.test_client()

    with kit_app.app_context():
        expired = client.get("/me", headers=bearer(expired_token(ada)))
        forged = client.get("/me", headers=bearer(forged_token(smith)))
        other = client.get("/staff", headers=bearer(other_entity_token("teachers")))
        wrong = client.get("/staff", headers=bearer(wrong_type_token(smith)))
        right = client.get("/staff", headers=auth_headers(smith))

    assert (expired.status_code, expired.json["error"]) == (401, "token_expired")
    assert (forged.status_code, forged.json["error"]) == (401, "bad_signature")
    assert (other.status_code, other.json["error"]) == (403, "insufficient_scope")
    assert (wrong.status_code, wrong.json["error"]) == (401, "wrong_token_type")
    assert right.status_code == 200


def test_revoked_token(make_app: t.Callable[..., Flask], ada: Student) -> None:
    app = make_app()  # the in-memory revocation store is the default

    @app.get("/me")
    def me() -> str:
        return "me"

    client = app.test_client()

    with app.app_context():
        revoked = client.get("/me", headers=bearer(revoked_token(ada)))
        fresh = client.get("/me", headers=auth_headers(ada))

    assert (revoked.status_code, revoked.json["error"]) == (401, "token_revoked")
    assert fresh.status_code == 200


def test_revoked_token_needs_a_store(
    make_app: t.Callable[..., Flask], ada: Student
) -> None:
    app = make_app(JWT_ROUTER_REVOCATION_STORE=None)

    with pytest.raises(UsageError, match="JWT_ROUTER_REVOCATION_STORE is off"):
        revoked_token(ada, app=app)


def test_forged_token_keeps_header_and_claims(kit_app: Flask, ada: Student) -> None:
    with kit_app.app_context():
        forged = forged_token(ada)
        valid = make_token(ada)

    assert forged.split(".")[:1] == valid.split(".")[:1]
    assert forged.split(".")[2] != valid.split(".")[2]
    assert len(forged.split(".")[2]) == len(valid.split(".")[2])


def test_other_entity_token_needs_a_second_table(
    kit_app: Flask, make_app: t.Callable[..., Flask], session_factory: t.Any
) -> None:
    from flask_jwt_router import JwtRoutes

    lonely = Flask("lonely")
    lonely.config["SECRET_KEY"] = SECRET
    JwtRoutes(lonely, entity_models=[Student], session=session_factory)

    with pytest.raises(UsageError, match="second entity table"):
        other_entity_token("students", app=lonely)

    with kit_app.app_context():
        claims = claims_of(other_entity_token("teachers"))

    assert (claims["table_name"], claims["id"]) == ("students", 1)


def test_authenticated_client_sends_the_token_every_time(
    kit_app: Flask, ada: Student
) -> None:
    client = authenticated_client(kit_app, ada)

    assert isinstance(client, FlaskClient)
    assert [client.get("/me").json["id"] for _ in range(3)] == [1, 1, 1]
    assert kit_app.test_client().get("/me").status_code == 401


def test_plugin_fixtures(
    kit_app: Flask,
    jwt_client: t.Callable[..., FlaskClient],
    jwt_headers: t.Callable[..., dict[str, str]],
    smith: Teacher,
) -> None:
    assert jwt_client(smith).get("/staff").status_code == 200
    assert jwt_client(table_name="students", entity_id=2).get("/staff").status_code == (
        403
    )
    headers = jwt_headers(table_name="students", entity_id=2)
    assert kit_app.test_client().get("/me", headers=headers).json["id"] == 2


def test_plugin_is_registered_as_an_entry_point() -> None:
    plugins = metadata.entry_points(group="pytest11")

    assert any(ep.value == "flask_jwt_router.pytest_plugin" for ep in plugins), (
        "reinstall the package (pip install -e .) to register the pytest plugin"
    )


def test_plugin_in_another_project(tmp_path: Path) -> None:
    """A project with its own app fixture name, run by a separate pytest."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\njwt_router_app_fixture = school_app\nfilterwarnings = error\n"
    )
    (tmp_path / "test_project.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            from flask import Flask, g
            from flask_jwt_router import JwtRoutes, current_identity

            USERS = {{"u1": {{"name": "uma"}}}}


            @pytest.fixture
            def school_app():
                from flask_jwt_router import EntityBackend, PrimaryKey

                class Users:
                    pass

                class Backend(EntityBackend):
                    name = "dict"

                    def handles(self, model):
                        return model is Users

                    def table_name(self, model):
                        return "users"

                    def primary_key(self, model):
                        return PrimaryKey("uid", str)

                    def load(self, model, entity_id):
                        return USERS.get(entity_id)

                app = Flask("project")
                app.config["SECRET_KEY"] = {SECRET!r}
                JwtRoutes(app, entity_models=[Users], backends=[Backend()])

                @app.get("/me")
                def me():
                    return current_identity().entity

                return app


            def test_me(jwt_client, school_app):
                client = jwt_client(table_name="users", entity_id="u1")
                assert client.get("/me").json == {{"name": "uma"}}
                assert school_app.test_client().get("/me").status_code == 401
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
