"""Setting the extension up: constructor, factory, config keys, startup errors."""

from __future__ import annotations

import logging
import typing as t

import pytest
from flask import Flask, g

from flask_jwt_router import ConfigurationError, JwtRoutes


def add_views(app: Flask) -> None:
    @app.get("/public")
    def public() -> str:
        return "public"

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        user = g.get("users")
        teacher = g.get("teachers")
        return {
            "user": user.name if user is not None else None,
            "teacher": teacher.name if teacher is not None else None,
        }


# -- the ways to set it up ---------------------------------------------------


def test_jwt_routes_app_protects_every_route(app: Flask) -> None:
    add_views(app)
    JwtRoutes(app)
    client = app.test_client()

    assert client.get("/me").status_code == 401
    assert client.get("/public").status_code == 401


def test_jwt_routes_app_with_entity_models(app, fsa, tokens) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/public")]
    add_views(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    client = app.test_client()

    with app.app_context():
        token = jwt_routes.create_token(entity_id=2, table_name="users")

    assert client.get("/public").status_code == 200
    assert client.get("/me").status_code == 401
    response = client.get("/me", headers=tokens.bearer(token))
    assert response.status_code == 200
    assert response.json == {"user": "bob", "teacher": None}


def test_factory_combines_constructor_and_init_app_models(app, fsa, tokens) -> None:
    jwt_routes = JwtRoutes(entity_models=[fsa.User])
    add_views(app)
    jwt_routes.init_app(app, entity_models=[fsa.Teacher])
    client = app.test_client()

    with app.app_context():
        user = jwt_routes.create_token(entity_id=1, table_name="users")
        teacher = jwt_routes.create_token(entity_id=2, table_name="teachers")

    assert client.get("/me", headers=tokens.bearer(user)).json["user"] == "ada"
    assert client.get("/me", headers=tokens.bearer(teacher)).json == {
        "user": None,
        "teacher": "hopper",
    }


def test_entity_models_from_config(app, fsa, tokens) -> None:
    app.config["ENTITY_MODELS"] = [fsa.Teacher]
    add_views(app)
    jwt_routes = JwtRoutes(app)

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="teachers")

    response = app.test_client().get("/me", headers=tokens.bearer(token))
    assert response.json == {"user": None, "teacher": "turing"}


def test_same_model_in_argument_and_config_is_fine(app, fsa, tokens) -> None:
    app.config["ENTITY_MODELS"] = [fsa.User]
    add_views(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    with app.app_context():
        token = jwt_routes.create_token(entity_id=3, table_name="users")

    assert app.test_client().get("/me", headers=tokens.bearer(token)).status_code == 200


def test_init_app_twice_on_one_app_raises(app: Flask) -> None:
    jwt_routes = JwtRoutes(app)

    with pytest.raises(ConfigurationError, match="once per app"):
        jwt_routes.init_app(app)


# -- startup errors ----------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", b""])
def test_missing_secret_key_fails_at_init_app(secret: object) -> None:
    app = Flask("no_secret")

    if secret is not None:
        app.config["SECRET_KEY"] = secret

    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        JwtRoutes(app)

    assert "flask_jwt_router" not in app.extensions


def test_secret_key_of_wrong_type_fails(app: Flask) -> None:
    app.config["SECRET_KEY"] = 12345

    with pytest.raises(ConfigurationError, match="SECRET_KEY must be a str or bytes"):
        JwtRoutes(app)


BAD_ENTRIES = [
    pytest.param("GET /public", id="string-not-pair"),
    pytest.param(("GET",), id="one-element"),
    pytest.param(("GET", "/public", "extra"), id="three-elements"),
    pytest.param((1, "/public"), id="method-not-str"),
    pytest.param(("GET", None), id="path-none"),
    pytest.param({"GET": "/public"}, id="dict"),
]


@pytest.mark.parametrize("key", ["WHITE_LIST_ROUTES", "IGNORED_ROUTES"])
@pytest.mark.parametrize("entry", BAD_ENTRIES)
def test_bad_route_entry_shape_fails_at_init_app(app, key, entry) -> None:
    app.config[key] = [("GET", "/public"), entry]
    add_views(app)

    with pytest.raises(ConfigurationError, match=rf"{key}\[1\].*\(METHOD, path\)"):
        JwtRoutes(app)


@pytest.mark.parametrize("key", ["WHITE_LIST_ROUTES", "IGNORED_ROUTES"])
@pytest.mark.parametrize("value", ["/public", ("GET", "/public"), 42])
def test_route_list_that_is_not_a_list_of_pairs_fails(app, key, value) -> None:
    app.config[key] = value

    with pytest.raises(ConfigurationError, match=key):
        JwtRoutes(app)


@pytest.mark.parametrize("method", ["FETCH", "GETT", "", "*"])
def test_unknown_http_method_fails(app: Flask, method: str) -> None:
    app.config["WHITE_LIST_ROUTES"] = [(method, "/public")]

    with pytest.raises(
        ConfigurationError, match=r"WHITE_LIST_ROUTES\[0\].*HTTP method"
    ):
        JwtRoutes(app)


def test_empty_path_fails(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "  ")]

    with pytest.raises(ConfigurationError, match=r"WHITE_LIST_ROUTES\[0\].*empty path"):
        JwtRoutes(app)


