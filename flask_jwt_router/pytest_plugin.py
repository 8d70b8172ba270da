"""pytest fixtures for apps protected by flask-jwt-router.

Installed with the package and loaded by pytest through the ``pytest11``
entry point. The fixtures use the app of the test session's ``app`` fixture
(the name pytest-flask uses too); the ini option ``jwt_router_app_fixture``
names another one.
"""

from __future__ import annotations

import typing as t

import pytest

if t.TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient


class HeadersFactory(t.Protocol):
    def __call__(
        self,
        entity: object = None,
        /,
        *,
        table_name: str | None = None,
        entity_id: object = None,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> dict[str, str]: ...


class ClientFactory(t.Protocol):
    def __call__(
        self,
        entity: object = None,
        /,
        *,
        table_name: str | None = None,
        entity_id: object = None,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> FlaskClient: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "jwt_router_app_fixture",
        "Name of the fixture that returns the Flask app for the flask-jwt-router"
        " fixtures.",
        default="app",
    )


@pytest.fixture
def jwt_headers(request: pytest.FixtureRequest) -> HeadersFactory:
    """Make request headers that authenticate as an entity:
    ``client.get("/me", headers=jwt_headers(user))``."""
    from .testing import auth_headers

    app = _app(request)

    def make(
        entity: object = None,
        /,
        *,
        table_name: str | None = None,
        entity_id: object = None,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> dict[str, str]:
        return auth_headers(
            entity, table_name=table_name, entity_id=entity_id, claims=claims, app=app
        )

    return make


@pytest.fixture
def jwt_client(request: pytest.FixtureRequest) -> ClientFactory:
    """Make a test client that authenticates as an entity with every request:
    ``jwt_client(user).get("/me")``."""
    from .testing import authenticated_client

    app = _app(request)

    def make(
        entity: object = None,
        /,
        *,
        table_name: str | None = None,
        entity_id: object = None,
        claims: t.Mapping[str, t.Any] | None = None,
    ) -> FlaskClient:
        return authenticated_client(
            app, entity, table_name=table_name, entity_id=entity_id, claims=claims
        )

    return make


def _app(request: pytest.FixtureRequest) -> Flask:
    name = str(request.config.getini("jwt_router_app_fixture"))
    return t.cast("Flask", request.getfixturevalue(name))
