"""The complete example on each backend page of the docs runs as written."""

from __future__ import annotations

import importlib
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest

from .orms import require

DOCS = Path(__file__).resolve().parents[2] / "docs" / "backends"


def example(page: str) -> str:
    """The first Python code block of ``page`` that builds an app."""
    lines = (DOCS / page).read_text().splitlines()

    for start, line in enumerate(lines):
        if line.strip() != ".. code-block:: python":
            continue

        block = []

        for body in lines[start + 1 :]:
            if body.strip() and not body.startswith("   "):
                break

            block.append(body)

        code = textwrap.dedent("\n".join(block))

        if "app = Flask(__name__)" in code:
            return code

    raise AssertionError(f"{page} has no complete example")


@pytest.fixture
def run_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> t.Callable[[str], dict[str, t.Any]]:
    # Imported as a real module: SQLAlchemy and dataclasses look their
    # module up in sys.modules.
    def run(page: str) -> dict[str, t.Any]:
        name = f"docs_example_{page[:-4]}"
        (tmp_path / f"{name}.py").write_text(example(page))
        monkeypatch.chdir(tmp_path)
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, name, raising=False)
        return vars(importlib.import_module(name))

    return run


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sqlalchemy_page(run_example: t.Callable[[str], dict[str, t.Any]]) -> None:
    require("sqlalchemy")
    client = run_example("sqlalchemy.rst")["app"].test_client()
    registered = client.post("/students")

    assert registered.status_code == 201
    assert client.get("/me", headers=_bearer(registered.json["token"])).json == {
        "name": "ada"
    }
    assert client.get("/me").status_code == 401


def test_peewee_page(run_example: t.Callable[[str], dict[str, t.Any]]) -> None:
    require("peewee")
    namespace = run_example("peewee.rst")
    client = namespace["app"].test_client()
    token = client.post("/login").json["token"]

    try:
        assert client.get("/me", headers=_bearer(token)).json == {"name": "ada"}
        assert client.get("/me").status_code == 401
    finally:
        namespace["db"].close()


def test_pony_page(run_example: t.Callable[[str], dict[str, t.Any]]) -> None:
    require("pony.orm")
    namespace = run_example("pony.rst")
    client = namespace["app"].test_client()

    try:
        token = client.post("/owners").json["token"]

        assert client.get("/pets", headers=_bearer(token)).json == {
            "owner": "ada",
            "pets": ["rex"],
        }
        assert client.get("/pets").status_code == 401
    finally:
        namespace["db"].disconnect()


def test_callables_page(run_example: t.Callable[[str], dict[str, t.Any]]) -> None:
    namespace = run_example("callables.rst")
    app, routes = namespace["app"], namespace["jwt_routes"]
    client = app.test_client()

    with app.app_context():
        operator = routes.create_token(entity_id="ops-1", table_name="operators")
        stranger = routes.create_token(entity_id="ops-2", table_name="operators")

    assert client.get("/whoami", headers=_bearer(namespace["token"])).json == {
        "client": "acme"
    }
    assert client.get("/whoami", headers=_bearer(operator)).json == {
        "operator": "ops-1"
    }
    assert client.get("/whoami", headers=_bearer(stranger)).status_code == 401


def test_custom_backend_page(run_example: t.Callable[[str], dict[str, t.Any]]) -> None:
    namespace = run_example("custom.rst")
    app, routes = namespace["app"], namespace["jwt_routes"]

    with app.app_context():
        member = routes.create_token(entity_id=1, table_name="members")
        missing = routes.create_token(entity_id=2, table_name="members")

    client = app.test_client()

    assert client.get("/me", headers=_bearer(member)).json == {"name": "ada"}
    assert client.get("/me", headers=_bearer(missing)).status_code == 401
