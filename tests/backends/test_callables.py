"""Plain callables' entities for the backend contract: dicts, no database."""

from __future__ import annotations

import typing as t
import uuid
from types import SimpleNamespace

import pytest

from flask_jwt_router import CallableEntity, entity_loader

from .contract import BackendContract, Dataset, Table
from .databases import Database

ADA_PHONE = uuid.UUID("e5d4c3b2-a1f0-4e9d-8c7b-6a5f4e3d2c1b")
BOB_LAPTOP = uuid.UUID("0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d")


def build(database: Database | None) -> Dataset:
    """Students (int ``id``), teachers (str ``teacher_code``), devices (UUID)."""
    students = {1: SimpleNamespace(name="ada"), 2: SimpleNamespace(name="bob")}
    teachers = {"T-ada": SimpleNamespace(name="ada"), "1": SimpleNamespace(name="carl")}
    devices = {
        ADA_PHONE: SimpleNamespace(name="ada-phone"),
        BOB_LAPTOP: SimpleNamespace(name="bob-laptop"),
    }

    # The list form, with a function that returns None for a missing id.
    student = CallableEntity("cb_students", students.get, id_type=int)

    # The decorator form, with a lookup that raises KeyError for a missing id.
    @entity_loader("cb_teachers", id_type=str, key="teacher_code")
    def teacher(code: str) -> SimpleNamespace:
        return teachers[code]

    @entity_loader("cb_devices", id_type=uuid.UUID, key="device_id")
    def device(device_id: uuid.UUID) -> SimpleNamespace | None:
        assert isinstance(device_id, uuid.UUID)
        return devices.get(device_id)

    return Dataset(
        ints=Table(student, "cb_students", "id", int, {1: "ada", 2: "bob"}, 99),
        strs=Table(
            teacher,
            "cb_teachers",
            "teacher_code",
            str,
            {"T-ada": "ada", "1": "carl"},
            "T-nobody",
        ),
        uuids=Table(
            device,
            "cb_devices",
            "device_id",
            uuid.UUID,
            {ADA_PHONE: "ada-phone", BOB_LAPTOP: "bob-laptop"},
            uuid.UUID(int=1),
        ),
    )


@pytest.fixture(scope="module")
def builder() -> t.Callable[[Database | None], Dataset]:
    return build


class TestCallables(BackendContract):
    @pytest.fixture(scope="class")
    @classmethod
    def database(cls) -> None:
        """Callables need no database: the suite runs once."""
        return None
