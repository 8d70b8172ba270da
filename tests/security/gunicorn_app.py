"""The app the gunicorn test serves: users on a SQLite file, one protected
and one public route. Configured from the environment by the test."""

from __future__ import annotations

import os
import typing as t

from flask import Flask, g
from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from flask_jwt_router import JwtRoutes

DB_ENV = "JWT_ROUTER_TEST_SQLITE"
SECRET_ENV = "JWT_ROUTER_TEST_SECRET"


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def create_app(db_path: str, secret: str) -> tuple[Flask, JwtRoutes, t.Any]:
    engine = create_engine(f"sqlite:///{db_path}")
    factory = sessionmaker(engine)
    app = Flask("gunicorn_app")
    app.config.update(SECRET_KEY=secret, WHITE_LIST_ROUTES=[("GET", "/health")])
    jwt_routes = JwtRoutes(app, entity_models=[Member], session=factory)

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"id": g.members.id, "name": g.members.name, "pid": os.getpid()}

    @app.get("/health")
    def health() -> dict[str, t.Any]:
        return {"pid": os.getpid()}

    return app, jwt_routes, engine


if DB_ENV in os.environ:
    app = create_app(os.environ[DB_ENV], os.environ[SECRET_ENV])[0]
