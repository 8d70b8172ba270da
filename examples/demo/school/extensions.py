"""The extension objects, created unbound so that ``create_app`` binds them."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from flask_jwt_router import JwtRoutes


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
jwt_routes = JwtRoutes()
