"""Peewee's models and rows for the backend contract."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from .contract import DatabaseContract, Dataset, Table
from .databases import Database
from .orms import require

peewee = require("peewee")

ADA_PHONE = uuid.UUID("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
BOB_LAPTOP = uuid.UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
GOLD = "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"


def connect(database: Database, **options: t.Any) -> t.Any:
    """A Peewee database object for ``database``."""
    if database.kind == "sqlite":
        return peewee.SqliteDatabase(database.name, **options)

    return peewee.PostgresqlDatabase(
        database.name,
        host=database.host,
        port=database.port,
        user=database.user,
        password=database.password,
        **options,
    )


def build(database: Database | None, **options: t.Any) -> Dataset:
    """Students (int ``id``), teachers (str ``teacher_code``), devices (UUID)."""
    assert database is not None
    db = connect(database, **options)

    class BaseModel(peewee.Model):
        class Meta:
            database = db

    class Student(BaseModel):
        name = peewee.CharField()

        class Meta:
            table_name = "pw_students"

    class Teacher(BaseModel):
        teacher_code = peewee.CharField(primary_key=True, max_length=20)
        name = peewee.CharField()

        class Meta:
            table_name = "pw_teachers"

    class Device(BaseModel):
        device_id = peewee.UUIDField(primary_key=True)
        name = peewee.CharField()

        class Meta:
            table_name = "pw_devices"

    class BadgeTable(BaseModel):
        # Creates the table with a native UUID column on PostgreSQL...
        badge_id = peewee.UUIDField(primary_key=True)
        name = peewee.CharField()

        class Meta:
            table_name = "pw_badges"

    class Badge(BaseModel):
        # ...which the entity model reads as a string.
        badge_id = peewee.CharField(primary_key=True)
        name = peewee.CharField()

        class Meta:
            table_name = "pw_badges"

    with db.connection_context():
        db.create_tables([Student, Teacher, Device, BadgeTable])
        Student.insert_many(
            [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]
        ).execute()
        Teacher.insert_many(
            [
                {"teacher_code": "T-ada", "name": "ada"},
                {"teacher_code": "1", "name": "carl"},
            ]
        ).execute()
        Device.insert_many(
            [
                {"device_id": ADA_PHONE, "name": "ada-phone"},
                {"device_id": BOB_LAPTOP, "name": "bob-laptop"},
            ]
        ).execute()
        Badge.insert(badge_id=GOLD, name="gold").execute()

    return Dataset(
        ints=Table(Student, "pw_students", "id", int, {1: "ada", 2: "bob"}, 99),
        strs=Table(
            Teacher,
            "pw_teachers",
            "teacher_code",
            str,
            {"T-ada": "ada", "1": "carl"},
            "T-nobody",
        ),
        uuids=Table(
            Device,
            "pw_devices",
            "device_id",
            uuid.UUID,
            {ADA_PHONE: "ada-phone", BOB_LAPTOP: "bob-laptop"},
            uuid.UUID(int=1),
        ),
        refusing=Table(
            Badge, "pw_badges", "badge_id", str, {GOLD: "gold"}, str(uuid.UUID(int=2))
        ),
        lookup=db.connection_context()(
            lambda table, key: table.model.get_or_none(
                table.model._meta.primary_key == key
            )
        ),
        close=db.close,
    )


@pytest.fixture(scope="module")
def builder() -> t.Callable[[Database | None], Dataset]:
    return build


class TestPeewee(DatabaseContract):
    pass
