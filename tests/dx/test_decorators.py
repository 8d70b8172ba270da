"""Per-view and per-blueprint rules: public, ignored, optional, entity scopes."""

from __future__ import annotations

import functools
import logging
import typing as t

import pytest
from flask import Blueprint, Flask, g
from flask.views import MethodView
from sqlalchemy import text

from flask_jwt_router import (
    ConfigurationError,
    UsageError,
    current_identity,
    entity_scope,
    ignored,
    optional,
    public,
)
from flask_jwt_router.audit import route_map
from flask_jwt_router.testing import (
    bearer,
    expired_token,
    forged_token,
    other_entity_token,
)

from .school import Student, Teacher

Headers = t.Callable[..., dict[str, str]]


def who() -> dict[str, t.Any]:
    identity = current_identity(required=False)

    if identity is None:
        return {"who": None}

    return {"who": identity.entity.name, "table": identity.table_name}


def policy_of(app: Flask, rule: str, method: str = "GET") -> dict[str, t.Any]:
    for route in route_map(app):
        if route.rule == rule and route.method == method:
            return route.as_dict()

    raise AssertionError(f"no route {method} {rule}")


# -- public and ignored ------------------------------------------------------


def test_public_view_needs_no_token(app: Flask) -> None:
    @app.get("/open")
    @public
    def open_view() -> dict[str, t.Any]:
        return who()

    @app.get("/closed")
    def closed() -> dict[str, t.Any]:
        return who()

    client = app.test_client()

    assert client.get("/open").json == {"who": None}
    assert client.head("/open").status_code == 200
    assert client.get("/closed").status_code == 401


def test_public_may_sit_above_the_route_decorator(app: Flask) -> None:
    @public
    @app.get("/open")
    def open_view() -> str:
        return "ok"

    assert app.test_client().get("/open").status_code == 200


def test_public_for_some_methods_only(app: Flask, jwt_headers: Headers) -> None:
    @app.route("/board", methods=["GET", "POST"])
    @public(methods=["get"])
    def board() -> dict[str, t.Any]:
        return who()

    client = app.test_client()

    assert client.get("/board").status_code == 200
    assert client.head("/board").status_code == 200
    assert client.post("/board").status_code == 401
    assert client.post(
        "/board", headers=jwt_headers(table_name="students", entity_id=1)
    ).json == {
        "who": "ada",
        "table": "students",
    }


def test_ignored_view_reads_no_token_and_sets_nothing(app: Flask, ada: Student) -> None:
    seen = {}

    @app.get("/home")
    @ignored
    def home() -> str:
        seen["g"] = g.get("students")
        seen["identity"] = current_identity(required=False)
        return "home"

    client = app.test_client()
    # Even a malformed header is none of the library's business here.
    response = client.get("/home", headers={"Authorization": "Bearer a b c"})

    assert response.status_code == 200
    assert seen == {"g": None, "identity": None}


def test_public_blueprint_covers_its_views_and_nested_ones(app: Flask) -> None:
    parent = public(Blueprint("docs", __name__, url_prefix="/docs"))
    child = Blueprint("api", __name__, url_prefix="/api")

    @parent.get("/")
    def index() -> str:
        return "index"

    @child.get("/spec")
    def spec() -> str:
        return "spec"

    parent.register_blueprint(child)
    app.register_blueprint(parent)

    @app.get("/private")
    def private() -> str:
        return "private"

    client = app.test_client()

    assert client.get("/docs/").status_code == 200
    assert client.get("/docs/api/spec").status_code == 200
    assert client.get("/private").status_code == 401
    assert policy_of(app, "/docs/api/spec")["decided_by"] == [
        "@public on blueprint 'docs'"
    ]


def test_blueprint_registered_under_another_name(app: Flask) -> None:
    shared = Blueprint("shared", __name__)

    @shared.get("/hello")
    def hello() -> str:
        return "hello"

    ignored(shared)
    app.register_blueprint(shared, url_prefix="/a")
    app.register_blueprint(shared, url_prefix="/b", name="shared_b")
    client = app.test_client()

    assert client.get("/a/hello").status_code == 200
    assert client.get("/b/hello").status_code == 200
    assert policy_of(app, "/b/hello")["policy"] == "ignored"


