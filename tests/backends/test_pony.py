"""Pony's entities and rows for the backend contract."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from .contract import DatabaseContract, Dataset, Table
from .databases import Database
from .orms import require

orm = require("pony.orm")

ADA_PHONE = uuid.UUID("7b6a5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d")
BOB_LAPTOP = uuid.UUID("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")
GOLD = "4f5a6b7c-8d9e-4f0a-8b1c-2d3e4f5a6b7c"


def bind(db: t.Any, database: Database) -> None:
    if database.kind == "sqlite":
        db.bind(provider="sqlite", filename=database.name, create_db=True)
        return

    db.bind(
        provider="postgres",
        host=database.host,
        port=database.port,
        user=database.user,
        password=database.password,
        database=database.name,
    )


def build(database: Database | None) -> Dataset:
    """Students (int ``id``), teachers (str ``teacher_code``), devices (UUID)."""
    assert database is not None
    db = orm.Database()

    class PonyStudent(db.Entity):  # table name derived by Pony
        name = orm.Required(str)

    class Teacher(db.Entity):
        _table_ = "pony_teachers"
        teacher_code = orm.PrimaryKey(str, max_len=20)
        name = orm.Required(str)

    class Device(db.Entity):
        _table_ = "pony_devices"
        device_id = orm.PrimaryKey(uuid.UUID)
        name = orm.Required(str)

    class Badge(db.Entity):
        # A string attribute over a native UUID column on PostgreSQL.
        _table_ = "pony_badges"
        badge_id = orm.PrimaryKey(str, sql_type="uuid")
        name = orm.Required(str)

    bind(db, database)
    db.generate_mapping(create_tables=True)

    with orm.db_session:
        PonyStudent(id=1, name="ada")
        PonyStudent(id=2, name="bob")
        Teacher(teacher_code="T-ada", name="ada")
        Teacher(teacher_code="1", name="carl")
        Device(device_id=ADA_PHONE, name="ada-phone")
        Device(device_id=BOB_LAPTOP, name="bob-laptop")
        Badge(badge_id=GOLD, name="gold")

    # What Pony derives: the class name, lower-cased on PostgreSQL.
    students = "PonyStudent" if database.kind == "sqlite" else "ponystudent"

    return Dataset(
        ints=Table(PonyStudent, students, "id", int, {1: "ada", 2: "bob"}, 99),
        strs=Table(
            Teacher,
            "pony_teachers",
            "teacher_code",
            str,
            {"T-ada": "ada", "1": "carl"},
            "T-nobody",
        ),
        uuids=Table(
            Device,
            "pony_devices",
            "device_id",
            uuid.UUID,
            {ADA_PHONE: "ada-phone", BOB_LAPTOP: "bob-laptop"},
            uuid.UUID(int=1),
        ),
        refusing=Table(
            Badge, "pony_badges", "badge_id", str, {GOLD: "gold"}, str(uuid.UUID(int=2))
        ),
        lookup=orm.db_session(
            lambda table, key: table.model.get(**{table.key_name: key})
        ),
        close=db.disconnect,
    )


@pytest.fixture(scope="module")
def builder() -> t.Callable[[Database | None], Dataset]:
    return build


class TestPony(DatabaseContract):
    pass
