"""Models and helpers shared by the developer-experience tests."""

from __future__ import annotations

import typing as t

import jwt
from flask import Flask
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_jwt_router import JwtRoutes

SECRET = "dx-tests-secret-key-of-at-least-32-bytes!"


class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Teacher(Base):
    __tablename__ = "teachers"

    # The attribute and the column are named differently on purpose.
    teacher_id: Mapped[int] = mapped_column("tid", Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def extension(app: Flask) -> JwtRoutes:
    """The JwtRoutes instance protecting ``app``."""
    return t.cast(JwtRoutes, app.extensions["flask_jwt_router"].ext)


def claims_of(token: str) -> dict[str, t.Any]:
    """Verify a token minted by the test apps and return its claims."""
    return t.cast(dict[str, t.Any], jwt.decode(token, SECRET, algorithms=["HS256"]))
