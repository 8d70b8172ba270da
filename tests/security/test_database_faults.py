"""A real PostgreSQL that goes away, crashes, hangs: protected requests get
503 (never 401, which would make clients drop good tokens, never 500), and
the app recovers when the database is back.

The test app bounds a slow database the way the security docs recommend:
``connect_timeout`` for a server that does not answer and
``statement_timeout`` for a query that does not finish.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import typing as t

import pytest
from flask import Flask, g
from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

from flask_jwt_router import JwtRoutes

from .conftest import SECRET, Base, User, assert_refused, user_name

if t.TYPE_CHECKING:
    from tests.servers import PostgresServer

CONNECT_TIMEOUT = 2
STATEMENT_TIMEOUT_MS = 1000
#: Longest any single request may take here before the test calls it hung.
REQUEST_BOUND = 30.0
#: Requests tried while waiting for the app to see the database again.
RECOVERY_ATTEMPTS = 100


class PostgresApp:
    def __init__(self, url: str, scoped: bool) -> None:
        self.engine = create_engine(
            url,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            },
        )
        Base.metadata.create_all(self.engine)

        with self.engine.begin() as connection:
            connection.execute(
                User.__table__.insert(),
                [{"id": i, "name": user_name(i)} for i in (1, 2, 3)],
            )

        factory = sessionmaker(self.engine)
        session = scoped_session(factory) if scoped else factory
        self.app = Flask("pg_app")
        self.app.config.update(SECRET_KEY=SECRET, WHITE_LIST_ROUTES=[("GET", "/up")])
        self.jwt_routes = JwtRoutes(self.app, entity_models=[User], session=session)

        if scoped:
            # The app owns a scoped_session and ends it after each request, as
            # the backend's contract asks; without this the connection would
            # stay "idle in transaction", holding its locks.
            self.app.teardown_appcontext(lambda exc: session.remove())

        @self.app.get("/me")
        def me() -> dict[str, t.Any]:
            return {"id": g.users.id, "name": g.users.name}

        @self.app.get("/up")
        def up() -> str:
            return "up"

        self.client = self.app.test_client()

        with self.app.app_context():
            self.token = self.jwt_routes.create_token(entity_id=2, table_name="users")

    def get_me(self, token: str | None = None) -> t.Any:
        """GET /me, bounded: a request that hangs fails the test."""
        result: list[t.Any] = []
        headers = {"Authorization": f"Bearer {token or self.token}"}
        worker = threading.Thread(
            target=lambda: result.append(self.client.get("/me", headers=headers)),
            daemon=True,
        )
        worker.start()
        worker.join(REQUEST_BOUND)

        assert result, f"GET /me did not answer within {REQUEST_BOUND}s"
        return result[0]

    def wait_until_served(self) -> None:
        """Retry until the database is seen again; only 503 may come first."""
        for _ in range(RECOVERY_ATTEMPTS):
            response = self.get_me()

            if response.status_code == 200:
                assert response.json == {"id": 2, "name": "user-2"}
                return

            assert_refused(response, 503, "entity_store_unavailable")
            time.sleep(0.1)

        pytest.fail(f"not served again after {RECOVERY_ATTEMPTS} attempts")


@pytest.fixture(params=["sessionmaker", "scoped_session"])
def pg_app(
    request: pytest.FixtureRequest, dedicated_postgres: PostgresServer
) -> t.Iterator[PostgresApp]:
    app = PostgresApp(dedicated_postgres.url, scoped=request.param == "scoped_session")

    yield app

    app.engine.dispose()


def assert_unavailable(app: PostgresApp) -> None:
    response = app.get_me()

    assert_refused(response, 503, "entity_store_unavailable")
    assert response.headers["Retry-After"]


def test_database_down_is_503_and_the_app_recovers(
    pg_app: PostgresApp, dedicated_postgres: PostgresServer
) -> None:
    assert pg_app.get_me().json == {"id": 2, "name": "user-2"}

    dedicated_postgres.stop()

    for _ in range(3):
        assert_unavailable(pg_app)

    # What does not need the database keeps working and keeps its answers.
    assert pg_app.client.get("/up").status_code == 200
    assert_refused(pg_app.get_me(pg_app.token + "x"), 401, "bad_signature")

    dedicated_postgres.start()
    pg_app.wait_until_served()


def test_database_crash_is_503_and_the_app_recovers(
    pg_app: PostgresApp, dedicated_postgres: PostgresServer
) -> None:
    assert pg_app.get_me().status_code == 200

    dedicated_postgres.stop(crash=True)
    assert_unavailable(pg_app)

    dedicated_postgres.start()
    pg_app.wait_until_served()


def test_database_that_does_not_accept_connections_is_bounded(
    pg_app: PostgresApp, dedicated_postgres: PostgresServer
) -> None:
    # The postmaster is frozen: TCP connections are accepted by the kernel but
    # never answered. Only connect_timeout ends the wait.
    assert pg_app.get_me().status_code == 200
    pg_app.engine.dispose()
    pid = dedicated_postgres.pid
    assert pid is not None

    os.kill(pid, signal.SIGSTOP)

    try:
        assert_unavailable(pg_app)
    finally:
        os.kill(pid, signal.SIGCONT)

    pg_app.wait_until_served()


def test_query_that_hangs_is_bounded(
    pg_app: PostgresApp, dedicated_postgres: PostgresServer
) -> None:
    # Another session holds a lock on the table: the entity query waits
    # until statement_timeout cancels it.
    assert pg_app.get_me().status_code == 200
    import psycopg2

    from tests.servers import to_libpq_url

    blocker = psycopg2.connect(to_libpq_url(dedicated_postgres.url))

    try:
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")

        assert_unavailable(pg_app)
    finally:
        blocker.rollback()
        blocker.close()

    pg_app.wait_until_served()