def test_view_class_and_wrapped_views_keep_their_marks(app: Flask) -> None:
    @public
    class Status(MethodView):
        def get(self) -> str:
            return "up"

    def logged(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return view(*args, **kwargs)

        return wrapper

    @public
    def ping() -> str:
        return "pong"

    app.add_url_rule("/status", view_func=Status.as_view("status"))
    app.add_url_rule("/ping", view_func=logged(ping))
    client = app.test_client()

    assert client.get("/status").status_code == 200
    assert client.get("/ping").status_code == 200


def test_decorator_misuse_is_refused() -> None:
    with pytest.raises(UsageError, match="decorates a view function"):
        public(42)

    with pytest.raises(UsageError, match="methods"):
        public(methods=["FETCH"])

    with pytest.raises(UsageError, match="table names"):
        entity_scope()

    with pytest.raises(UsageError, match="cannot mark"):
        public(object().__str__)


# -- optional --------------------------------------------------------------


@pytest.fixture
def optional_app(app: Flask) -> Flask:
    @app.get("/feed")
    @optional
    def feed() -> dict[str, t.Any]:
        return who()

    @app.get("/lenient")
    @optional(lenient=True)
    def lenient() -> dict[str, t.Any]:
        return who()

    return app


def test_optional_runs_anonymously_without_a_token(optional_app: Flask) -> None:
    client = optional_app.test_client()

    assert client.get("/feed").json == {"who": None}
    # Another scheme is not a bearer token: anonymous as well.
    basic = client.get("/feed", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.json == {"who": None}


def test_optional_loads_the_entity_of_a_valid_token(
    optional_app: Flask, jwt_headers: Headers, ada: Student
) -> None:
    response = optional_app.test_client().get("/feed", headers=jwt_headers(ada))

    assert response.json == {"who": "ada", "table": "students"}


def test_optional_still_refuses_a_bad_token(optional_app: Flask, ada: Student) -> None:
    client = optional_app.test_client()

    with optional_app.app_context():
        expired = client.get("/feed", headers=bearer(expired_token(ada)))
        forged = client.get("/feed", headers=bearer(forged_token(ada)))
        missing = client.get(
            "/feed", headers=bearer(expired_token(table_name="students", entity_id=99))
        )

    assert (expired.status_code, expired.json["error"]) == (401, "token_expired")
    assert (forged.status_code, forged.json["error"]) == (401, "bad_signature")
    assert missing.status_code == 401


def test_lenient_optional_treats_a_bad_token_as_none(
    optional_app: Flask, ada: Student, jwt_headers: Headers
) -> None:
    client = optional_app.test_client()

    with optional_app.app_context():
        headers = [
            bearer(expired_token(ada)),
            bearer(forged_token(ada)),
            jwt_headers(table_name="students", entity_id=99),  # no such row
            {"Authorization": "Bearer not.a.token"},
        ]

    for header in headers:
        response = client.get("/lenient", headers=header)
        assert (response.status_code, response.json) == (200, {"who": None})

    assert client.get("/lenient", headers=jwt_headers(ada)).json["who"] == "ada"


def test_lenient_optional_still_reports_a_failing_store(
    optional_app: Flask, engine: t.Any, jwt_headers: Headers
) -> None:
    headers = jwt_headers(table_name="students", entity_id=1)

    with engine.begin() as connection:
        connection.execute(text("DROP TABLE students"))

    response = optional_app.test_client().get("/lenient", headers=headers)

    assert response.status_code == 503
    assert response.json["error"] == "entity_store_unavailable"


def test_optional_blueprint(app: Flask, jwt_headers: Headers, ada: Student) -> None:
    shop = optional(Blueprint("shop", __name__))

    @shop.get("/cart")
    def cart() -> dict[str, t.Any]:
        return who()

    app.register_blueprint(shop)
    client = app.test_client()

    assert client.get("/cart").json == {"who": None}
    assert client.get("/cart", headers=jwt_headers(ada)).json["who"] == "ada"


# -- entity scopes -----------------------------------------------------------


@pytest.fixture
def scoped_app(app: Flask) -> Flask:
    staff = entity_scope("teachers")(Blueprint("staff", __name__, url_prefix="/staff"))

    @staff.get("/grades")
    def grades() -> dict[str, t.Any]:
        return who()

    @app.get("/lounge")
    @optional
    @entity_scope("teachers")
    def lounge() -> dict[str, t.Any]:
        return who()

    @app.get("/quiet")
    @optional(lenient=True)
    @entity_scope("teachers")
    def quiet() -> dict[str, t.Any]:
        return who()

    app.register_blueprint(staff)
    return app


def test_scope_admits_its_entity(
    scoped_app: Flask, jwt_headers: Headers, smith: Teacher
) -> None:
    response = scoped_app.test_client().get("/staff/grades", headers=jwt_headers(smith))

    assert response.json == {"who": "mr smith", "table": "teachers"}


def test_scope_refuses_another_entity_with_403(
    scoped_app: Flask, jwt_headers: Headers, ada: Student
) -> None:
    response = scoped_app.test_client().get("/staff/grades", headers=jwt_headers(ada))

    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api", error="insufficient_scope"')
    assert challenge.endswith('scope="teachers"')


def test_scope_still_needs_a_token(scoped_app: Flask) -> None:
    response = scoped_app.test_client().get("/staff/grades")

    assert response.status_code == 401
    assert response.json["error"] == "token_missing"


def test_scope_is_checked_before_loading(scoped_app: Flask) -> None:
    # No student 12345 exists: the scope refuses first, without a query.
    with scoped_app.app_context():
        token = other_entity_token("teachers", entity_id=12345)

    response = scoped_app.test_client().get("/staff/grades", headers=bearer(token))

    assert response.status_code == 403


def test_optional_scope(
    scoped_app: Flask, jwt_headers: Headers, ada: Student, smith: Teacher
) -> None:
    client = scoped_app.test_client()

    assert client.get("/lounge").json == {"who": None}
    assert client.get("/lounge", headers=jwt_headers(smith)).json["who"] == "mr smith"
    assert client.get("/lounge", headers=jwt_headers(ada)).status_code == 403
    # Lenient: a token of the wrong entity is treated as no token.
    assert client.get("/quiet", headers=jwt_headers(ada)).json == {"who": None}


def test_scopes_of_view_and_blueprint_intersect(
    app: Flask, jwt_headers: Headers, ada: Student, smith: Teacher
) -> None:
    school = entity_scope("students", "teachers")(Blueprint("school", __name__))

    @school.get("/hall")
    def hall() -> dict[str, t.Any]:
        return who()

    @school.get("/staffroom")
    @entity_scope("teachers")
    def staffroom() -> dict[str, t.Any]:
        return who()

    app.register_blueprint(school)
    client = app.test_client()

    assert client.get("/hall", headers=jwt_headers(ada)).status_code == 200
    assert client.get("/staffroom", headers=jwt_headers(ada)).status_code == 403
    assert client.get("/staffroom", headers=jwt_headers(smith)).status_code == 200
    assert policy_of(app, "/staffroom")["entities"] == ["teachers"]


def test_disjoint_scopes_fail_at_startup(app: Flask) -> None:
    students_only = entity_scope("students")(Blueprint("pupils", __name__))

    @students_only.get("/desk")
    @entity_scope("teachers")
    def desk() -> str:
        return "desk"

    app.register_blueprint(students_only)

    with pytest.raises(ConfigurationError, match="no entity table"):
        route_map(app)


def test_unknown_table_in_a_scope_fails_at_startup(app: Flask) -> None:
    @app.get("/x")
    @entity_scope("teacher")
    def x() -> str:
        return "x"

    with pytest.raises(ConfigurationError, match="known: 'students', 'teachers'"):
        route_map(app)


def test_a_view_answering_options_keeps_preflights_open(
    app: Flask, jwt_headers: Headers, smith: Teacher
) -> None:
    @app.route("/upload", methods=["POST", "OPTIONS"], provide_automatic_options=False)
    @entity_scope("teachers")
    def upload() -> str:
        return "done"

    client = app.test_client()
    preflight = {"Origin": "http://x.test", "Access-Control-Request-Method": "POST"}

    assert client.options("/upload", headers=preflight).status_code == 200
    assert client.options("/upload").status_code == 401
    assert client.options("/upload", headers=jwt_headers(smith)).status_code == 200


# -- config and decorators together --------------------------------------------


def test_stricter_meaning_wins_with_a_warning(
    make_app: t.Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(
        WHITE_LIST_ROUTES=[("GET", "/feed"), ("GET", "/mixed")],
        IGNORED_ROUTES=[("GET", "/home")],
    )

    @app.get("/feed")
    @optional
    def feed() -> dict[str, t.Any]:
        return who()

    @app.get("/home")
    @public
    def home() -> dict[str, t.Any]:
        return who()

    @app.get("/mixed")
    @entity_scope("teachers")
    def mixed() -> dict[str, t.Any]:
        return who()

    @app.get("/agree")
    @public
    @ignored(methods=["POST"])
    def agree() -> dict[str, t.Any]:
        return who()

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        client = app.test_client()
        feed_response = client.get("/feed", headers={"Authorization": "Bearer bad"})

    assert feed_response.status_code == 401  # optional, not public
    assert policy_of(app, "/feed")["policy"] == "optional"
    assert policy_of(app, "/home")["policy"] == "public"
    assert policy_of(app, "/mixed")["policy"] == "protected"
    assert policy_of(app, "/agree")["conflicts"] == []
    assert client.get("/mixed").status_code == 401

    messages = [record.getMessage() for record in caplog.records]
    assert any(
        "GET /feed" in message
        and "WHITE_LIST_ROUTES[0]" in message
        and "the stricter 'optional' applies" in message
        for message in messages
    )
    assert any("GET /home" in m and "'public' applies" in m for m in messages)
    assert any("GET /mixed" in m and "'protected' applies" in m for m in messages)


def test_decisions_name_what_decided_them(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(WHITE_LIST_ROUTES=[("GET", "/users/<int:uid>")])

    @app.get("/users/<int:uid>")
    def user(uid: int) -> str:
        return "user"

    @app.get("/me")
    def me() -> str:
        return "me"

    assert policy_of(app, "/users/<int:uid>")["decided_by"] == [
        "('GET', '/users/<int:uid>') from WHITE_LIST_ROUTES[0]"
    ]
    assert policy_of(app, "/users/<int:uid>", "HEAD")["policy"] == "public"
    assert policy_of(app, "/me") | {"decided_by": ["default"]} == policy_of(app, "/me")
    assert policy_of(app, "/me", "OPTIONS")["policy"] == "automatic_options"


def test_flask_restful_resources(app: Flask) -> None:
    restful = pytest.importorskip("flask_restful")

    @public
    class Health(restful.Resource):  # type: ignore[misc, name-defined]
        def get(self) -> dict[str, str]:
            return {"status": "up"}

    class Secret(restful.Resource):  # type: ignore[misc, name-defined]
        def get(self) -> dict[str, str]:
            return {"secret": "x"}

    api = restful.Api(app)
    api.add_resource(Health, "/health")
    api.add_resource(Secret, "/secret")
    client = app.test_client()

    assert client.get("/health").json == {"status": "up"}
    assert client.get("/secret").status_code == 401
    assert policy_of(app, "/health")["decided_by"] == ["@public on view 'health'"]


def test_flask_restx_namespace_resource(app: Flask) -> None:
    restx = pytest.importorskip("flask_restx")
    api = restx.Api(app, doc=False)

    @api.route("/ping")
    @optional
    class Ping(restx.Resource):  # type: ignore[misc, name-defined]
        def get(self) -> dict[str, t.Any]:
            return who()

    client = app.test_client()

    assert client.get("/ping").json == {"who": None}
    assert client.get("/ping", headers={"Authorization": "Bearer x"}).status_code == 401


def test_optional_lenient_takes_a_boolean_only() -> None:
    # A truthy string would quietly make the route looser.
    with pytest.raises(UsageError, match="lenient"):
        optional(lenient="no")  # type: ignore[call-overload]
