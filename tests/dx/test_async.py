"""Async views behind the guard, and async entity loaders."""

from __future__ import annotations

import asyncio
import functools
import sys
import typing as t

import pytest
from flask import Flask, g

from flask_jwt_router import (
    CallableEntity,
    ConfigurationError,
    EntityBackend,
    JwtRoutes,
    PrimaryKey,
    current_identity,
    entity_loader,
    optional,
)
from flask_jwt_router.backends.base import (
    call_maybe_async,
    is_async_callable,
    require_async_support,
)
from flask_jwt_router.testing import auth_headers, bearer, expired_token

from .school import SECRET, Student

pytest.importorskip("asgiref", reason="async views need Flask[async]")


def test_async_view_sees_its_entity(app: Flask, ada: Student) -> None:
    @app.get("/me")
    async def me() -> dict[str, t.Any]:
        await asyncio.sleep(0)
        return {"g": g.students.name, "identity": current_identity().entity.name}

    @app.get("/maybe")
    @optional
    async def maybe() -> dict[str, t.Any]:
        identity = current_identity(required=False)
        return {"who": identity and identity.entity.name}

    client = app.test_client()
    headers = auth_headers(ada, app=app)

    with app.app_context():
        expired = client.get("/me", headers=bearer(expired_token(ada)))

    assert client.get("/me", headers=headers).json == {"g": "ada", "identity": "ada"}
    assert client.get("/me").status_code == 401
    assert expired.json["error"] == "token_expired"
    assert client.get("/maybe").json == {"who": None}
    assert client.get("/maybe", headers=headers).json == {"who": "ada"}


class Pupil:
    def __init__(self, uid: str) -> None:
        self.uid = uid


class _LoaderBackend(EntityBackend):
    """A backend around a plain loader function that may be async."""

    name = "loader"

    def __init__(self, loader: t.Callable[[str], t.Any]) -> None:
        self.loader = loader

    def handles(self, model: object) -> bool:
        return model is Pupil

    def table_name(self, model: t.Any) -> str:
        return "pupils"

    def primary_key(self, model: t.Any) -> PrimaryKey:
        return PrimaryKey("uid", str)

    def check_model(self, model: t.Any) -> None:
        if is_async_callable(self.loader):
            require_async_support("the pupils loader")

    def load(self, model: t.Any, entity_id: object) -> object | None:
        return call_maybe_async(self.loader, entity_id)


PUPILS = {"p1": Pupil("p1")}


async def load_pupil(uid: str) -> Pupil | None:
    await asyncio.sleep(0)
    return PUPILS.get(uid)


class AsyncCallable:
    async def __call__(self, uid: str) -> Pupil | None:
        return await load_pupil(uid)


def returns_awaitable(uid: str) -> t.Awaitable[Pupil | None]:
    return load_pupil(uid)


@pytest.mark.parametrize(
    "loader",
    [
        load_pupil,
        functools.partial(load_pupil),
        AsyncCallable(),
        returns_awaitable,
        PUPILS.get,
    ],
    ids=["async-def", "partial", "async-call", "returns-awaitable", "sync"],
)
def test_async_plain_callable_loader(loader: t.Callable[[str], t.Any]) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    pupils = CallableEntity("pupils", loader, id_type=str, key="uid")
    JwtRoutes(app, entity_models=[pupils])

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"uid": current_identity().entity.uid, "same": g.pupils is PUPILS["p1"]}

    @app.get("/me-async")
    async def me_async() -> dict[str, t.Any]:
        return {"uid": g.pupils.uid}

    client = app.test_client()
    headers = auth_headers(table_name="pupils", entity_id="p1", app=app)
    gone = auth_headers(table_name="pupils", entity_id="p2", app=app)

    assert client.get("/me", headers=headers).json == {"uid": "p1", "same": True}
    assert client.get("/me-async", headers=headers).json == {"uid": "p1"}
    assert client.get("/me", headers=gone).json["error"] == "unknown_entity"


def test_is_async_callable() -> None:
    assert is_async_callable(load_pupil)
    assert is_async_callable(functools.partial(load_pupil))
    assert is_async_callable(AsyncCallable())
    assert not is_async_callable(returns_awaitable)
    assert not is_async_callable(PUPILS.get)


def test_async_loader_by_decorator() -> None:
    @entity_loader("pupils", id_type=str)
    async def pupil(uid: str) -> Pupil | None:
        return await load_pupil(uid)

    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    JwtRoutes(app, entity_models=[pupil])

    @app.get("/me")
    async def me() -> dict[str, t.Any]:
        return {"uid": current_identity().entity.uid}

    headers = auth_headers(table_name="pupils", entity_id="p1", app=app)

    assert app.test_client().get("/me", headers=headers).json == {"uid": "p1"}


def test_custom_backend_with_the_helpers() -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    JwtRoutes(app, entity_models=[Pupil], backends=[_LoaderBackend(load_pupil)])

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"uid": g.pupils.uid}

    headers = auth_headers(table_name="pupils", entity_id="p1", app=app)

    assert app.test_client().get("/me", headers=headers).json == {"uid": "p1"}


def test_async_loader_without_asgiref_fails_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What an install without the async extra looks like to an import.
    monkeypatch.setitem(sys.modules, "asgiref", None)
    monkeypatch.setitem(sys.modules, "asgiref.sync", None)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = SECRET
    JwtRoutes(app, entity_models=[CallableEntity("pupils", load_pupil)])

    with pytest.raises(ConfigurationError, match=r"flask-jwt-router\[async\]"):
        auth_headers(table_name="pupils", entity_id="p1", app=app)