def test_path_without_leading_slash_is_normalised_with_a_warning(app, caplog) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "public")]
    add_views(app)
    JwtRoutes(app)

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        assert app.test_client().get("/public").status_code == 200

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert messages == [
        "WHITE_LIST_ROUTES[0]: path 'public' has no leading slash; it is read as"
        " '/public'."
    ]


def test_leading_slash_warning_is_logged_once(app, caplog) -> None:
    add_views(app)

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        app.config["IGNORED_ROUTES"] = [("GET", "public")]
        JwtRoutes(app)
        client = app.test_client()
        client.get("/public")
        client.get("/public")

    slash = [r for r in caplog.records if "leading slash" in r.getMessage()]
    assert len(slash) == 1
    assert "IGNORED_ROUTES[0]" in slash[0].getMessage()


@pytest.mark.parametrize(
    "days", [0, -1, -0.5, "30", True, [30], float("nan"), float("inf"), 1e12]
)
def test_jwt_expire_days_must_be_a_positive_number(app, days) -> None:
    app.config["JWT_EXPIRE_DAYS"] = days

    with pytest.raises(ConfigurationError, match="JWT_EXPIRE_DAYS must be a positive"):
        JwtRoutes(app)


def test_bad_api_name_fails(app: Flask) -> None:
    app.config["JWT_ROUTER_API_NAME"] = ["/api"]

    with pytest.raises(ConfigurationError, match="JWT_ROUTER_API_NAME"):
        JwtRoutes(app)


@pytest.mark.parametrize("key", ["", 5, None])
def test_bad_entity_key_fails(app: Flask, key: object) -> None:
    app.config["ENTITY_KEY"] = key

    with pytest.raises(ConfigurationError, match="ENTITY_KEY"):
        JwtRoutes(app)


def test_model_that_no_backend_handles_fails(app: Flask) -> None:
    class NotAModel:
        pass

    with pytest.raises(ConfigurationError, match="No entity backend handles NotAModel"):
        JwtRoutes(app, entity_models=[NotAModel])


def test_entity_models_config_that_is_not_a_list_fails(app, fsa) -> None:
    app.config["ENTITY_MODELS"] = fsa.User

    with pytest.raises(ConfigurationError, match="ENTITY_MODELS"):
        JwtRoutes(app)


def test_model_whose_table_name_cannot_be_found_fails(app: Flask) -> None:
    from flask_jwt_router import EntityBackend, PrimaryKey

    class Thing:
        pass

    class NamelessBackend(EntityBackend):
        name = "nameless"

        def handles(self, model: object) -> bool:
            return model is Thing

        def table_name(self, model: t.Any) -> str:
            return ""

        def primary_key(self, model: t.Any) -> PrimaryKey:
            return PrimaryKey("id", int)

        def load(self, model: t.Any, entity_id: object) -> object | None:
            return None

    with pytest.raises(ConfigurationError, match="no table name for Thing"):
        JwtRoutes(app, entity_models=[Thing], backends=[NamelessBackend()])


def test_model_with_composite_primary_key_fails(app: Flask) -> None:
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Base(DeclarativeBase):
        pass

    class Enrolment(Base):
        __tablename__ = "enrolments"
        student_id = mapped_column(Integer, primary_key=True)
        course_id = mapped_column(Integer, primary_key=True)

    with pytest.raises(ConfigurationError, match="Enrolment has a composite primary"):
        JwtRoutes(app, entity_models=[Enrolment])


def test_model_with_unusable_primary_key_type_fails(app: Flask) -> None:
    from sqlalchemy import Date
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Base(DeclarativeBase):
        pass

    class Day(Base):
        __tablename__ = "days"
        day = mapped_column(Date, primary_key=True)

    with pytest.raises(ConfigurationError, match=r"Day\.day"):
        JwtRoutes(app, entity_models=[Day])


def test_two_models_with_one_table_name_fail(app: Flask) -> None:
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class BaseA(DeclarativeBase):
        pass

    class BaseB(DeclarativeBase):
        pass

    class Account(BaseA):
        __tablename__ = "users"
        id = mapped_column(Integer, primary_key=True)

    class Member(BaseB):
        __tablename__ = "users"
        id = mapped_column(Integer, primary_key=True)

    with pytest.raises(ConfigurationError, match="Account and Member.*'users'"):
        JwtRoutes(app, entity_models=[Account, Member])


