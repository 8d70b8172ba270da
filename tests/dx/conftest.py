"""Fixtures for the developer-experience tests: a school app on SQLite."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from flask_jwt_router import JwtRoutes

from .school import SECRET, Base, Student, Teacher


@pytest.fixture
def engine(tmp_path: t.Any) -> t.Iterator[t.Any]:
    engine = create_engine(f"sqlite:///{tmp_path / 'school.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: t.Any) -> t.Any:
    factory = sessionmaker(engine, expire_on_commit=False)

    with factory() as session:
        session.add_all(
            [
                Student(id=1, name="ada"),
                Student(id=2, name="bo"),
                Teacher(teacher_id=7, name="mr smith"),
            ]
        )
        session.commit()

    return factory


@pytest.fixture
def ada(session_factory: t.Any) -> Student:
    with session_factory() as session:
        return t.cast(Student, session.get(Student, 1))


@pytest.fixture
def smith(session_factory: t.Any) -> Teacher:
    with session_factory() as session:
        return t.cast(Teacher, session.get(Teacher, 7))


@pytest.fixture
def make_app(session_factory: t.Any) -> t.Callable[..., Flask]:
    """Build a fresh app; the test adds its routes before the first request."""

    def make(**config: t.Any) -> Flask:
        app = Flask(__name__)
        app.config.update({"SECRET_KEY": SECRET, **config})
        JwtRoutes(app, entity_models=[Student, Teacher], session=session_factory)
        return app

    return make


@pytest.fixture
def app(make_app: t.Callable[..., Flask]) -> Flask:
    """The app the flask-jwt-router pytest fixtures use."""
    return make_app()
