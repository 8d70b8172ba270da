"""The sessions example in examples/ does what its README says."""

from __future__ import annotations

import importlib.util
import sys
import typing as t
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "sessions" / "app.py"


@pytest.fixture(scope="module")
def module() -> t.Any:
    spec = importlib.util.spec_from_file_location("sessions_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # SQLAlchemy resolves annotations there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(params=["memory", "redis"])
def client(request: pytest.FixtureRequest, module: t.Any, prefix: str) -> t.Any:

    if request.param == "memory":
        return module.create_app("memory").test_client()

    url = request.getfixturevalue("redis_url")
    app = module.create_app(url)
    app.config["JWT_ROUTER_REVOCATION_PREFIX"] = prefix
    return app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: t.Any, password: str = "ada") -> dict[str, str]:
    body = {"email": "ada@example.com", "password": password}
    response = client.post("/login", json=body)
    assert response.status_code == 200, response.json
    return t.cast("dict[str, str]", response.json)


def test_the_readme_walk_through(client: t.Any) -> None:
    pair = login(client)
    assert client.get("/me", headers=bearer(pair["access_token"])).json["id"] == 1
    wrong = client.get("/me", headers=bearer(pair["refresh_token"]))
    assert wrong.json["error"] == "wrong_token_type"

    new = client.post("/auth/refresh", headers=bearer(pair["refresh_token"])).json
    replay = client.post("/auth/refresh", headers=bearer(pair["refresh_token"]))

    assert replay.json["error"] == "token_revoked"
    assert client.get("/me", headers=bearer(new["access_token"])).status_code == 401


def test_logout_and_password_change(client: t.Any) -> None:
    assert client.post("/login", json={"email": "ada@example.com"}).status_code == 401
    phone, laptop = login(client), login(client)

    assert (
        client.post("/logout", headers=bearer(phone["access_token"])).status_code == 204
    )
    assert client.get("/me", headers=bearer(phone["access_token"])).status_code == 401
    assert client.get("/me", headers=bearer(laptop["access_token"])).status_code == 200

    changed = client.post(
        "/password", json={"password": "new"}, headers=bearer(laptop["access_token"])
    )

    assert changed.status_code == 200
    assert client.get("/me", headers=bearer(laptop["access_token"])).status_code == 401
    assert (
        client.get("/me", headers=bearer(changed.json["access_token"])).status_code
        == 200
    )
    assert login(client, "new")["access_token"]
