"""Plain callables: declaring them, converting ids, and what a loader may raise."""

from __future__ import annotations

import importlib.util
import typing as t
import uuid
from types import SimpleNamespace

import jwt
import pytest
from flask import Flask, g

from flask_jwt_router import (
    CallableEntity,
    ConfigurationError,
    EntityStoreError,
    JwtRoutes,
    entity_loader,
)

from .contract import SECRET, forged


def _app(*entities: CallableEntity) -> tuple[Flask, JwtRoutes]:
    app = Flask("callables")
    app.config["SECRET_KEY"] = SECRET

    @app.get("/me/<table>")
    def me(table: str) -> dict[str, t.Any]:
        return {"name": g.get(table).name}

    return app, JwtRoutes(app, entity_models=list(entities))


def _get(app: Flask, token: str, table: str) -> t.Any:
    return app.test_client().get(
        f"/me/{table}", headers={"Authorization": f"Bearer {token}"}
    )


class TestDeclaring:
    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            (("", dict.get), {}, "table_name"),
            ((None, dict.get), {}, "table_name"),
            (("clients", "not callable"), {}, "function from an id"),
            (("clients", dict.get), {"id_type": float}, "int, str or uuid.UUID"),
            (("clients", dict.get), {"key": ""}, "key="),
        ],
    )
    def test_bad_declarations_are_refused(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any], message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=message):
            CallableEntity(*args, **kwargs)

    def test_async_loader_is_awaited(self) -> None:
        # tests/dx/test_async.py covers async loaders in more shapes.
        async def load(entity_id: str) -> object:
            return {"c-1": SimpleNamespace(name="acme")}.get(entity_id)

        app, _ = _app(CallableEntity("clients", load, id_type=str))

        if importlib.util.find_spec("asgiref") is None:
            # The backend-only tox envs install no asgiref: the loader is
            # refused before the first request is served, naming the extra.
            app.testing = True

            with pytest.raises(ConfigurationError, match=r"flask-jwt-router\[async\]"):
                _get(app, forged("clients", id="c-1"), "clients")

            return

        assert _get(app, forged("clients", id="c-1"), "clients").json == {
            "name": "acme"
        }
        assert _get(app, forged("clients", id="c-2"), "clients").status_code == 401

    def test_decorated_function_stays_callable(self) -> None:
        @entity_loader("clients", id_type=int)
        def client(client_id: int) -> str:
            """Look a client up."""
            return f"client {client_id}"

        assert isinstance(client, CallableEntity)
        assert client(3) == "client 3"
        assert client.__name__ == "client"
        assert client.__doc__ == "Look a client up."
        assert repr(client) == "CallableEntity('clients', client)"

    def test_token_carries_the_declared_key_claim(self) -> None:
        clients = CallableEntity(
            "clients", {"c-1": SimpleNamespace(name="acme")}.get, key="client_id"
        )
        app, routes = _app(clients)

        with app.app_context():
            token = routes.create_token(entity_id="c-1", table_name="clients")

        claims = jwt.decode(token, SECRET, algorithms=["HS256"])

        assert claims["client_id"] == "c-1" and "id" not in claims
        assert _get(app, token, "clients").json == {"name": "acme"}


class TestIds:
    def test_declared_type_converts_before_the_call(self) -> None:
        seen: list[object] = []

        def load(entity_id: object) -> SimpleNamespace:
            seen.append(entity_id)
            return SimpleNamespace(name="found")

        app, _ = _app(
            CallableEntity("ints", load, id_type=int),
            CallableEntity("uuids", load, id_type=uuid.UUID),
        )
        some_uuid = uuid.uuid4()

        assert _get(app, forged("ints", id="42"), "ints").status_code == 200
        assert _get(app, forged("uuids", id=str(some_uuid)), "uuids").status_code == 200
        assert seen == [42, some_uuid]

    def test_without_a_type_ints_and_strings_pass_as_they_are(self) -> None:
        seen: list[object] = []

        def load(entity_id: object) -> SimpleNamespace:
            seen.append(entity_id)
            return SimpleNamespace(name="found")

        app, _ = _app(CallableEntity("things", load))

        assert _get(app, forged("things", id=7), "things").status_code == 200
        assert _get(app, forged("things", id="7"), "things").status_code == 200
        assert seen == [7, "7"]

    @pytest.mark.parametrize("id_type", [None, int, str, uuid.UUID])
    def test_unconvertible_ids_never_reach_the_function(
        self, id_type: type | None
    ) -> None:
        calls: list[object] = []
        app, _ = _app(CallableEntity("things", calls.append, id_type=id_type))

        wrongs: list[object] = [[1], {"a": 1}, None, True, 1.5, "", "a\x00b"]

        if id_type is not str:  # a string key takes any integer, as its text
            wrongs.append(2**70)

        for wrong in wrongs:
            response = _get(app, forged("things", id=wrong), "things")

            assert response.status_code == 401, wrong

        assert calls == []


class TestLoaderOutcomes:
    def test_lookup_error_means_no_entity(self) -> None:
        people: dict[int, SimpleNamespace] = {}

        @entity_loader("people", id_type=int)
        def person(person_id: int) -> SimpleNamespace:
            return people[person_id]

        app, _ = _app(person)
        response = _get(app, forged("people", id=1), "people")

        assert response.status_code == 401
        assert response.json["error"] == "unknown_entity"

    def test_store_error_is_503(self) -> None:
        @entity_loader("remote", id_type=str)
        def remote(remote_id: str) -> object:
            raise EntityStoreError("the directory service timed out")

        app, _ = _app(remote)
        response = _get(app, forged("remote", id="r-1"), "remote")

        assert response.status_code == 503
        assert response.json["error"] == "entity_store_unavailable"

    def test_other_errors_are_bugs_and_propagate(self) -> None:
        @entity_loader("broken", id_type=int)
        def broken(broken_id: int) -> object:
            raise ZeroDivisionError("a bug in the loader")

        app, _ = _app(broken)
        app.testing = True

        with pytest.raises(ZeroDivisionError):
            _get(app, forged("broken", id=1), "broken")
