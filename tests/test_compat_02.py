"""flask-jwt-router 0.2 apps and tokens keep working unchanged."""

from __future__ import annotations

import datetime
import typing as t

import jwt
import pytest
from flask import Flask, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_jwt_router import JwtRoutes

SECRET = "a-0.2-app-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"

# -- an app as 0.2's users wrote it: module-level extensions, a factory -------

db = SQLAlchemy()
jwt_routes = JwtRoutes()


class UserModel(db.Model):  # type: ignore[name-defined]
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), unique=True)


class TeacherModel(db.Model):  # type: ignore[name-defined]
    __tablename__ = "teachers"
    teacher_id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50))


class Config:
    SECRET_KEY = SECRET
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    JWT_ROUTER_API_NAME = "/api/v1"
    WHITE_LIST_ROUTES = [
        ("POST", "/register"),
        ("POST", "/login"),
        ("PUT", "/apples/<int:user_id>"),
    ]
    IGNORED_ROUTES = [("GET", "/")]


def create_app(config: type = Config) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config)
    db.init_app(app)
    jwt_routes.init_app(app, entity_models=[UserModel, TeacherModel])

    @app.route("/")
    def home():  # type: ignore[no-untyped-def]
        return "home"

    @app.route("/api/v1/register", methods=["POST"])
    def register():  # type: ignore[no-untyped-def]
        user = UserModel(name=request.get_json()["name"])
        db.session.add(user)
        db.session.commit()
        token = jwt_routes.create_token(entity_id=user.id, table_name="users")
        return jsonify({"data": token})

    @app.route("/api/v1/login", methods=["POST"])
    def login():  # type: ignore[no-untyped-def]
        user = UserModel.query.filter_by(name=request.get_json()["name"]).first()
        token = jwt_routes.update_token(entity_id=user.id)
        return jsonify({"data": token})

    @app.route("/api/v1/me", methods=["GET"])
    def me():  # type: ignore[no-untyped-def]
        return jsonify({"name": g.users.name, "same": g.get("users") is g.users})

    @app.route("/api/v1/apples/<int:user_id>", methods=["PUT", "GET"])
    def apples(user_id):  # type: ignore[no-untyped-def]
        return jsonify({"apples": user_id})

    @app.route("/api/v1/teachers/token", methods=["GET"])
    def teacher_token():  # type: ignore[no-untyped-def]
        return jsonify({"data": jwt_routes.encode_token(g.teachers.teacher_id)})

    @app.route("/api/v1/teachers/me", methods=["GET"])
    def teacher_me():  # type: ignore[no-untyped-def]
        return jsonify({"name": g.teachers.name})

    with app.app_context():
        db.create_all()
        db.session.add(TeacherModel(teacher_id=7, name="turing"))
        db.session.commit()

    return app


@pytest.fixture
def app() -> t.Iterator[Flask]:
    jwt_routes.set_exp()
    app = create_app()
    yield app

    with app.app_context():
        db.engine.dispose()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_0_2_app_works_unchanged(app: Flask) -> None:
    client = app.test_client()

    assert client.get("/").text == "home"
    assert client.get("/api/v1/me").status_code == 401

    registered = client.post("/api/v1/register", json={"name": "ada"})
    assert registered.status_code == 200
    token = registered.json["data"]

    me = client.get("/api/v1/me", headers=auth(token))
    assert me.json == {"name": "ada", "same": True}
    assert client.get("/api/v1/me", query_string={"auth": token}).status_code == 200

    login = client.post("/api/v1/login", json={"name": "ada"}, headers=auth(token))
    assert login.status_code == 200
    assert client.get("/api/v1/me", headers=auth(login.json["data"])).status_code == 200

    assert client.put("/api/v1/apples/3").json == {"apples": 3}
    assert client.get("/api/v1/apples/3").status_code == 401


def test_a_0_2_login_without_a_token_points_to_create_token(app: Flask) -> None:
    # The client left its token out: a 401 for it, not a 500; the message
    # tells the developer what to call instead.
    client = app.test_client()
    client.post("/api/v1/register", json={"name": "bob"})

    response = client.post("/api/v1/login", json={"name": "bob"})

    assert response.status_code == 401
    assert response.json["error"] == "token_missing"
    assert "create_token" in response.json["message"]


def test_set_exp_as_0_2_apps_call_it(app: Flask) -> None:
    jwt_routes.set_exp(expire_days=14)
    token = app.test_client().post("/api/v1/register", json={"name": "cy"}).json["data"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    jwt_routes.set_exp()

    assert claims["exp"] - claims["iat"] == 14 * 86400


def test_encode_token_for_a_teacher(app: Flask) -> None:
    legacy = jwt.encode(
        {
            "table_name": "teachers",
            "teacher_id": 7,
            "exp": datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(days=1),
        },
        SECRET,
        algorithm="HS256",
    )
    client = app.test_client()

    fresh = client.get("/api/v1/teachers/token", headers=auth(legacy))
    assert fresh.status_code == 200
    claims = jwt.decode(fresh.json["data"], SECRET, algorithms=["HS256"])
    assert (claims["table_name"], claims["teacher_id"]) == ("teachers", 7)
    assert client.get("/api/v1/teachers/me", headers=auth(fresh.json["data"])).json == {
        "name": "turing"
    }


@pytest.mark.parametrize(
    ("table", "claim", "entity_id", "path", "expected"),
    [
        ("users", "id", 1, "/api/v1/me", {"name": "ada", "same": True}),
        ("teachers", "teacher_id", 7, "/api/v1/teachers/me", {"name": "turing"}),
    ],
)
def test_tokens_in_0_2_format_are_accepted(
    app, table, claim, entity_id, path, expected
):
    app.test_client().post("/api/v1/register", json={"name": "ada"})
    # Exactly what 0.2 signed: the table, the key under its column, exp.
    legacy = jwt.encode(
        {
            "table_name": table,
            claim: entity_id,
            "exp": datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(days=30),
        },
        SECRET,
        algorithm="HS256",
    )

    response = app.test_client().get(path, headers=auth(legacy))

    assert response.status_code == 200
    assert response.json == expected


def test_a_0_2_token_signed_with_another_secret_is_refused(app: Flask) -> None:
    legacy = jwt.encode(
        {"table_name": "teachers", "teacher_id": 7, "exp": 2**32},
        "not-the-app-secret-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        algorithm="HS256",
    )

    response = app.test_client().get("/api/v1/teachers/me", headers=auth(legacy))
    assert response.status_code == 401
    assert response.json["error"] == "bad_signature"


def test_the_direct_0_2_setup(tmp_path) -> None:
    app = Flask("direct")
    app.config["SECRET_KEY"] = SECRET
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'direct.db'}"
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/hello")]
    local_db = SQLAlchemy(app)

    class Person(local_db.Model):  # type: ignore[name-defined]
        __tablename__ = "people"
        id = local_db.Column(local_db.Integer, primary_key=True)

    direct = JwtRoutes(app, entity_models=[Person])

    @app.route("/hello")
    def hello():  # type: ignore[no-untyped-def]
        return "hello"

    @app.route("/person")
    def person():  # type: ignore[no-untyped-def]
        return str(g.people.id)

    with app.app_context():
        local_db.create_all()
        local_db.session.add(Person(id=5))
        local_db.session.commit()
        token = direct.create_token(entity_id=5, table_name="people")

    client = app.test_client()
    assert client.get("/hello").text == "hello"
    assert client.get("/person", headers=auth(token)).text == "5"

    with app.app_context():
        local_db.engine.dispose()
