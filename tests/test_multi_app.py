"""One JwtRoutes instance serving two apps in one process."""

from __future__ import annotations

import logging
import typing as t

import pytest
from flask import Flask, g
from flask_sqlalchemy import SQLAlchemy

from flask_jwt_router import JwtRouterError, JwtRoutes

KEY_A = "secret-of-app-a-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-ab"
KEY_B = "secret-of-app-b-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-ab"


@pytest.fixture
def two_apps() -> t.Iterator[tuple[Flask, Flask, JwtRoutes]]:
    """App A: users, ``/open`` public, ``/api`` prefix. App B: teachers, ``/me``
    public, ``/`` ignored. Same URL rules, different data in each database."""
    db = SQLAlchemy()

    class User(db.Model):  # type: ignore[name-defined]
        __tablename__ = "users"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50))

    class Teacher(db.Model):  # type: ignore[name-defined]
        __tablename__ = "teachers"
        teacher_id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50))

    jwt_routes = JwtRoutes()
    apps = []

    for name, key, _model, rows in [
        ("app_a", KEY_A, User, [User(id=1, name="ada")]),
        ("app_b", KEY_B, Teacher, [Teacher(teacher_id=1, name="turing")]),
    ]:
        app = Flask(name)
        app.config.update(
            SECRET_KEY=key, TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://"
        )
        db.init_app(app)

        @app.get("/api/open")
        def open_view() -> str:
            return "open"

        @app.get("/me")
        def me() -> dict[str, t.Any]:
            return {
                "users": getattr(g.get("users"), "name", None),
                "teachers": getattr(g.get("teachers"), "name", None),
            }

        @app.get("/")
        def home() -> str:
            return "home"

        with app.app_context():
            db.create_all()
            db.session.add_all(rows)
            db.session.commit()

        apps.append(app)

    app_a, app_b = apps
    app_a.config["JWT_ROUTER_API_NAME"] = "/api"
    app_a.config["WHITE_LIST_ROUTES"] = [("GET", "/open")]
    app_b.config["WHITE_LIST_ROUTES"] = [("GET", "/me")]
    app_b.config["IGNORED_ROUTES"] = [("GET", "/")]
    jwt_routes.init_app(app_a, entity_models=[User])
    jwt_routes.init_app(app_b, entity_models=[Teacher])

    yield app_a, app_b, jwt_routes

    for app in apps:
        with app.app_context():
            db.engine.dispose()


def token_for(jwt_routes: JwtRoutes, app: Flask, table: str) -> str:
    with app.app_context():
        return jwt_routes.create_token(entity_id=1, table_name=table)


def test_each_app_keeps_its_own_whitelist(two_apps) -> None:
    app_a, app_b, _ = two_apps
    a, b = app_a.test_client(), app_b.test_client()

    for _ in range(2):  # interleaved, twice
        assert a.get("/api/open").status_code == 200
        assert b.get("/api/open").status_code == 401
        assert a.get("/me").status_code == 401
        assert b.get("/me").json == {"users": None, "teachers": None}
        assert a.get("/").status_code == 401
        assert b.get("/", headers={"Authorization": "Bearer junk"}).text == "home"


def test_each_app_signs_with_its_own_key(two_apps, tokens) -> None:
    app_a, app_b, jwt_routes = two_apps
    user = token_for(jwt_routes, app_a, "users")
    teacher = token_for(jwt_routes, app_b, "teachers")

    tokens.decode(user, key=KEY_A)
    tokens.decode(teacher, key=KEY_B)

    a, b = app_a.test_client(), app_b.test_client()
    assert a.get("/me", headers=tokens.bearer(user)).json["users"] == "ada"
    assert a.get("/me", headers=tokens.bearer(teacher)).json["error"] == (
        "bad_signature"
    )

    # B's /me is public; update nothing there, but a token signed by A must not
    # make B load anything.
    assert b.get("/me", headers=tokens.bearer(user)).json == {
        "users": None,
        "teachers": None,
    }


def test_each_app_knows_only_its_own_entities(two_apps, tokens) -> None:
    app_a, app_b, jwt_routes = two_apps

    with app_a.app_context(), pytest.raises(JwtRouterError) as info:
        jwt_routes.create_token(entity_id=1, table_name="teachers")

    assert "(known: 'users')" in str(info.value)

    with app_b.app_context(), pytest.raises(JwtRouterError) as info:
        jwt_routes.create_token(entity_id=1, table_name="users")

    assert "(known: 'teachers')" in str(info.value)

    # A teacher token signed with A's key still names a table A does not know.
    forged = tokens.sign(
        {"table_name": "teachers", "teacher_id": 1, "exp": 2**32}, key=KEY_A
    )
    response = app_a.test_client().get("/me", headers=tokens.bearer(forged))
    assert response.json["error"] == "unknown_entity"


def test_each_app_has_its_own_state(two_apps, tokens) -> None:
    app_a, app_b, jwt_routes = two_apps
    app_a.test_client().get("/me")
    app_b.test_client().get("/me")
    before = dict(vars(jwt_routes))

    user = token_for(jwt_routes, app_a, "users")
    assert app_a.test_client().get("/me", headers=tokens.bearer(user)).json == {
        "users": "ada",
        "teachers": None,
    }

    # No request data is kept on the extension.
    assert vars(jwt_routes) == before

    state_a = app_a.extensions["flask_jwt_router"]
    state_b = app_b.extensions["flask_jwt_router"]

    assert state_a is not state_b
    assert state_a.runtime.settings.secret_key == KEY_A
    assert state_b.runtime.settings.secret_key == KEY_B
    assert state_a.runtime.registry.table_names == ("users",)
    assert state_b.runtime.registry.table_names == ("teachers",)
    assert not hasattr(jwt_routes, "app")


def test_warnings_name_the_entries_of_each_app(two_apps, caplog) -> None:
    app_a, app_b, _ = two_apps
    app_a.config["IGNORED_ROUTES"] = [("GET", "/only-in-a")]

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        app_a.test_client().get("/me")
        app_b.test_client().get("/me")

    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "'/only-in-a'" in messages[0]