def test_plain_model_without_any_session_fails_before_first_request(app, sa) -> None:
    add_views(app)
    JwtRoutes(app, entity_models=[sa.Student])

    with pytest.raises(ConfigurationError, match="No SQLAlchemy session found"):
        app.test_client().get("/me")


# -- config set after init_app, before the first request ---------------------


def test_white_list_set_after_init_app_is_honoured(app: Flask) -> None:
    add_views(app)
    JwtRoutes(app)
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/public")]

    assert app.test_client().get("/public").status_code == 200


def test_ignored_routes_and_api_name_set_after_init_app(app: Flask) -> None:
    JwtRoutes(app)

    @app.get("/api/login")
    def login() -> str:
        return "login"

    @app.get("/")
    def home() -> str:
        return "home"

    app.config["JWT_ROUTER_API_NAME"] = "/api"
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/login")]
    app.config["IGNORED_ROUTES"] = [("GET", "/")]
    client = app.test_client()

    assert client.get("/api/login").status_code == 200
    assert client.get("/").status_code == 200


def test_secret_key_changed_after_init_app_is_used(app, fsa, tokens) -> None:
    add_views(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    app.config["SECRET_KEY"] = "another-secret-set-late-by-the-factory-0123456789"

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="users")

    tokens.decode(token, key="another-secret-set-late-by-the-factory-0123456789")
    old = tokens.legacy("users", "id", 1)
    client = app.test_client()
    assert client.get("/me", headers=tokens.bearer(token)).status_code == 200
    assert client.get("/me", headers=tokens.bearer(old)).json["error"] == (
        "bad_signature"
    )


def test_expire_days_set_after_init_app(app, fsa, tokens) -> None:
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    app.config["JWT_EXPIRE_DAYS"] = 2

    with app.app_context():
        claims = tokens.decode(jwt_routes.create_token(entity_id=1, table_name="users"))

    assert claims["exp"] - claims["iat"] == 2 * 86400


def test_entity_models_config_set_after_init_app(app, fsa, tokens) -> None:
    add_views(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    app.config["ENTITY_MODELS"] = [fsa.Teacher]

    with app.app_context():
        token = jwt_routes.create_token(entity_id=2, table_name="teachers")

    response = app.test_client().get("/me", headers=tokens.bearer(token))
    assert response.json == {"user": None, "teacher": "hopper"}


def test_bad_config_set_after_init_app_fails_at_first_request(app: Flask) -> None:
    add_views(app)
    JwtRoutes(app)
    app.config["WHITE_LIST_ROUTES"] = [("FETCH", "/public")]

    with pytest.raises(ConfigurationError, match=r"WHITE_LIST_ROUTES\[0\]"):
        app.test_client().get("/public")


def test_config_set_after_first_request_is_not_read_again(app: Flask) -> None:
    add_views(app)
    JwtRoutes(app)
    client = app.test_client()
    assert client.get("/public").status_code == 401

    app.config["WHITE_LIST_ROUTES"] = [("GET", "/public")]

    assert client.get("/public").status_code == 401


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWT_ROUTER_LEEWAY", float("nan")),
        ("JWT_ROUTER_LEEWAY", float("inf")),
        ("JWT_ROUTER_LEEWAY", -1),
        ("JWT_ROUTER_LEEWAY", "5"),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", [8192]),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", "abc"),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", 0),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", -1),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", 1.5),
        ("JWT_ROUTER_MAX_TOKEN_BYTES", True),
    ],
)
def test_numeric_settings_are_checked_at_init_app(app, key, value) -> None:
    app.config[key] = value

    with pytest.raises(ConfigurationError, match=key):
        JwtRoutes(app)


def test_zero_leeway_and_a_larger_token_limit_are_accepted(app, fsa, tokens) -> None:
    app.config.update(JWT_ROUTER_LEEWAY=0, JWT_ROUTER_MAX_TOKEN_BYTES=16384)
    add_views(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="users")

    assert app.test_client().get("/me", headers=tokens.bearer(token)).status_code == 200


# -- backends set up only where the app uses them ------------------------------


def test_backends_the_app_does_not_use_add_no_request_hooks(app, fsa) -> None:
    # Every ORM's backend is installed in the test env; only SQLAlchemy's is
    # used here, and it needs no hooks with Flask-SQLAlchemy.
    JwtRoutes(app, entity_models=[fsa.User])

    assert not any(app.after_request_funcs.values())
    assert not any(app.teardown_request_funcs.values())


def test_a_backend_used_by_the_app_gets_its_hooks(app, sa) -> None:
    JwtRoutes(app, entity_models=[sa.Student], session=sa.Session)

    assert app.teardown_request_funcs[None]


def test_a_model_needing_backend_hooks_added_after_init_app_fails(app, sa) -> None:
    JwtRoutes(app, session=sa.Session)
    app.config["ENTITY_MODELS"] = [sa.Student]
    add_views(app)

    with pytest.raises(ConfigurationError, match="ENTITY_MODELS gained Student"):
        app.test_client().get("/public")
