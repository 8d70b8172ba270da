"""The route policy: which rule and method needs a token."""

from __future__ import annotations

import logging
import typing as t

import pytest
from flask import Blueprint, Flask, g

from flask_jwt_router import ConfigurationError, JwtRoutes
from flask_jwt_router.extension import CLAIMS_ATTR
from flask_jwt_router.routing import RoutePolicy, _EntryIndex

GARBAGE = {"Authorization": "Bearer not.a.token"}


def status(app: Flask, method: str, path: str, **kwargs: t.Any) -> int:
    with app.test_client().open(path, method=method, **kwargs) as response:
        return response.status_code


def user_routes(app: Flask) -> None:
    @app.route("/users", methods=["GET", "POST"])
    def users() -> str:
        return "users"

    @app.route("/users/<int:uid>", methods=["GET", "PUT"])
    def user(uid: int) -> str:
        return f"user {uid}"

    @app.get("/users/<int:uid>/orders")
    def orders(uid: int) -> str:
        return f"orders of {uid}"

    @app.get("/users/<int:uid>/orders/<int:oid>")
    def order(uid: int, oid: int) -> str:
        return f"order {oid}"

    @app.get("/users/me")
    def users_me() -> str:
        return "me"


# -- converters --------------------------------------------------------------


def test_converter_entry_matches_exactly_its_own_rule(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/users/<int:uid>")]
    user_routes(app)
    JwtRoutes(app)

    assert status(app, "GET", "/users/5") == 200
    assert status(app, "HEAD", "/users/5") == 200
    assert status(app, "PUT", "/users/5") == 401
    assert status(app, "GET", "/users/5/orders") == 401
    assert status(app, "GET", "/users/5/orders/7") == 401
    assert status(app, "GET", "/users") == 401
    assert status(app, "GET", "/users/me") == 401


def test_entry_without_converter_type_means_that_rule(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/users/<uid>/orders")]
    user_routes(app)
    JwtRoutes(app)

    assert status(app, "GET", "/users/5/orders") == 200
    assert status(app, "GET", "/users/5") == 401
    assert status(app, "GET", "/users/5/orders/7") == 401


def test_entry_with_another_converter_type_does_not_match(app, caplog) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/users/<string:uid>")]
    user_routes(app)
    JwtRoutes(app)

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        assert status(app, "GET", "/users/5") == 401

    assert any("/users/<string:uid>" in r.getMessage() for r in caplog.records)


def test_untyped_rule_is_matched_by_string_or_untyped_entry(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [
        ("GET", "/tags/<string:name>"),
        ("GET", "/pages/<slug>"),
    ]

    @app.get("/tags/<name>")
    def tag(name: str) -> str:
        return name

    @app.get("/pages/<string:slug>")
    def page(slug: str) -> str:
        return slug

    JwtRoutes(app)

    assert status(app, "GET", "/tags/python") == 200
    assert status(app, "GET", "/pages/about") == 200


def test_converters_with_arguments_and_paths(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [
        ("GET", "/files/<path:name>"),
        ("GET", "/kinds/<any(cat, dog):kind>"),
        ("GET", "/offset/<int:n>"),
    ]

    @app.get("/files/<path:name>")
    def files(name: str) -> str:
        return name

    @app.get("/kinds/<any(cat, dog):kind>")
    def kinds(kind: str) -> str:
        return kind

    @app.get("/offset/<int(signed=True):n>")
    def offset(n: int) -> str:
        return str(n)

    @app.get("/files-private/<path:name>")
    def private(name: str) -> str:
        return name

    JwtRoutes(app)

    assert status(app, "GET", "/files/a/b/c.txt") == 200
    assert status(app, "GET", "/kinds/dog") == 200
    assert status(app, "GET", "/offset/-3") == 200
    assert status(app, "GET", "/files-private/a") == 401


def test_rule_with_trailing_slash_matches_entry_without(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/things")]

    @app.get("/things/")
    def things() -> str:
        return "things"

    JwtRoutes(app)

    assert status(app, "GET", "/things/") == 200
    # Werkzeug redirects to the canonical URL; that is not ours to refuse.
    assert status(app, "GET", "/things") == 308


# -- JWT_ROUTER_API_NAME -----------------------------------------------------


@pytest.mark.parametrize("api_name", ["/api/v1", "/api/v1/", "api/v1", "api/v1/"])
@pytest.mark.parametrize("path", ["/register", "register", "//register"])
def test_api_name_joins_with_exactly_one_slash(app, api_name, path) -> None:
    app.config["JWT_ROUTER_API_NAME"] = api_name
    app.config["WHITE_LIST_ROUTES"] = [("POST", path)]

    @app.post("/api/v1/register")
    def register() -> str:
        return "registered"

    @app.post("/register")
    def unprefixed() -> str:
        return "unprefixed"

    @app.post("/api/v1//register")
    def double() -> str:
        return "double"

    JwtRoutes(app)

    assert status(app, "POST", "/api/v1/register") == 200
    assert status(app, "POST", "/register") == 401


@pytest.mark.parametrize("api_name", ["", "/", None])
def test_empty_api_name_adds_nothing(app: Flask, api_name: str | None) -> None:
    app.config["JWT_ROUTER_API_NAME"] = api_name
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/register")]

    @app.post("/register")
    def register() -> str:
        return "registered"

    JwtRoutes(app)

    assert status(app, "POST", "/register") == 200


def test_api_name_applies_to_converter_entries(app: Flask) -> None:
    app.config["JWT_ROUTER_API_NAME"] = "/api"
    app.config["WHITE_LIST_ROUTES"] = [("PUT", "/apples/<int:user_id>")]

    @app.put("/api/apples/<int:user_id>")
    def apples(user_id: int) -> str:
        return "apples"

    JwtRoutes(app)

    assert status(app, "PUT", "/api/apples/3") == 200


# -- IGNORED_ROUTES ----------------------------------------------------------


def ignored_app(app: Flask) -> list[dict[str, object]]:
    """A home page that records what it finds on g."""
    seen: list[dict[str, object]] = []
    app.config["JWT_ROUTER_API_NAME"] = "/api"
    app.config["IGNORED_ROUTES"] = [("GET", "/")]

    @app.get("/")
    def home() -> str:
        seen.append(dict(vars(g)))
        return "home"

    @app.get("/api/")
    def api_home() -> str:
        return "api home"

    return seen


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},
        {"headers": GARBAGE},
        {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
        {"headers": {"Authorization": "Bearer a b c"}},
        {"headers": GARBAGE, "query_string": {"auth": "another"}},
    ],
    ids=["none", "garbage", "basic", "spaces", "two-tokens"],
)
def test_ignored_route_never_reads_a_token(app, request_kwargs) -> None:
    seen = ignored_app(app)
    JwtRoutes(app)

    response = app.test_client().get("/", **request_kwargs)

    assert response.status_code == 200
    assert seen == [{}]
    assert status(app, "GET", "/api/") == 401


def test_ignored_route_sets_nothing_on_g_even_with_a_valid_token(
    app, fsa, tokens
) -> None:
    seen = ignored_app(app)
    jwt_routes = JwtRoutes(app, entity_models=[fsa.User])

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="users")

    assert app.test_client().get("/", headers=tokens.bearer(token)).status_code == 200
    assert seen == [{}]


def test_ignored_route_is_never_prefixed(app: Flask) -> None:
    ignored_app(app)
    app.config["IGNORED_ROUTES"] = [("GET", "/")]
    JwtRoutes(app)

    assert status(app, "GET", "/") == 200
    assert status(app, "GET", "/api/") == 401


# -- static files ------------------------------------------------------------


@pytest.fixture
def static_dir(tmp_path: t.Any) -> t.Any:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.css").write_text("body {}")
    (folder / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    return folder


def test_app_static_files_pass(static_dir: t.Any) -> None:
    app = Flask("static_app", static_folder=str(static_dir))
    app.config["SECRET_KEY"] = "s" * 40
    JwtRoutes(app)

    assert status(app, "GET", "/static/app.css") == 200
    assert status(app, "GET", "/static/favicon.ico") == 200
    assert status(app, "GET", "/static/missing.css") == 404
    assert status(app, "HEAD", "/static/app.css") == 200


def test_static_url_path_empty_serves_from_root(static_dir: t.Any) -> None:
    app = Flask("root_static", static_folder=str(static_dir), static_url_path="")
    app.config["SECRET_KEY"] = "s" * 40

    @app.get("/me")
    def me() -> str:
        return "me"

    JwtRoutes(app)

    assert status(app, "GET", "/app.css") == 200
    assert status(app, "GET", "/favicon.ico") == 200
    assert status(app, "GET", "/missing.css") == 404
    assert status(app, "GET", "/me") == 401


def test_custom_static_url_path(static_dir: t.Any) -> None:
    app = Flask("custom_static", static_folder=str(static_dir), static_url_path="/s")
    app.config["SECRET_KEY"] = "s" * 40

    @app.get("/static/report")
    def report() -> str:
        return "report"

    JwtRoutes(app)

    assert status(app, "GET", "/s/app.css") == 200
    assert status(app, "GET", "/static/report") == 401


def test_no_static_folder_leaves_static_urls_to_flask() -> None:
    app = Flask("no_static", static_folder=None)
    app.config["SECRET_KEY"] = "s" * 40

    @app.get("/static/report")
    def report() -> str:
        return "report"

    JwtRoutes(app)

    assert status(app, "GET", "/static/app.css") == 404
    assert status(app, "GET", "/favicon.ico") == 404
    assert status(app, "GET", "/static/report") == 401


def test_view_under_static_prefix_is_protected(static_dir: t.Any) -> None:
    app = Flask("static_view", static_folder=str(static_dir))
    app.config["SECRET_KEY"] = "s" * 40

    @app.get("/static/report")
    def report() -> str:
        return "report"

    @app.get("/static/users/<int:uid>")
    def static_user(uid: int) -> str:
        return "user"

    JwtRoutes(app)

    assert status(app, "GET", "/static/app.css") == 200
    assert status(app, "GET", "/static/report") == 401
    assert status(app, "GET", "/static/users/3") == 401


def test_blueprint_static_files_pass(app: Flask, static_dir: t.Any) -> None:
    admin = Blueprint(
        "admin", __name__, static_folder=str(static_dir), static_url_path="/assets"
    )
    child = Blueprint("child", __name__, static_folder=str(static_dir))
    plain = Blueprint("plain", __name__)

    @admin.get("/dashboard")
    def dashboard() -> str:
        return "dashboard"

    @plain.get("/static/app.css")
    def fake_static() -> str:
        return "not a file"

    admin.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(admin, url_prefix="/again", name="again")
    app.register_blueprint(plain, url_prefix="/plain")
    JwtRoutes(app)

    assert status(app, "GET", "/admin/assets/app.css") == 200
    assert status(app, "GET", "/again/assets/app.css") == 200
    assert status(app, "GET", "/admin/child/static/app.css") == 200
    assert status(app, "GET", "/admin/dashboard") == 401
    assert status(app, "GET", "/plain/static/app.css") == 401


# -- OPTIONS, HEAD and methods -----------------------------------------------


def options_app(app: Flask) -> None:
    @app.get("/auto")
    def auto() -> str:
        return "auto"

    @app.route("/manual", methods=["GET", "OPTIONS"])
    def manual() -> str:
        return "manual options"


PREFLIGHT = {"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}


def test_automatic_options_pass_whatever_the_whitelist(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/nothing")]
    options_app(app)
    JwtRoutes(app)
    client = app.test_client()

    response = client.options("/auto")
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]
    assert client.options("/auto", headers=PREFLIGHT).status_code == 200
    assert client.get("/auto").status_code == 401


def test_view_answering_options_itself_is_protected(app: Flask) -> None:
    options_app(app)
    JwtRoutes(app)
    client = app.test_client()

    assert client.options("/manual").status_code == 401
    assert client.options("/manual", headers={"Origin": "x"}).status_code == 401
    preflight = client.options("/manual", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.text == "manual options"


def test_whitelisted_options_on_a_manual_view(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("OPTIONS", "/manual")]
    options_app(app)
    JwtRoutes(app)

    assert status(app, "OPTIONS", "/manual") == 200
    assert status(app, "GET", "/manual") == 401


def test_head_follows_get(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/open")]

    @app.get("/open")
    def open_view() -> str:
        return "open"

    @app.get("/closed")
    def closed() -> str:
        return "closed"

    JwtRoutes(app)

    assert status(app, "HEAD", "/open") == 200
    assert status(app, "HEAD", "/closed") == 401


def test_head_alone_can_be_whitelisted(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("HEAD", "/open")]

    @app.get("/open")
    def open_view() -> str:
        return "open"

    JwtRoutes(app)

    assert status(app, "HEAD", "/open") == 200
    assert status(app, "GET", "/open") == 401


@pytest.mark.parametrize("method", ["get", "Get", " GET ", "gEt"])
def test_methods_in_config_are_case_insensitive(app: Flask, method: str) -> None:
    app.config["WHITE_LIST_ROUTES"] = [(method, "/open")]
    app.config["IGNORED_ROUTES"] = [(method.lower(), "/home")]

    @app.get("/open")
    def open_view() -> str:
        return "open"

    @app.get("/home")
    def home() -> str:
        return "home"

    JwtRoutes(app)

    assert status(app, "GET", "/open") == 200
    assert status(app, "GET", "/home") == 200


def test_method_not_listed_stays_protected(app: Flask) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/items")]

    @app.route("/items", methods=["GET", "POST", "DELETE"])
    def items() -> str:
        return "items"

    JwtRoutes(app)

    assert status(app, "POST", "/items") == 200
    assert status(app, "GET", "/items") == 401
    assert status(app, "DELETE", "/items") == 401


# -- URLs that match no rule -------------------------------------------------


@pytest.mark.parametrize("headers", [{}, GARBAGE], ids=["no-token", "garbage"])
def test_unmatched_url_is_404_and_wrong_method_405(app, headers) -> None:
    @app.get("/me")
    def me() -> str:
        return "me"

    JwtRoutes(app)

    assert status(app, "GET", "/nowhere", headers=headers) == 404
    assert status(app, "GET", "/me/extra", headers=headers) == 404
    assert status(app, "POST", "/me", headers=headers) == 405
    assert status(app, "DELETE", "/me", headers=headers) == 405
    assert status(app, "GET", "/me", headers=headers) == 401


def test_not_found_sets_nothing_on_g(app: Flask) -> None:
    found: list[bool] = []

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        found.append(CLAIMS_ATTR in g)
        return "nope", 404

    JwtRoutes(app)

    assert status(app, "GET", "/nowhere", headers=GARBAGE) == 404
    assert found == [False]


# -- subdomains and hosts ----------------------------------------------------


def test_subdomain_routes_are_protected(sa, tokens) -> None:
    app = Flask("subdomains", subdomain_matching=True)
    app.config["SECRET_KEY"] = tokens.secret
    app.config["SERVER_NAME"] = "example.test"
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/open")]

    @app.get("/me", subdomain="api")
    def me() -> str:
        return str(g.students.name)

    @app.get("/open", subdomain="api")
    def open_view() -> str:
        return "open"

    jwt_routes = JwtRoutes(app, entity_models=[sa.Student], session=sa.Session)
    client = app.test_client()

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="students")

    base = "http://api.example.test"
    assert client.get("/me", base_url=base).status_code == 401
    response = client.get("/me", base_url=base, headers=tokens.bearer(token))
    assert response.text == "ada"
    assert client.get("/open", base_url=base).status_code == 200
    assert client.get("/me", base_url="http://example.test").status_code == 404


def test_host_bound_routes_are_protected() -> None:
    app = Flask("hosts", host_matching=True, static_host="static.example.test")
    app.config["SECRET_KEY"] = "s" * 40

    @app.get("/me", host="api.example.test")
    def me() -> str:
        return "me"

    @app.get("/me", host="other.example.test")
    def other() -> str:
        return "other"

    JwtRoutes(app)
    client = app.test_client()

    assert client.get("/me", base_url="http://api.example.test").status_code == 401
    assert client.get("/me", base_url="http://other.example.test").status_code == 401
    assert client.get("/me", base_url="http://nowhere.example.test").status_code == 404


# -- warnings for entries that match nothing ---------------------------------


def test_one_warning_per_entry_matching_no_rule(app, caplog) -> None:
    app.config["JWT_ROUTER_API_NAME"] = "/api"
    app.config["WHITE_LIST_ROUTES"] = [
        ("GET", "/open"),
        ("GET", "/nope"),
        ("POST", "/open"),
        ("GET", "/users/<string:uid>"),
    ]
    app.config["IGNORED_ROUTES"] = [("GET", "/"), ("GET", "/gone")]

    @app.get("/api/open")
    def open_view() -> str:
        return "open"

    @app.get("/api/users/<int:uid>")
    def user(uid: int) -> str:
        return "user"

    @app.get("/")
    def home() -> str:
        return "home"

    JwtRoutes(app)
    client = app.test_client()

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        client.get("/api/open")
        client.get("/api/open")
        client.get("/")

    messages = sorted(r.getMessage() for r in caplog.records)
    assert messages == [
        "('GET', '/api/nope') from WHITE_LIST_ROUTES[1] matches no route of the app;"
        " check the method and path.",
        "('GET', '/api/users/<string:uid>') from WHITE_LIST_ROUTES[3] matches no"
        " route of the app; check the method and path.",
        "('GET', '/gone') from IGNORED_ROUTES[1] matches no route of the app; check"
        " the method and path.",
        "('POST', '/api/open') from WHITE_LIST_ROUTES[2] matches no route of the"
        " app; check the method and path.",
    ]


def test_no_warning_when_every_entry_matches(app, caplog) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/open"), ("get", "/open")]

    @app.get("/open")
    def open_view() -> str:
        return "open"

    JwtRoutes(app)

    with caplog.at_level(logging.WARNING, logger="flask_jwt_router"):
        assert status(app, "GET", "/open") == 200

    assert caplog.records == []


# -- one decision per rule, built once ---------------------------------------


def test_policy_is_built_once_and_requests_never_scan_the_whitelist(
    app, monkeypatch
) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", f"/open/{n}") for n in range(1000)]
    app.config["WHITE_LIST_ROUTES"].append(("GET", "/users/<int:uid>"))
    user_routes(app)

    for n in range(1000):
        app.add_url_rule(f"/open/{n}", f"open_{n}", lambda: "open")

    JwtRoutes(app)
    client = app.test_client()
    assert client.get("/open/999").status_code == 200

    state = app.extensions["flask_jwt_router"]
    runtime = state.runtime

    def forbidden(*args: object, **kwargs: object) -> t.NoReturn:
        raise AssertionError("the whitelist was read during a request")

    monkeypatch.setattr(RoutePolicy, "_compile", forbidden)
    monkeypatch.setattr(_EntryIndex, "matches", forbidden)
    monkeypatch.setattr(_EntryIndex, "__iter__", forbidden)

    for _ in range(3):
        assert client.get("/open/0").status_code == 200
        assert client.get("/open/500").status_code == 200
        assert client.get("/users/5").status_code == 200
        assert client.get("/users/5/orders").status_code == 401
        assert client.options("/users").status_code == 200

    assert state.runtime is runtime


# -- trailing slashes and malformed placeholders --------------------------------


def test_a_trailing_slash_entry_leaves_the_rule_without_it_protected(app) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/x/")]
    app.add_url_rule("/x", "private", lambda: "private")
    app.add_url_rule("/x/", "public", lambda: "public")
    JwtRoutes(app)

    assert status(app, "GET", "/x/") == 200
    assert status(app, "GET", "/x") == 401


def test_an_entry_without_the_rules_trailing_slash_still_means_it(app) -> None:
    # The app has only "/register/": the entry cannot mean anything else.
    app.config["WHITE_LIST_ROUTES"] = [("POST", "/register")]
    app.add_url_rule("/register/", "register", lambda: "ok", methods=["POST"])
    app.add_url_rule("/registered", "registered", lambda: "no", methods=["POST"])
    JwtRoutes(app)

    assert status(app, "POST", "/register/") == 200
    assert status(app, "POST", "/registered") == 401


@pytest.mark.parametrize("path", ["/users/<>", "/users/<int:>", "/users/uid>", "/<a"])
def test_a_malformed_placeholder_fails_at_init_app(app, path) -> None:
    app.config["WHITE_LIST_ROUTES"] = [("GET", path)]

    with pytest.raises(ConfigurationError, match=r"WHITE_LIST_ROUTES\[0\]"):
        JwtRoutes(app)
