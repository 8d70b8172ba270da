"""Pony: db_session handling, table names, and entities refused at startup."""

from __future__ import annotations

import datetime
import typing as t
from pathlib import Path

import pytest
from flask import Flask, g

from flask_jwt_router import ConfigurationError, JwtRoutes
from flask_jwt_router.backends.pony import PonyBackend

from .contract import SECRET
from .databases import Database
from .orms import require
from .test_pony import bind

orm = require("pony.orm")
pony_core = require("pony.orm.core")
pony_flask = require("pony.flask")


class Models:
    """Owners with pets: a relationship the view reads through ``g``."""

    def __init__(self, database: Database) -> None:
        self.db = db = orm.Database()

        class Owner(db.Entity):
            _table_ = "owners"
            name = orm.Required(str)
            pets = orm.Set("Pet")

        class Pet(db.Entity):
            _table_ = "pets"
            name = orm.Required(str)
            owner = orm.Required(Owner)

        bind(db, database)
        db.generate_mapping(create_tables=True)

        with orm.db_session:
            ada = Owner(id=1, name="ada")
            Pet(name="rex", owner=ada)
            Pet(name="tom", owner=ada)

        self.Owner = Owner
        self.Pet = Pet


@pytest.fixture(scope="class")
def models(database: Database) -> t.Iterator[Models]:
    models = Models(database)
    yield models
    models.db.disconnect()


def _app(models: Models, pony_first: bool = False, pony_after: bool = False) -> Flask:
    app = Flask("pony_specifics")
    app.config.update(SECRET_KEY=SECRET, WHITE_LIST_ROUTES=[("POST", "/refresh")])

    if pony_first:
        pony_flask.Pony(app)

    routes = JwtRoutes(app, entity_models=[models.Owner])

    if pony_after:
        pony_flask.Pony(app)

    @app.get("/pets")
    def pets() -> dict[str, t.Any]:
        assert pony_core.local.db_session is not None
        return {"pets": sorted(pet.name for pet in g.owners.pets)}

    @app.post("/pets")
    def add_pet() -> tuple[str, int]:
        with orm.db_session:
            models.Pet(name="new", owner=g.owners)

        return "", 201

    @app.post("/pets/fail")
    def add_pet_then_fail() -> str:
        models.Pet(name="lost", owner=g.owners)
        raise RuntimeError("the view failed after writing")

    @app.post("/refresh")
    @orm.db_session
    def refresh() -> dict[str, str]:
        return {"token": routes.update_token()}

    app.extensions["test_routes"] = routes
    return app


def _headers(app: Flask) -> dict[str, str]:
    routes = app.extensions["test_routes"]

    with app.app_context():
        token = routes.create_token(entity_id=1, table_name="owners")

    return {"Authorization": f"Bearer {token}"}


def _pet_names(models: Models) -> list[str]:
    with orm.db_session:
        return sorted(pet.name for pet in models.Pet.select())


@pytest.mark.parametrize(
    "wiring",
    [{}, {"pony_first": True}, {"pony_after": True}],
    ids=["no-pony.flask", "pony.flask-before", "pony.flask-after"],
)
class TestSessions:
    def test_entity_stays_usable_in_the_view(
        self, models: Models, wiring: dict[str, bool]
    ) -> None:
        app = _app(models, **wiring)
        response = app.test_client().get("/pets", headers=_headers(app))

        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json == {"pets": ["rex", "tom"]}
        assert pony_core.local.db_session is None

    def test_writes_of_the_view_are_committed(
        self, models: Models, wiring: dict[str, bool]
    ) -> None:
        app = _app(models, **wiring)
        response = app.test_client().post("/pets", headers=_headers(app))

        try:
            assert response.status_code == 201, response.get_data(as_text=True)
            assert pony_core.local.db_session is None
            assert _pet_names(models) == ["new", "rex", "tom"]
        finally:
            with orm.db_session:
                orm.delete(pet for pet in models.Pet if pet.name == "new")

    def test_refused_request_leaves_no_session_open(
        self, models: Models, wiring: dict[str, bool]
    ) -> None:
        app = _app(models, **wiring)
        token = app.extensions["test_routes"]
        bad = {"Authorization": "Bearer not-a-token"}

        with app.app_context():
            missing = token.create_token(entity_id=404, table_name="owners")

        client = app.test_client()

        assert client.get("/pets", headers=bad).status_code == 401
        assert (
            client.get(
                "/pets", headers={"Authorization": f"Bearer {missing}"}
            ).status_code
            == 401
        )
        assert pony_core.local.db_session is None

    def test_update_token_inside_a_db_session_view(
        self, models: Models, wiring: dict[str, bool]
    ) -> None:
        app = _app(models, **wiring)
        response = app.test_client().post("/refresh", headers=_headers(app))

        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["token"].count(".") == 2
        assert pony_core.local.db_session is None


