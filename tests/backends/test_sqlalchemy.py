"""SQLAlchemy's models and rows for the backend contract.

Three ways an app hands its session over: a ``sessionmaker`` (one session per
request, opened by the backend), a ``scoped_session`` the app removes at
teardown, and Flask-SQLAlchemy's ``db.session``.
"""

from __future__ import annotations

import typing as t
import uuid

import pytest
from flask import Flask

from .contract import DatabaseContract, Dataset, Table
from .databases import Database
from .orms import require

sa = require("sqlalchemy")
orm = require("sqlalchemy.orm")

ADA_PHONE = uuid.UUID("5f0c6d52-1c7e-4d0e-9a57-0d6f4b0f9a01")
BOB_LAPTOP = uuid.UUID("a3e1c2b4-7d8f-4a6b-8c9d-1e2f3a4b5c6d")
GOLD = "2c7e9a10-3b4d-4e5f-8a9b-0c1d2e3f4a5b"


def declare(Base: t.Any) -> list[t.Any]:
    """Students (int ``id``), teachers (str ``teacher_code``), devices (UUID),
    badges (a string key over a UUID column)."""

    class Student(Base):
        __tablename__ = "sa_students"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(50))

    class Teacher(Base):
        __tablename__ = "sa_teachers"
        teacher_code: orm.Mapped[str] = orm.mapped_column(
            sa.String(20), primary_key=True
        )
        name: orm.Mapped[str] = orm.mapped_column(sa.String(50))

    class Device(Base):
        __tablename__ = "sa_devices"
        device_id: orm.Mapped[uuid.UUID] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(50))

    class Badge(Base):
        # as_uuid=False: the model reads the key as a string, the column is a
        # native UUID on PostgreSQL.
        __tablename__ = "sa_badges"
        badge_id: orm.Mapped[str] = orm.mapped_column(
            sa.Uuid(as_uuid=False), primary_key=True
        )
        name: orm.Mapped[str] = orm.mapped_column(sa.String(50))

    return [Student, Teacher, Device, Badge]


def rows(models: list[t.Any]) -> list[t.Any]:
    Student, Teacher, Device, Badge = models

    return [
        Student(id=1, name="ada"),
        Student(id=2, name="bob"),
        Teacher(teacher_code="T-ada", name="ada"),
        Teacher(teacher_code="1", name="carl"),
        Device(device_id=ADA_PHONE, name="ada-phone"),
        Device(device_id=BOB_LAPTOP, name="bob-laptop"),
        Badge(badge_id=GOLD, name="gold"),
    ]


def dataset(models: list[t.Any], **wiring: t.Any) -> Dataset:
    Student, Teacher, Device, Badge = models

    return Dataset(
        ints=Table(Student, "sa_students", "id", int, {1: "ada", 2: "bob"}, 99),
        strs=Table(
            Teacher,
            "sa_teachers",
            "teacher_code",
            str,
            {"T-ada": "ada", "1": "carl"},
            "T-nobody",
        ),
        uuids=Table(
            Device,
            "sa_devices",
            "device_id",
            uuid.UUID,
            {ADA_PHONE: "ada-phone", BOB_LAPTOP: "bob-laptop"},
            uuid.UUID(int=1),
        ),
        refusing=Table(
            Badge, "sa_badges", "badge_id", str, {GOLD: "gold"}, str(uuid.UUID(int=2))
        ),
        **wiring,
    )


def _get(Session: t.Any, model: t.Any, key: object) -> object:
    with Session() as session:
        return session.get(model, key)


def build(database: Database | None) -> Dataset:
    """The app passes a ``sessionmaker``: JwtRoutes(..., session=Session)."""
    assert database is not None

    class Base(orm.DeclarativeBase):
        pass

    models = declare(Base)
    engine = sa.create_engine(database.sqlalchemy_url)
    Base.metadata.create_all(engine)
    Session = orm.sessionmaker(engine)

    with Session.begin() as session:
        session.add_all(rows(models))

    return dataset(
        models,
        lookup=lambda table, key: _get(Session, table.model, key),
        options={"session": Session},
        close=engine.dispose,
    )


def build_scoped(database: Database | None) -> Dataset:
    """The app passes a ``scoped_session`` and removes it at teardown."""
    built = build(database)
    factory = built.options["session"]
    Session = orm.scoped_session(factory)

    def setup_app(app: Flask) -> None:
        app.teardown_appcontext(lambda error: Session.remove())

    built.options = {"session": Session}
    built.setup_app = setup_app
    return built


def build_flask_sqlalchemy(database: Database | None) -> Dataset:
    """The app uses Flask-SQLAlchemy; the extension finds ``db.session``."""
    assert database is not None
    flask_sqlalchemy = require("flask_sqlalchemy")
    db = flask_sqlalchemy.SQLAlchemy()
    models = declare(db.Model)
    apps: list[Flask] = []

    def setup_app(app: Flask) -> None:
        app.config["SQLALCHEMY_DATABASE_URI"] = database.sqlalchemy_url
        db.init_app(app)
        apps.append(app)

    def close() -> None:
        # Flask-SQLAlchemy makes an engine per app; close their connections
        # now rather than whenever the apps are garbage collected.
        for app in apps:
            with app.app_context():
                db.engine.dispose()

    maker = Flask("make_tables")
    setup_app(maker)

    with maker.app_context():
        db.create_all()
        db.session.add_all(rows(models))
        db.session.commit()

        engine = db.engine

    return dataset(
        models,
        lookup=lambda table, key: _get(orm.sessionmaker(engine), table.model, key),
        setup_app=setup_app,
        close=close,
    )


@pytest.fixture(scope="module")
def builder() -> t.Callable[[Database | None], Dataset]:
    return build


class TestSQLAlchemy(DatabaseContract):
    pass


class TestSQLAlchemyScopedSession(DatabaseContract):
    @pytest.fixture(scope="class")
    @classmethod
    def builder(cls) -> t.Callable[[Database | None], Dataset]:
        return build_scoped


class TestFlaskSQLAlchemy(DatabaseContract):
    @pytest.fixture(scope="class")
    @classmethod
    def builder(cls) -> t.Callable[[Database | None], Dataset]:
        return build_flask_sqlalchemy
