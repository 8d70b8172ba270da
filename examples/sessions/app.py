"""Sessions with flask-jwt-router: log in, refresh, log out, log out everywhere.

    pip install "flask-jwt-router[sqlalchemy,redis]"
    python examples/sessions/app.py                     # in-memory store
    REDIS_URL=redis://127.0.0.1:6379/0 python examples/sessions/app.py

See README.md beside this file for the curl calls.
"""

from __future__ import annotations

import os
import tempfile
import typing as t

from flask import Flask, g, jsonify, request
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from flask_jwt_router import JwtRoutes


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))


def create_app(store: str | None = None) -> Flask:
    # A SQLite file, so that each of the server's threads gets a connection of
    # its own (one shared in-memory connection is not safe across threads).
    folder = tempfile.mkdtemp(prefix="jwt-router-sessions-example-")
    engine = create_engine(f"sqlite:///{os.path.join(folder, 'users.db')}")
    Base.metadata.create_all(engine)
    Session = sessionmaker(engine)

    with Session.begin() as db:
        db.add(
            User(email="ada@example.com", password_hash=generate_password_hash("ada"))
        )

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "change-me-to-a-long-random-string!!"),
        WHITE_LIST_ROUTES=[("POST", "/login")],
        # "memory" serves one process; give Redis to serve several.
        JWT_ROUTER_REVOCATION_STORE=store or os.environ.get("REDIS_URL", "memory"),
        # POST /auth/refresh exchanges a refresh token for a new pair.
        JWT_ROUTER_REFRESH_ROUTE="/auth/refresh",
    )
    jwt_routes = JwtRoutes(app, entity_models=[User], session=Session)
    # Access tokens live 15 minutes; the refresh token renews them for 30 days.
    jwt_routes.set_exp(expire_days=15 / (24 * 60))

    @app.post("/login")
    def login() -> t.Any:
        body = request.get_json(silent=True) or {}

        with Session() as db:
            user = db.scalar(select(User).where(User.email == body.get("email")))

        if user is None or not check_password_hash(
            user.password_hash, str(body.get("password"))
        ):
            return jsonify(error="bad_credentials"), 401

        pair = jwt_routes.create_token(
            entity_id=user.id, table_name="users", refresh=True
        )
        return jsonify(pair._asdict())

    @app.get("/me")
    def me() -> t.Any:
        return jsonify(id=g.users.id, email=g.users.email)

    @app.post("/logout")
    def logout() -> t.Any:
        # Ends this login: the access token and its refresh token, on every
        # server sharing the store.
        jwt_routes.revoke_session()
        return "", 204

    @app.post("/password")
    def change_password() -> t.Any:
        with Session.begin() as db:
            user = db.get(User, g.users.id)
            assert user is not None
            user.password_hash = generate_password_hash(request.json["password"])

        # Log out everywhere, then hand this device a new login.
        jwt_routes.revoke_entity("users", g.users.id)
        pair = jwt_routes.create_token(
            entity_id=g.users.id, table_name="users", refresh=True
        )
        return jsonify(pair._asdict())

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
