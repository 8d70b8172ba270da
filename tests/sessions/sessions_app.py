"""A small app for the session tests; also served as a separate process.

``python sessions_app.py STORE PREFIX`` serves it on a free port of 127.0.0.1 and
prints the port on its first line of output.
"""

from __future__ import annotations

import os
import sys
import typing as t

from flask import Flask, g, jsonify, request
from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_jwt_router import JwtRoutes

USER_IDS = range(1, 6)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


def create_app(store: object = "memory", **config: t.Any) -> Flask:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)

    with factory.begin() as session:
        session.add_all(User(id=i, name=f"user{i}") for i in USER_IDS)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="sessions-test-secret-0123456789abcdef0123456789",
        WHITE_LIST_ROUTES=[
            ("POST", "/login"),
            ("POST", "/login-plain"),
            ("POST", "/custom-refresh"),
            ("POST", "/public-renew"),
            ("POST", "/public-logout"),
        ],
        JWT_ROUTER_REVOCATION_STORE=store,
        JWT_ROUTER_REFRESH_ROUTE="/auth/refresh",
    )
    app.config.update(config)
    jwt_routes = JwtRoutes(app, entity_models=[User], session=factory)
    app.extensions["test_jwt_routes"] = jwt_routes

    @app.post("/login")
    def login() -> t.Any:
        access, refresh = jwt_routes.create_token(
            entity_id=request.json["id"], table_name="users", refresh=True
        )
        return jsonify(access_token=access, refresh_token=refresh)

    @app.post("/login-plain")
    def login_plain() -> t.Any:
        token = jwt_routes.create_token(
            entity_id=request.json["id"], table_name="users"
        )
        return jsonify(token=token)

    @app.get("/me")
    def me() -> t.Any:
        return jsonify(id=g.users.id, pid=os.getpid())

    @app.post("/logout")
    def logout() -> t.Any:
        jwt_routes.revoke_token()
        return "", 204

    @app.post("/logout-session")
    def logout_session() -> t.Any:
        jwt_routes.revoke_session()
        return "", 204

    @app.post("/public-logout")
    def public_logout() -> t.Any:
        jwt_routes.revoke_token()
        return "", 204

    @app.post("/logout-everywhere")
    def logout_everywhere() -> t.Any:
        jwt_routes.revoke_entity("users", g.users.id)
        # The new token is issued after the revocation, most often within
        # the same second: it must be accepted.
        return jsonify(token=jwt_routes.create_token(g.users.id, "users"))

    @app.post("/revoke")
    def revoke() -> t.Any:
        jwt_routes.revoke_token(request.json["token"])
        return "", 204

    @app.post("/renew")
    def renew() -> t.Any:
        return jsonify(token=jwt_routes.update_token(g.users.id))

    @app.post("/public-renew")
    def public_renew() -> t.Any:
        return jsonify(token=jwt_routes.update_token())

    @app.post("/custom-refresh")
    def custom_refresh() -> t.Any:
        pair = jwt_routes.refresh_tokens()
        return jsonify(pair._asdict())

    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    from werkzeug.serving import make_server

    store, prefix = sys.argv[1:3]
    app = create_app(store, JWT_ROUTER_REVOCATION_PREFIX=prefix)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
