"""Fixtures for the cookie and CSRF tests: the example app, built fresh per test."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import types
import typing as t

import pytest
from flask import Blueprint, Flask, g, jsonify, request
from flask.views import MethodView
from sqlalchemy import String, create_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

from flask_jwt_router import (
    JwtRoutes,
    UsageError,
    refresh_token_from_cookie,
    set_access_cookies,
    set_refresh_cookies,
    token_locations,
    unset_jwt_cookies,
)

EXAMPLE = (
    pathlib.Path(__file__).resolve().parents[2] / "examples" / "cookies" / "app.py"
)


@pytest.fixture(scope="session")
def example() -> types.ModuleType:
    """The module of ``examples/cookies/app.py``."""
    name = "flask_jwt_router_cookies_example"
    module = sys.modules.get(name)

    if module is None:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)

    return module


@pytest.fixture()
def make_example(
    example: types.ModuleType, tmp_path: pathlib.Path
) -> t.Callable[..., t.Any]:
    """Build the example app on a fresh SQLite file, seeded with its user."""

    def make(**config: t.Any) -> t.Any:
        app = example.create_app(f"sqlite:///{tmp_path / 'demo.sqlite'}", **config)
        example.seed(app)
        return app

    return make


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture()
def make_app() -> t.Iterator[t.Callable[..., Flask]]:
    """Build a small protected app; keyword arguments go into its config.

    Routes: ``/items`` (protected, every method), ``/login`` (public, sets
    the cookies of member 1), ``/login-pair`` (public, sets access and
    refresh cookies), ``/logout`` (revokes the session), ``/renew`` (public,
    ``update_token``), ``/home`` (ignored), ``/api-only`` (header only),
    ``/video`` (query only), ``/pages/...`` (a cookie-only blueprint with a
    nested one) and ``/refresh`` (public, reads the refresh cookie).
    """
    engines = []

    def make(**config: t.Any) -> Flask:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        engines.append(engine)
        Base.metadata.create_all(engine)
        session = scoped_session(sessionmaker(engine))
        session.add_all([Member(id=1, name="one"), Member(id=2, name="two")])
        session.commit()

        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="test-secret-key-long-enough-for-hs256-0123456789",
            WHITE_LIST_ROUTES=[
                ("POST", "/login"),
                ("POST", "/login-pair"),
                ("POST", "/renew"),
                ("POST", "/refresh"),
            ],
            IGNORED_ROUTES=[("GET", "/home"), ("POST", "/home")],
        )
        app.config.update(config)
        app.teardown_appcontext(lambda exc: session.remove())
        jwt_routes = JwtRoutes(app, entity_models=[Member], session=session)
        app.extensions["test_jwt_routes"] = jwt_routes

        @app.route("/items", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        def items() -> t.Any:
            return {"member": g.members.name, "method": request.method}

        @app.post("/login")
        def login() -> t.Any:
            member_id = int(request.args.get("member", 1))
            token = jwt_routes.create_token(entity_id=member_id, table_name="members")
            return set_access_cookies(jsonify(token=token), token)

        @app.post("/login-pair")
        def login_pair() -> t.Any:
            pair = jwt_routes.create_token(
                entity_id=1, table_name="members", refresh=True
            )
            response = set_access_cookies(jsonify(), pair.access_token)
            return set_refresh_cookies(response, pair.refresh_token)

        @app.post("/logout")
        def logout() -> t.Any:
            jwt_routes.revoke_session()
            return unset_jwt_cookies(jsonify(logged_out=True))

        @app.post("/renew")
        def renew() -> t.Any:
            return {"token": jwt_routes.update_token()}

        @app.route("/home", methods=["GET", "POST"])
        def home() -> t.Any:
            try:
                token = jwt_routes.update_token()
            except UsageError:
                token = None

            return {"member": getattr(g, "members", None), "token": token}

        @app.route("/api-only", methods=["GET", "POST"])
        @token_locations("header")
        def api_only() -> t.Any:
            return {"member": g.members.name}

        @app.get("/video")
        @token_locations("query")
        def video() -> t.Any:
            return {"member": g.members.name}

        @app.post("/refresh")
        def refresh() -> t.Any:
            return {"refresh": refresh_token_from_cookie()}

        class Thing(MethodView):
            def get(self) -> t.Any:
                return {"member": g.members.name}

        token_locations("header")(Thing)
        app.add_url_rule("/thing", view_func=Thing.as_view("thing"))

        pages = Blueprint("pages", __name__, url_prefix="/pages")
        token_locations("cookie")(pages)
        inner = Blueprint("inner", __name__, url_prefix="/inner")

        @pages.route("/", methods=["GET", "POST"])
        def page() -> t.Any:
            return {"member": g.members.name}

        @pages.get("/any")
        @token_locations("header", "cookie")
        def any_location() -> t.Any:
            return {"member": g.members.name}

        @inner.get("/")
        def inner_page() -> t.Any:
            return {"member": g.members.name}

        pages.register_blueprint(inner)
        app.register_blueprint(pages)
        return app

    yield make

    for engine in engines:
        engine.dispose()


@pytest.fixture()
def token_for() -> t.Callable[..., str]:
    """Make a token for a member of an app built by ``make_app``."""

    def make(app: Flask, member_id: int = 1) -> str:
        with app.app_context():
            token: str = app.extensions["test_jwt_routes"].create_token(
                entity_id=member_id, table_name="members"
            )

        return token

    return make


DEMO = pathlib.Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture()
def school_app(tmp_path: pathlib.Path) -> Flask:
    """The school demo of ``examples/demo`` on a fresh, seeded SQLite file."""
    pytest.importorskip("flask_sqlalchemy")

    if str(DEMO) not in sys.path:
        sys.path.insert(0, str(DEMO))

    from school import create_app

    app = create_app(
        {
            "SECRET_KEY": "school-test-secret-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'school.sqlite'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return app
