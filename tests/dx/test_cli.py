"""``flask jwt-router routes | check | token``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from flask_jwt_router import entity_scope, optional, public

from .school import SECRET, claims_of

MakeApp = t.Callable[..., Flask]


def run(app: Flask, *args: str) -> t.Any:
    return app.test_cli_runner().invoke(args=["jwt-router", *args])


@pytest.fixture
def school(make_app: MakeApp) -> Flask:
    app = make_app(
        WHITE_LIST_ROUTES=[("POST", "/login"), ("GET", "/users/<int:uid>")],
        IGNORED_ROUTES=[("GET", "/")],
        JWT_ROUTER_API_NAME="/api",
    )
    staff = entity_scope("teachers")(Blueprint("staff", __name__, url_prefix="/staff"))

    @staff.get("/grades")
    def grades() -> str:
        return "grades"

    @app.post("/api/login")
    def login() -> str:
        return "token"

    @app.get("/api/users/<int:uid>")
    def user(uid: int) -> str:
        return "user"

    @app.get("/")
    def home() -> str:
        return "home"

    @app.get("/feed")
    @optional(lenient=True)
    def feed() -> str:
        return "feed"

    app.register_blueprint(staff)
    return app


def test_the_group_is_registered_on_the_app(app: Flask) -> None:
    assert "jwt-router" in app.cli.list_commands(None)  # type: ignore[arg-type]
    result = run(app, "--help")

    assert result.exit_code == 0
    assert all(name in result.output for name in ("routes", "check", "token"))


def test_routes_as_a_table(school: Flask) -> None:
    result = run(school, "routes")
    lines = result.output.splitlines()

    assert result.exit_code == 0
    assert lines[0].split() == ["RULE", "METHOD", "ENDPOINT", "POLICY", "DECIDED", "BY"]

    def line(rule: str, method: str) -> list[str]:
        found = [ln.split() for ln in lines if ln.split()[:2] == [rule, method]]
        assert len(found) == 1, (rule, method, result.output)
        return found[0]

    assert line("/api/login", "POST")[3:] == [
        "public",
        "('POST',",
        "'/api/login')",
        "from",
        "WHITE_LIST_ROUTES[0]",
    ]
    assert line("/", "GET")[3] == "ignored"
    assert line("/feed", "GET")[3:] == [
        "optional_lenient",
        "@optional(lenient=True)",
        "on",
        "view",
        "'feed'",
    ]
    assert line("/staff/grades", "GET")[3:5] == ["protected", "[teachers]"]
    assert line("/api/login", "OPTIONS")[3] == "automatic_options"
    assert line("/static/<path:filename>", "GET")[3] == "static"
    assert line("/api/users/<int:uid>", "GET")[3] == "public"
    assert not [ln for ln in lines if ln.split()[:2] == ["/api/login", "GET"]]


def test_routes_as_json(school: Flask) -> None:
    result = run(school, "routes", "--json")
    routes = json.loads(result.output)
    by_key = {(route["rule"], route["method"]): route for route in routes}

    assert result.exit_code == 0
    assert by_key[("/staff/grades", "GET")] == {
        "rule": "/staff/grades",
        "method": "GET",
        "endpoint": "staff.grades",
        "policy": "protected",
        "entities": ["teachers"],
        "decided_by": ["@entity_scope('teachers') on blueprint 'staff'"],
        "conflicts": [],
        "subdomain": None,
        "host": None,
    }
    assert by_key[("/api/users/<int:uid>", "HEAD")]["decided_by"] == [
        "('GET', '/api/users/<int:uid>') from WHITE_LIST_ROUTES[1]"
    ]
    assert {route["method"] for route in routes if route["rule"] == "/feed"} == {
        "GET",
        "HEAD",
        "OPTIONS",
    }


def test_check_passes_a_clean_app(school: Flask) -> None:
    result = run(school, "check")

    assert (result.exit_code, result.output) == (0, "flask-jwt-router: no findings.\n")


def test_check_fails_on_each_kind_of_finding(make_app: MakeApp) -> None:
    app = make_app(
        WHITE_LIST_ROUTES=[("GET", "/users/<uid>"), ("GET", "/feed")],
        IGNORED_ROUTES=[("GET", "/nowhere")],
    )

    @app.get("/users/<int:uid>")
    def user(uid: int) -> str:
        return "user"

    @app.route("/cors", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    def cors() -> str:
        return "cors"

    @app.get("/feed")
    @optional
    def feed() -> str:
        return "feed"

    result = run(app, "check")
    codes = sorted(
        line[1:].partition("]")[0]
        for line in result.output.splitlines()
        if line.startswith("[")
    )

    assert result.exit_code == 1
    assert codes == [
        "conflict",
        "conflict",
        "converter-wildcard",
        "unmatched-entry",
        "view-options",
    ]
    assert "('GET', '/nowhere') from IGNORED_ROUTES[0]" in result.output
    assert "makes /users/<int:uid> open" in result.output
    assert "/cors (cors) answers OPTIONS itself" in result.output
    assert "flask-jwt-router: 5 finding(s)." in result.output


def test_check_accepts_a_self_handled_options_made_public(make_app: MakeApp) -> None:
    app = make_app(WHITE_LIST_ROUTES=[("OPTIONS", "/cors")])

    @app.route("/cors", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    def cors() -> str:
        return "cors"

    assert run(app, "check").exit_code == 0


def test_check_reports_a_bad_config(make_app: MakeApp) -> None:
    app = make_app()
    # Set late, as app factories do: read when the runtime is built.
    app.config["JWT_EXPIRE_DAYS"] = -1
    result = run(app, "check")

    assert result.exit_code == 1
    assert "JWT_EXPIRE_DAYS must be a positive number" in result.output


def test_token_mints_a_token(app: Flask) -> None:
    result = run(app, "token", "teachers", "7", "--claim", "role=head")
    claims = claims_of(result.output.strip())

    assert result.exit_code == 0
    assert (claims["table_name"], claims["tid"], claims["sub"]) == ("teachers", 7, "7")
    assert claims["role"] == "head"
    assert claims["exp"] - claims["iat"] == 30 * 86400


def test_token_options(app: Flask) -> None:
    result = run(
        app,
        "token",
        "students",
        "2",
        "--days",
        "0.5",
        "--claim",
        "rooms=[1, 2]",
        "--claim",
        "note=not json",
    )
    claims = claims_of(result.output.strip())

    assert claims["exp"] - claims["iat"] == 43200
    assert (claims["rooms"], claims["note"]) == ([1, 2], "not json")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["pupils", "1"], 1, "known: 'students', 'teachers'"),
        (["students", "abc"], 1, "not a valid primary key"),
        (["students", "1", "--claim", "exp=1"], 1, "'exp' would overwrite"),
        (["students", "1", "--claim", "novalue"], 2, "is not NAME=VALUE"),
        (["students", "1", "--days", "0"], 2, "positive number of days"),
        (["students", "1", "--days", "99999"], 2, "at most 36500"),
    ],
)
def test_token_refuses_bad_input(
    app: Flask, args: list[str], code: int, message: str
) -> None:
    result = run(app, "token", *args)

    assert result.exit_code == code
    assert message in result.output


def test_check_through_the_flask_command(tmp_path: Path) -> None:
    """What CI runs: the real ``flask`` command on an app module."""
    (tmp_path / "ciapp.py").write_text(
        textwrap.dedent(
            f"""
            from flask import Flask
            from flask_jwt_router import JwtRoutes

            app = Flask(__name__)
            app.config["SECRET_KEY"] = {SECRET!r}
            app.config["WHITE_LIST_ROUTES"] = [("GET", "/gone")]
            JwtRoutes(app)

            @app.get("/here")
            def here():
                return "here"
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONWARNINGS": "error"}
    command = [sys.executable, "-m", "flask", "--app", "ciapp", "jwt-router"]

    check = subprocess.run(
        [*command, "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    routes = subprocess.run(
        [*command, "routes", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert check.returncode == 1
    assert (
        "[unmatched-entry] ('GET', '/gone') from WHITE_LIST_ROUTES[0]" in check.stdout
    )
    assert {route["rule"] for route in json.loads(routes.stdout)} == {
        "/here",
        "/static/<path:filename>",
    }


def test_public_blueprint_in_the_route_map(app: Flask) -> None:
    open_bp = public(Blueprint("open", __name__, url_prefix="/open"))

    @open_bp.get("/a")
    def a() -> str:
        return "a"

    app.register_blueprint(open_bp)
    routes = json.loads(run(app, "routes", "--json").output)

    assert [r["policy"] for r in routes if r["rule"] == "/open/a"] == [
        "public",
        "public",
        "automatic_options",
    ]
