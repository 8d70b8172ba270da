"""A small school API protected by flask-jwt-router.

Run it with ``flask --app examples/demo/school seed`` then ``... run``, or
``bash scripts/demo.sh`` from the repository root.
"""

from __future__ import annotations

import secrets
import typing as t
from pathlib import Path

from flask import Flask
from werkzeug.exceptions import HTTPException

from .extensions import db, jwt_routes
from .models import Student, Teacher

API_PREFIX = "/api/v1"


def create_app(test_config: t.Mapping[str, t.Any] | None = None) -> Flask:
    """Build the app; ``test_config``, if given, is used instead of the env."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # A relative SQLite path lives in the instance folder.
        SQLALCHEMY_DATABASE_URI="sqlite:///school.sqlite",
        JWT_ROUTER_API_NAME=API_PREFIX,
        # Public routes, written without the API prefix: flask-jwt-router adds it.
        WHITE_LIST_ROUTES=[
            ("POST", "/students"),
            ("POST", "/teachers"),
            ("POST", "/login"),
            ("POST", "/session"),
            ("GET", "/courses"),
            ("GET", "/courses/<int:course_id>"),
        ],
        # The index and browser pages are left alone entirely (never prefixed).
        IGNORED_ROUTES=[("GET", "/"), ("GET", "/browser")],
        # Browsers on /browser send their token in a cookie (CSRF-checked).
        JWT_ROUTER_TOKEN_LOCATION=["header", "query", "cookie"],
        JWT_EXPIRE_DAYS=7,
    )

    if test_config is None:
        # FLASK_SECRET_KEY, FLASK_SQLALCHEMY_DATABASE_URI, ... from the env.
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    db.init_app(app)
    jwt_routes.init_app(app, entity_models=[Student, Teacher])

    from . import api, browser, cli

    app.register_blueprint(api.bp, url_prefix=API_PREFIX)
    app.register_blueprint(browser.bp, url_prefix=API_PREFIX)
    app.register_blueprint(browser.page_bp)
    app.register_error_handler(HTTPException, _http_error)
    app.cli.add_command(cli.seed)

    @app.get("/")
    def index() -> dict[str, object]:
        return {
            "name": "school demo",
            "api": API_PREFIX,
            "public": [f"{method} {path}" for method, path in _public_routes(app)],
        }

    return app


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so tokens survive restarts."""
    path = instance / "secret_key"

    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)

    return path.read_text().strip()


def _public_routes(app: Flask) -> list[tuple[str, str]]:
    prefix = app.config["JWT_ROUTER_API_NAME"]
    return [(method, prefix + path) for method, path in app.config["WHITE_LIST_ROUTES"]]


def _http_error(error: HTTPException) -> t.Any:
    """Answer Flask's own errors (400, 404, 405...) as JSON too.

    flask-jwt-router answers its refusals before error handlers run, with
    their ``WWW-Authenticate`` header, so this handler never sees them.
    """
    name = (error.name or "error").lower().replace(" ", "_")
    return {"error": name, "message": error.description}, error.code
