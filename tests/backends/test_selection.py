"""Choosing a backend per model: order, custom backends, errors, missing ORMs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask, g

from flask_jwt_router import (
    BackendNotInstalled,
    ConfigurationError,
    EntityBackend,
    JwtRoutes,
    PrimaryKey,
)
from flask_jwt_router.entities import default_backends

from .contract import SECRET, forged
from .orms import FAMILIES, expected_orms, require

REPO = Path(__file__).resolve().parents[2]

#: Makes the named packages look uninstalled in a child interpreter.
HIDE_PACKAGES = """
import sys

class _Hidden:
    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Hidden(set(sys.argv[1].split(","))))
"""


def _run(script: str, hidden: str = "") -> t.Any:
    """Run ``script`` in a new interpreter with ``hidden`` packages missing."""
    code = HIDE_PACKAGES + textwrap.dedent(script)
    done = subprocess.run(
        [sys.executable, "-c", code, hidden or "-"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class Record:
    """A plain class the built-in backends do not know."""

    table = "records"


class RecordBackend(EntityBackend):
    """A custom backend: counts what it is asked, loads from a dict."""

    name = "records"

    def __init__(self, rows: dict[int, object]) -> None:
        self.rows = rows
        self.calls: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.calls[what] = self.calls.get(what, 0) + 1

    def handles(self, model: object) -> bool:
        self._count("handles")
        return model is Record

    def table_name(self, model: t.Any) -> str:
        self._count("table_name")
        return str(model.table)

    def primary_key(self, model: t.Any) -> PrimaryKey:
        self._count("primary_key")
        return PrimaryKey("record_id", int)

    def load(self, model: t.Any, entity_id: object) -> object | None:
        self._count("load")
        return self.rows.get(t.cast(int, entity_id))


def _app(models: list[t.Any], **options: t.Any) -> Flask:
    app = Flask("selection")
    app.config["SECRET_KEY"] = SECRET

    @app.get("/me/<table>")
    def me(table: str) -> dict[str, t.Any]:
        return {"name": g.get(table).name}

    JwtRoutes(app, entity_models=models, **options)
    return app


def _get(app: Flask, token: str, table: str) -> t.Any:
    return app.test_client().get(
        f"/me/{table}", headers={"Authorization": f"Bearer {token}"}
    )


class TestOrder:
    def test_built_in_backends_whose_orm_is_installed(self) -> None:
        names = [backend.name for backend in default_backends()]
        expected = ["sqlalchemy", "peewee", "pony", "callables"]

        assert names == [
            n for n in expected if n == "callables" or n in expected_orms()
        ]

    def test_custom_backend_serves_its_models(self) -> None:
        backend = RecordBackend({5: SimpleNamespace(name="five")})
        app = _app([Record], backends=[backend])

        assert _get(app, forged("records", record_id=5), "records").json == {
            "name": "five"
        }
        assert _get(app, forged("records", record_id=6), "records").status_code == 401

    def test_custom_backend_is_asked_before_the_built_in_ones(self) -> None:
        sa = require("sqlalchemy")
        orm = require("sqlalchemy.orm")

        class Base(orm.DeclarativeBase):
            pass

        class Account(Base):
            __tablename__ = "accounts"
            id = sa.Column(sa.Integer, primary_key=True)

        class Override(RecordBackend):
            def handles(self, model: object) -> bool:
                return model is Account

            def table_name(self, model: t.Any) -> str:
                return "accounts"

        override = Override({1: SimpleNamespace(name="from the override")})
        app = _app([Account], backends=[override])

        assert _get(app, forged("accounts", record_id=1), "accounts").json == {
            "name": "from the override"
        }

    def test_model_work_is_done_once_per_app_not_per_request(self) -> None:
        backend = RecordBackend({5: SimpleNamespace(name="five")})
        app = _app([Record], backends=[backend])
        token = forged("records", record_id=5)

        assert _get(app, token, "records").status_code == 200
        after_first = dict(backend.calls)

        for _ in range(20):
            assert _get(app, token, "records").status_code == 200

        assert backend.calls.pop("load") == after_first.pop("load") + 20
        assert backend.calls == after_first


class TestUnhandledModels:
    def test_message_names_the_model_and_the_backends_tried(self) -> None:
        with pytest.raises(ConfigurationError) as info:
            _app([Record])

        message = str(info.value)

        assert message.startswith(
            f"No entity backend handles Record (from module {__name__})"
        )
        tried = ", ".join(backend.name for backend in default_backends())
        assert f"backends tried, in order: {tried}." in message
        assert "backends=[MyBackend()]" in message

    def test_a_table_name_given_instead_of_a_model(self) -> None:
        with pytest.raises(ConfigurationError, match="model classes, not table names"):
            _app(["users"])

    def test_an_instance_given_instead_of_its_class(self) -> None:
        backend = RecordBackend({})

        with pytest.raises(ConfigurationError, match="pass its class, Record"):
            _app([Record()], backends=[backend])


class TestCompositeKeys:
    def test_sqlalchemy_composite_key_is_refused_at_startup(self) -> None:
        sa = require("sqlalchemy")
        orm = require("sqlalchemy.orm")

        class Base(orm.DeclarativeBase):
            pass

        class Enrolment(Base):
            __tablename__ = "enrolments"
            student_id = sa.Column(sa.Integer, primary_key=True)
            course_id = sa.Column(sa.Integer, primary_key=True)

        with pytest.raises(ConfigurationError, match="composite primary key"):
            _app([Enrolment], session=orm.sessionmaker(sa.create_engine("sqlite://")))


class TestMissingORMs:
    def test_this_run_has_exactly_the_orms_it_expects(self) -> None:
        # The tox envs of one extra, and ``noorm`` with none, prove what they
        # claim only if the other ORMs are really absent.
        for module, family in FAMILIES.items():
            found = importlib.util.find_spec(module) is not None

            assert found == (family in expected_orms()), module

    @pytest.mark.parametrize(
        ("module", "backend", "extra"),
        [
            ("sqlalchemy", "SQLAlchemyBackend", "sqlalchemy"),
            ("peewee", "PeeweeBackend", "peewee"),
            ("pony", "PonyBackend", "pony"),
        ],
    )
    def test_asking_for_the_backend_names_the_extra(
        self, module: str, backend: str, extra: str
    ) -> None:
        result = _run(
            f"""
            import importlib, json
            backends = importlib.import_module("flask_jwt_router.backends.{module}")
            try:
                backends.{backend}()
            except ImportError as error:
                print(json.dumps([type(error).__name__, str(error)]))
            """,
            hidden=module,
        )

        assert result[0] == "BackendNotInstalled"
        assert f"pip install flask-jwt-router[{extra}]" in result[1]

    def test_backend_not_installed_is_a_configuration_and_import_error(self) -> None:
        assert issubclass(BackendNotInstalled, ConfigurationError)
        assert issubclass(BackendNotInstalled, ImportError)

    def test_core_and_callables_work_with_no_orm_at_all(self) -> None:
        result = _run(
            """
            import json, sys
            from types import SimpleNamespace
            from flask import Flask, g
            from flask_jwt_router import CallableEntity, JwtRoutes
            from flask_jwt_router.entities import default_backends

            app = Flask("noorm")
            app.config["SECRET_KEY"] = "s" * 40
            users = {1: SimpleNamespace(name="ada")}
            users_entity = CallableEntity("users", users.get, id_type=int)
            routes = JwtRoutes(app, entity_models=[users_entity])

            @app.get("/me")
            def me():
                return {"name": g.users.name}

            with app.app_context():
                token = routes.create_token(entity_id=1, table_name="users")

            client = app.test_client()
            ok = client.get("/me", headers={"Authorization": f"Bearer {token}"})
            refused = client.get("/me")
            print(json.dumps({
                "ok": [ok.status_code, ok.json],
                "refused": refused.status_code,
                "backends": [b.name for b in default_backends()],
            }))
            """,
            hidden="sqlalchemy,flask_sqlalchemy,peewee,playhouse,pony",
        )

        assert result == {
            "ok": [200, {"name": "ada"}],
            "refused": 401,
            "backends": ["callables"],
        }

    def test_no_orm_is_imported_unless_the_app_uses_it(self) -> None:
        result = _run(
            """
            import json, sys
            from types import SimpleNamespace
            from flask import Flask, g
            from flask_jwt_router import CallableEntity, JwtRoutes

            app = Flask("lean")
            app.config["SECRET_KEY"] = "s" * 40
            users = {1: SimpleNamespace(name="ada")}
            routes = JwtRoutes(app, entity_models=[CallableEntity("users", users.get)])

            @app.get("/me")
            def me():
                return {"name": g.users.name}

            with app.app_context():
                token = routes.create_token(entity_id=1, table_name="users")

            status = app.test_client().get(
                "/me", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            orms = ["sqlalchemy", "flask_sqlalchemy", "peewee", "pony"]
            print(json.dumps([status, [name for name in orms if name in sys.modules]]))
            """
        )

        assert result == [200, []]
