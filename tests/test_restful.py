"""Refusals stay 401 with our JSON whatever the app's error handling does.

Flask-RESTful and flask-restx in production mode turn exceptions they do not
know into 500s; an app-wide ``errorhandler(Exception)`` does the same. Neither
may change how a refusal is answered, from the guard or from update_token.
"""

from __future__ import annotations

import time
import typing as t

import pytest
from flask import Blueprint, Flask, g

from flask_jwt_router import JwtRoutes

OTHER_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


def production(app: Flask) -> None:
    app.config.update(TESTING=False, DEBUG=False, PROPAGATE_EXCEPTIONS=False)

    @app.errorhandler(Exception)
    def everything(error: Exception) -> tuple[str, int]:
        return "app handler", 500


def bad_tokens(tokens: t.Any) -> dict[str, str]:
    now = int(time.time())
    good = {"table_name": "users", "id": 1, "exp": now + 600}

    return {
        "token_expired": tokens.sign({**good, "exp": now - 3600}),
        "bad_signature": tokens.sign(good, key=OTHER_KEY),
        "unknown_entity": tokens.sign({**good, "id": 404}),
        "token_malformed": "x.y.z",
    }


def assert_refused(response: t.Any, error: str) -> None:
    assert response.status_code == 401, (error, response.data)
    assert response.json["error"] == error
    assert set(response.json) == {"error", "message"}
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')


@pytest.fixture
def restful_app(app: Flask, fsa: t.Any) -> tuple[Flask, JwtRoutes]:
    flask_restful = pytest.importorskip("flask_restful")
    production(app)
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login"), ("POST", "/plain-login")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    api = flask_restful.Api(app)

    class Me(flask_restful.Resource):
        def get(self) -> dict[str, t.Any]:
            return {"id": g.users.id}

    class Login(flask_restful.Resource):
        def post(self) -> dict[str, str]:
            return {"token": jwt_routes.update_token()}

    class Broken(flask_restful.Resource):
        def get(self) -> None:
            raise RuntimeError("a real bug")

    api.add_resource(Me, "/me")
    api.add_resource(Login, "/login")
    api.add_resource(Broken, "/broken")

    @app.post("/plain-login")
    def plain_login() -> str:
        return jwt_routes.update_token()

    return app, jwt_routes


def test_flask_restful_guard_refusals(restful_app, tokens) -> None:
    app, _ = restful_app
    client = app.test_client()

    assert_refused(client.get("/me"), "token_missing")

    for error, token in bad_tokens(tokens).items():
        assert_refused(client.get("/me", headers=tokens.bearer(token)), error)


@pytest.mark.parametrize("path", ["/login", "/plain-login"])
def test_flask_restful_update_token_refusals(restful_app, tokens, path) -> None:
    app, _ = restful_app
    client = app.test_client()

    for error, token in bad_tokens(tokens).items():
        assert_refused(client.post(path, headers=tokens.bearer(token)), error)


def test_flask_restful_still_works_and_bugs_stay_500(restful_app, tokens) -> None:
    app, jwt_routes = restful_app
    client = app.test_client()

    with app.app_context():
        token = jwt_routes.create_token(entity_id=3, table_name="users")

    assert client.get("/me", headers=tokens.bearer(token)).json == {"id": 3}
    login = client.post("/login", headers=tokens.bearer(token))
    assert tokens.decode(login.json["token"])["id"] == 3
    assert client.get("/broken", headers=tokens.bearer(token)).status_code == 500


def test_flask_restful_with_a_custom_error_response(restful_app, tokens) -> None:
    app, jwt_routes = restful_app

    @jwt_routes.error_handler
    def custom(error: t.Any) -> t.Any:
        from flask import jsonify

        response = jsonify(problem=error.error)
        response.status_code = error.code
        return response

    expired = bad_tokens(tokens)["token_expired"]
    client = app.test_client()

    for path in ("/login", "/plain-login"):
        response = client.post(path, headers=tokens.bearer(expired))
        assert response.status_code == 401
        assert response.json == {"problem": "token_expired"}


