"""Peewee: connection handling, and models the backend refuses at startup."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, g

from flask_jwt_router import ConfigurationError, JwtRoutes
from flask_jwt_router.backends.peewee import PeeweeBackend

from .contract import SECRET, Dataset, first, forged
from .databases import Database
from .orms import require
from .test_peewee import build, connect

peewee = require("peewee")
flask_utils = require("playhouse.flask_utils")


def _app(dataset: Dataset) -> tuple[Flask, JwtRoutes]:
    app = Flask("peewee_specifics")
    app.config["SECRET_KEY"] = SECRET
    routes = JwtRoutes(app, entity_models=[t.model for t in dataset.tables])
    return app, routes


def _token(app: Flask, routes: JwtRoutes, model: t.Any, entity_id: object) -> str:
    with app.app_context():
        return routes.create_token(
            entity_id=entity_id, table_name=model._meta.table_name
        )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="class")
def dataset(database: Database) -> t.Iterator[Dataset]:
    dataset = build(database)
    yield dataset
    dataset.close()


class TestConnections:
    def test_app_that_connects_per_request_with_flaskdb(self, dataset: Dataset) -> None:
        # FlaskDB calls database.connect() in a before_request that runs after
        # the guard; it fails if the guard left a connection open.
        app, routes = _app(dataset)
        student = dataset.ints.model
        db = student._meta.database
        flask_utils.FlaskDB(app, db)

        @app.get("/count")
        def count() -> dict[str, t.Any]:
            assert not db.is_closed()
            return {"me": g.pw_students.name, "students": student.select().count()}

        db.close()
        response = app.test_client().get(
            "/count", headers=_bearer(_token(app, routes, student, 1))
        )

        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json == {"me": "ada", "students": 2}
        assert db.is_closed()

    def test_connection_left_as_it_was_found(self, dataset: Dataset) -> None:
        app, routes = _app(dataset)
        student = dataset.ints.model
        db = student._meta.database

        @app.get("/me")
        def me() -> str:
            return str(g.pw_students.name)

        client = app.test_client()
        headers = _bearer(_token(app, routes, student, 2))

        # Closed before the request: opened for the load, closed again.
        db.close()

        assert client.get("/me", headers=headers).get_data(as_text=True) == "bob"
        assert db.is_closed()

        # Open before the request: used as it is, and left open.
        db.connect()

        try:
            connection = db.connection()

            assert client.get("/me", headers=headers).get_data(as_text=True) == "bob"
            assert not db.is_closed() and db.connection() is connection
        finally:
            db.close()

    def test_refused_value_leaves_an_open_connection_usable(
        self, dataset: Dataset
    ) -> None:
        # On PostgreSQL the refused value aborts the statement; the same
        # connection must still serve the next request.
        app, routes = _app(dataset)
        student = dataset.ints.model
        db = student._meta.database

        @app.get("/me")
        def me() -> str:
            return str(g.get("pw_students", g.get("pw_badges")).name)

        client = app.test_client()
        db.connect()

        try:
            connection = db.connection()
            refused = client.get(
                "/me", headers=_bearer(forged("pw_badges", badge_id="nope"))
            )
            after = client.get("/me", headers=_bearer(_token(app, routes, student, 1)))

            assert refused.status_code == 401
            assert after.get_data(as_text=True) == "ada"
            assert db.connection() is connection
        finally:
            db.close()

    def test_database_with_autoconnect_off(
        self, dataset: Dataset, database: Database
    ) -> None:
        app, routes = _app(dataset)
        student = dataset.ints.model
        manual = connect(database, autoconnect=False)

        @app.get("/me")
        def me() -> str:
            return str(g.pw_students.name)

        with manual.bind_ctx([student]):
            response = app.test_client().get(
                "/me", headers=_bearer(_token(app, routes, student, 1))
            )

            assert response.get_data(as_text=True) == "ada"
            assert manual.is_closed()

    def test_inside_a_transaction_of_the_app(self, dataset: Dataset) -> None:
        app, routes = _app(dataset)
        teacher = dataset.strs.model
        db = teacher._meta.database
        app.config["WHITE_LIST_ROUTES"] = [("POST", "/refresh")]

        @app.post("/refresh")
        def refresh() -> dict[str, t.Any]:
            with db.atomic():
                return {"token": routes.update_token()}

        entity_id, _ = first(dataset.strs.rows)
        token = _token(app, routes, teacher, entity_id)
        response = app.test_client().post("/refresh", headers=_bearer(token))

        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["token"] != token


def _model(**fields: t.Any) -> t.Any:
    meta = fields.pop("Meta", None)
    attrs = {"__module__": __name__, **fields}

    if meta is not None:
        attrs["Meta"] = meta

    return type("Thing", (peewee.Model,), attrs)


class TestModels:
    def test_composite_key_is_refused(self) -> None:
        class Meta:
            database = peewee.SqliteDatabase(":memory:")
            primary_key = peewee.CompositeKey("a", "b")

        model = _model(a=peewee.IntegerField(), b=peewee.IntegerField(), Meta=Meta)

        with pytest.raises(ConfigurationError, match=r"composite primary key \(a, b\)"):
            PeeweeBackend().primary_key(model)

    def test_model_without_key_is_refused(self) -> None:
        class Meta:
            database = peewee.SqliteDatabase(":memory:")
            primary_key = False

        model = _model(a=peewee.IntegerField(), Meta=Meta)

        with pytest.raises(ConfigurationError, match="no primary key"):
            PeeweeBackend().primary_key(model)

    def test_key_of_another_type_is_refused(self) -> None:
        model = _model(when=peewee.DateTimeField(primary_key=True))

        with pytest.raises(ConfigurationError, match="integer, string or UUID"):
            PeeweeBackend().primary_key(model)

    @pytest.mark.parametrize(
        ("field", "python_type"),
        [
            (peewee.BigAutoField(), int),
            (peewee.BigIntegerField(primary_key=True), int),
            (peewee.SmallIntegerField(primary_key=True), int),
            (peewee.FixedCharField(primary_key=True, max_length=4), str),
            (peewee.TextField(primary_key=True), str),
            (peewee.BinaryUUIDField(primary_key=True), __import__("uuid").UUID),
        ],
    )
    def test_key_types(self, field: t.Any, python_type: type) -> None:
        model = _model(key=field)

        assert PeeweeBackend().primary_key(model).python_type is python_type

    def test_foreign_key_as_primary_key_takes_the_target_type(self) -> None:
        class Meta:
            database = peewee.SqliteDatabase(":memory:")
            table_name = "profiles"

        target = _model(code=peewee.CharField(primary_key=True))
        model = _model(
            owner=peewee.ForeignKeyField(target, primary_key=True), Meta=Meta
        )
        key = PeeweeBackend().primary_key(model)

        assert (key.name, key.python_type) == ("owner_id", str)
        assert PeeweeBackend().table_name(model) == "profiles"

    def test_uninitialised_database_fails_at_first_request(self) -> None:
        proxy = peewee.DatabaseProxy()

        class Meta:
            database = proxy

        model = _model(name=peewee.CharField(), Meta=Meta)
        app = Flask("proxy")
        app.config.update(SECRET_KEY=SECRET, TESTING=True)
        JwtRoutes(app, entity_models=[model])

        with pytest.raises(
            ConfigurationError, match="DatabaseProxy .* not initialised"
        ):
            app.test_client().get("/")

    def test_deferred_database_fails_at_first_request(self) -> None:
        class Meta:
            database = peewee.SqliteDatabase(None)

        model = _model(name=peewee.CharField(), Meta=Meta)
        app = Flask("deferred")
        app.config.update(SECRET_KEY=SECRET, TESTING=True)
        JwtRoutes(app, entity_models=[model])

        with pytest.raises(ConfigurationError, match=r"database\.init"):
            app.test_client().get("/")
