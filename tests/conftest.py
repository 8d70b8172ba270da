"""Shared fixtures: a fresh app per test, entity models on SQLite, token helpers."""

from __future__ import annotations

import dataclasses
import time
import typing as t

import jwt
import pytest
from flask import Flask

#: The signing secret of the ``app`` fixture; long enough for HS256.
SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789-abcdef"


@pytest.fixture
def app() -> Flask:
    """A new Flask app with a ``SECRET_KEY``, in testing mode."""
    app = Flask("test_app")
    app.config.update(SECRET_KEY=SECRET_KEY, TESTING=True)
    return app


@pytest.fixture
def client(app: Flask) -> t.Any:
    return app.test_client()


class TokenKit:
    """Makes and reads tokens with raw PyJWT, independently of the library."""

    secret = SECRET_KEY

    def sign(
        self,
        claims: dict[str, t.Any],
        *,
        key: str | bytes | None = None,
        algorithm: str = "HS256",
        headers: dict[str, t.Any] | None = None,
    ) -> str:
        """Sign ``claims`` as given, with the test secret unless ``key`` is set."""
        return jwt.encode(
            claims, key or self.secret, algorithm=algorithm, headers=headers
        )

    def legacy(
        self,
        table_name: str,
        key_claim: str,
        entity_id: object,
        *,
        expires_in: float = 3600,
        key: str | bytes | None = None,
    ) -> str:
        """A token as flask-jwt-router 0.2 made it: table, id under its column,
        ``exp``; nothing else."""
        claims = {
            "table_name": table_name,
            key_claim: entity_id,
            "exp": int(time.time() + expires_in),
        }
        return self.sign(claims, key=key)

    def decode(self, token: str, *, key: str | bytes | None = None) -> dict[str, t.Any]:
        """Verify ``token`` with HS256 and return its claims."""
        return jwt.decode(token, key or self.secret, algorithms=["HS256"])

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        """Request headers carrying ``token``."""
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens() -> TokenKit:
    return TokenKit()


@dataclasses.dataclass
class FlaskSQLAlchemyModels:
    """Flask-SQLAlchemy set up on the ``app`` fixture, with seeded tables.

    ``users`` (key ``id``): 1 ada, 2 bob, 3 cy; ``teachers`` (key
    ``teacher_id``): 1 turing, 2 hopper.
    """

    db: t.Any
    User: t.Any
    Teacher: t.Any


@pytest.fixture
def fsa(app: Flask) -> t.Iterator[FlaskSQLAlchemyModels]:
    """Flask-SQLAlchemy 3.x models on an in-memory SQLite database, or on the
    database the test set in ``SQLALCHEMY_DATABASE_URI`` first."""
    from flask_sqlalchemy import SQLAlchemy

    app.config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite://")
    db = SQLAlchemy(app)

    class User(db.Model):  # type: ignore[name-defined]
        __tablename__ = "users"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50), nullable=False)

    class Teacher(db.Model):  # type: ignore[name-defined]
        __tablename__ = "teachers"
        teacher_id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50), nullable=False)

    with app.app_context():
        db.create_all()
        db.session.add_all(
            [User(id=1, name="ada"), User(id=2, name="bob"), User(id=3, name="cy")]
        )
        db.session.add_all(
            [Teacher(teacher_id=1, name="turing"), Teacher(teacher_id=2, name="hopper")]
        )
        db.session.commit()

    yield FlaskSQLAlchemyModels(db, User, Teacher)

    with app.app_context():
        db.engine.dispose()


@dataclasses.dataclass
class SQLAlchemyModels:
    """Plain SQLAlchemy 2.x declarative models on a SQLite file, seeded.

    ``students`` (key ``student_id``): 1 ada, 2 bob, 3 cy; ``teachers`` (key
    ``teacher_id``): 1 turing, 2 hopper; ``tags`` (string key ``code``): "py",
    "db".
    """

    engine: t.Any
    Base: t.Any
    Student: t.Any
    Teacher: t.Any
    Tag: t.Any
    #: A ``sessionmaker`` bound to the engine.
    Session: t.Any


@pytest.fixture
def sa(tmp_path: t.Any) -> t.Iterator[SQLAlchemyModels]:
    """Plain SQLAlchemy 2.x models (no Flask-SQLAlchemy) on a SQLite file."""
    from sqlalchemy import Integer, String, create_engine
    from sqlalchemy.orm import DeclarativeBase, mapped_column, sessionmaker

    engine = create_engine(f"sqlite:///{tmp_path / 'entities.db'}")

    class Base(DeclarativeBase):
        pass

    class Student(Base):
        __tablename__ = "students"
        student_id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50), nullable=False)

    class Teacher(Base):
        __tablename__ = "teachers"
        teacher_id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50), nullable=False)

    class Tag(Base):
        __tablename__ = "tags"
        code = mapped_column(String(20), primary_key=True)
        label = mapped_column(String(50), nullable=False)

    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)

    with factory.begin() as session:
        session.add_all(
            [
                Student(student_id=1, name="ada"),
                Student(student_id=2, name="bob"),
                Student(student_id=3, name="cy"),
                Teacher(teacher_id=1, name="turing"),
                Teacher(teacher_id=2, name="hopper"),
                Tag(code="py", label="Python"),
                Tag(code="db", label="Databases"),
            ]
        )

    yield SQLAlchemyModels(engine, Base, Student, Teacher, Tag, factory)

    engine.dispose()