@pytest.fixture
def restx_app(app: Flask, fsa: t.Any) -> tuple[Flask, JwtRoutes]:
    flask_restx = pytest.importorskip("flask_restx")
    production(app)
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])
    api = flask_restx.Api(app, doc=False)

    @api.route("/me")
    class Me(flask_restx.Resource):
        def get(self) -> dict[str, t.Any]:
            return {"id": g.users.id}

    @api.route("/login")
    class Login(flask_restx.Resource):
        def post(self) -> dict[str, str]:
            return {"token": jwt_routes.update_token()}

    return app, jwt_routes


def test_flask_restx_guard_and_update_token_refusals(restx_app, tokens) -> None:
    app, jwt_routes = restx_app
    client = app.test_client()

    assert_refused(client.get("/me"), "token_missing")

    for error, token in bad_tokens(tokens).items():
        assert_refused(client.get("/me", headers=tokens.bearer(token)), error)
        assert_refused(client.post("/login", headers=tokens.bearer(token)), error)

    with app.app_context():
        token = jwt_routes.create_token(entity_id=2, table_name="users")

    assert client.get("/me", headers=tokens.bearer(token)).json == {"id": 2}


# -- plain Flask with error handlers that would swallow a refusal ------------


@pytest.fixture
def plain_app(app: Flask, fsa: t.Any) -> tuple[Flask, JwtRoutes]:
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/login"), ("POST", "/bp/login")]
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    @app.post("/login")
    def login() -> str:
        return jwt_routes.update_token()

    bp = Blueprint("bp", __name__)

    @bp.post("/login")
    def bp_login() -> str:
        return jwt_routes.update_token()

    @bp.errorhandler(Exception)
    def bp_everything(error: Exception) -> tuple[str, int]:
        return "blueprint handler", 500

    app.register_blueprint(bp, url_prefix="/bp")
    return app, jwt_routes


@pytest.mark.parametrize(
    "setup",
    ["exception-handler", "http-exception-handler", "401-handler", "trap-http"],
)
@pytest.mark.parametrize("path", ["/login", "/bp/login"])
def test_update_token_refusal_survives_app_error_handlers(
    plain_app, tokens, setup, path
) -> None:
    app, _ = plain_app
    production(app)

    if setup == "http-exception-handler":
        from werkzeug.exceptions import HTTPException

        app.register_error_handler(HTTPException, lambda e: ("http handler", 500))
    elif setup == "401-handler":
        app.register_error_handler(401, lambda e: ("<h1>Unauthorized</h1>", 401))
    elif setup == "trap-http":
        app.config["TRAP_HTTP_EXCEPTIONS"] = True

    client = app.test_client()

    for error, token in bad_tokens(tokens).items():
        assert_refused(client.post(path, headers=tokens.bearer(token)), error)


def test_guard_refusal_survives_app_error_handlers(plain_app, tokens) -> None:
    app, _ = plain_app
    production(app)
    app.register_error_handler(401, lambda e: ("<h1>Unauthorized</h1>", 401))

    @app.get("/me")
    def me() -> str:
        return "me"

    assert_refused(app.test_client().get("/me"), "token_missing")


def test_flask_restx_with_a_custom_error_response(restx_app, tokens) -> None:
    app, jwt_routes = restx_app

    @jwt_routes.error_handler
    def custom(error: t.Any) -> t.Any:
        from flask import jsonify

        response = jsonify(problem=error.error)
        response.status_code = error.code
        return response

    client = app.test_client()
    expired = bad_tokens(tokens)["token_expired"]

    assert client.get("/me").json == {"problem": "token_missing"}
    response = client.post("/login", headers=tokens.bearer(expired))
    assert response.status_code == 401
    assert response.json == {"problem": "token_expired"}
