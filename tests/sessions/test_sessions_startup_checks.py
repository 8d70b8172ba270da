"""Session settings are checked by init_app, not at the first request."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

from flask_jwt_router import ConfigurationError, JwtRoutes

SECRET = "k" * 64


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (
            {
                "JWT_ROUTER_REFRESH_ROUTE": "/auth/refresh",
                "JWT_ROUTER_REVOCATION_STORE": None,
            },
            "JWT_ROUTER_REVOCATION_STORE",
        ),
        ({"JWT_ROUTER_REFRESH_EXPIRES": -1}, "JWT_ROUTER_REFRESH_EXPIRES"),
        ({"JWT_ROUTER_REFRESH_EXPIRES": "x"}, "JWT_ROUTER_REFRESH_EXPIRES"),
        ({"JWT_ROUTER_REVOCATION_FAIL_OPEN": "no"}, "JWT_ROUTER_REVOCATION_FAIL_OPEN"),
    ],
)
def test_bad_session_settings_fail_at_init_app(
    settings: dict[str, t.Any], named: str
) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, **settings)

    with pytest.raises(ConfigurationError, match=named):
        JwtRoutes(app)


def test_a_redis_url_is_not_dialled_at_init_app() -> None:
    # Nothing listens on port 1: init_app must not need the server yet.
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET, JWT_ROUTER_REVOCATION_STORE="redis://127.0.0.1:1/0"
    )

    JwtRoutes(app)

    assert "flask_jwt_router" in app.extensions


def test_a_refresh_route_set_after_init_app_fails_before_serving() -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True)
    JwtRoutes(app)
    app.config["JWT_ROUTER_REFRESH_ROUTE"] = "/auth/refresh"

    with pytest.raises(ConfigurationError, match="JWT_ROUTER_REFRESH_ROUTE"):
        app.test_client().post("/auth/refresh")


@pytest.mark.parametrize(
    "url",
    [
        "redis://u:hunter2@127.0.0.1:notaport/0",
        "redis://u:hunter2@127.0.0.1:99999/0",
        "redis://u:hunter2@[::1/0",
    ],
)
def test_an_unreadable_redis_url_names_the_setting_not_the_password(url) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, JWT_ROUTER_REVOCATION_STORE=url)

    with pytest.raises(ConfigurationError, match="JWT_ROUTER_REVOCATION_STORE") as info:
        JwtRoutes(app)

    assert "hunter2" not in str(info.value)