def test_view_that_fails_rolls_its_writes_back(models: Models) -> None:
    app = _app(models)
    app.testing = False
    response = app.test_client().post("/pets/fail", headers=_headers(app))

    assert response.status_code == 500
    assert pony_core.local.db_session is None
    assert _pet_names(models) == ["rex", "tom"]


def test_load_outside_a_request_opens_its_own_session(models: Models) -> None:
    owner = PonyBackend().load(models.Owner, 1)

    assert owner is not None and owner.name == "ada"
    assert pony_core.local.db_session is None


class TestEntities:
    def test_table_name_from_a_schema_qualified_table(self) -> None:
        db = orm.Database()

        class Account(db.Entity):
            _table_ = ("billing", "accounts")
            name = orm.Required(str)

        assert PonyBackend().table_name(Account) == "accounts"

    def test_derived_table_name_needs_a_bound_database(self, tmp_path: Path) -> None:
        db = orm.Database()

        class Account(db.Entity):
            name = orm.Required(str)

        with pytest.raises(ConfigurationError, match=r"db\.bind"):
            PonyBackend().table_name(Account)

        db.bind(provider="sqlite", filename=str(tmp_path / "x.sqlite"), create_db=True)

        try:
            assert PonyBackend().table_name(Account) == "Account"
        finally:
            db.disconnect()

    def test_composite_key_is_refused(self) -> None:
        db = orm.Database()

        class Seat(db.Entity):
            row = orm.Required(int)
            number = orm.Required(int)
            orm.PrimaryKey(row, number)

        with pytest.raises(
            ConfigurationError, match=r"composite primary key \(row, number\)"
        ):
            PonyBackend().primary_key(Seat)

    def test_relationship_key_takes_the_target_key(self) -> None:
        db = orm.Database()

        class User(db.Entity):
            code = orm.PrimaryKey(str)
            profile = orm.Optional("Profile")

        class Profile(db.Entity):
            user = orm.PrimaryKey(User)

        key = PonyBackend().primary_key(Profile)

        assert (key.name, key.python_type) == ("user", str)

    def test_key_of_another_type_is_refused(self) -> None:
        db = orm.Database()

        class Reading(db.Entity):
            taken = orm.PrimaryKey(datetime.datetime)

        with pytest.raises(ConfigurationError, match="int, str or uuid.UUID"):
            PonyBackend().primary_key(Reading)

    def test_the_entity_base_class_is_no_entity(self) -> None:
        db = orm.Database()

        assert not PonyBackend().handles(db.Entity)

    def test_unmapped_database_fails_at_first_request(self) -> None:
        db = orm.Database()

        class Account(db.Entity):
            _table_ = "accounts"
            name = orm.Required(str)

        app = Flask("unmapped")
        app.config.update(SECRET_KEY=SECRET, TESTING=True)
        JwtRoutes(app, entity_models=[Account])

        with pytest.raises(ConfigurationError, match=r"generate_mapping"):
            app.test_client().get("/")
