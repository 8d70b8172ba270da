"""A real threaded WSGI server: concurrent requests never see each other's entity."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import typing as t

import pytest
from flask import Flask, g

from flask_jwt_router import JwtRoutes

waitress_server = pytest.importorskip("waitress.server")

SERVER_THREADS = 8
CLIENT_THREADS = 8
REQUESTS_PER_CLIENT = 200
#: Each table holds ids 1..ROWS, named "<table>-<id>".
ROWS = 12
#: Whole-test bound: the load normally takes a few seconds.
DEADLINE_SECONDS = 60


class Served:
    """A waitress server with ``SERVER_THREADS`` worker threads on 127.0.0.1."""

    def __init__(self, app: Flask) -> None:
        self.server = waitress_server.create_server(
            app, host="127.0.0.1", port=0, threads=SERVER_THREADS
        )
        self.port = int(self.server.effective_port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        server = self.server

        def close_everything() -> None:
            # Runs in the server's own loop: close the listening socket, every
            # connection and the trigger, which ends the loop.
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_everything)
        self.thread.join(timeout=10)
        server.task_dispatcher.shutdown(timeout=5)
        assert not self.thread.is_alive(), "the server did not stop"
        assert not server.task_dispatcher.threads, "worker threads are left"


def seed(session: t.Any, student: t.Any, teacher: t.Any) -> None:
    for entity_id in range(1, ROWS + 1):
        session.merge(student(student_id=entity_id, name=f"students-{entity_id}"))
        session.merge(teacher(teacher_id=entity_id, name=f"teachers-{entity_id}"))


def build_app(app: Flask, kind: str, request: t.Any, tmp_path: t.Any) -> JwtRoutes:
    if kind == "flask-sqlalchemy":
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'fsa.db'}"
        fsa = request.getfixturevalue("fsa")
        # Same two tables as the plain variant: students and teachers.
        db = fsa.db

        class Student(db.Model):  # type: ignore[name-defined]
            __tablename__ = "students"
            student_id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(50))

        with app.app_context():
            db.create_all()
            seed(db.session, Student, fsa.Teacher)
            db.session.commit()

        return JwtRoutes(app, entity_models=[Student, fsa.Teacher])

    sa = request.getfixturevalue("sa")

    with sa.Session.begin() as session:
        seed(session, sa.Student, sa.Teacher)

    return JwtRoutes(app, entity_models=[sa.Student, sa.Teacher], session=sa.Session)


@pytest.mark.parametrize("kind", ["sessionmaker", "flask-sqlalchemy"])
def test_concurrent_requests_each_see_their_own_entity(
    app: Flask, request: t.Any, tmp_path: t.Any, kind: str
) -> None:
    app.config["TESTING"] = False
    jwt_routes = build_app(app, kind, request, tmp_path)

    @app.get("/whoami")
    def whoami() -> dict[str, t.Any]:
        found = {}

        for table in ("students", "teachers"):
            entity = g.get(table)

            if entity is not None:
                key = "student_id" if table == "students" else "teacher_id"
                found[table] = [getattr(entity, key), entity.name]

        return found

    tokens = {}

    with app.app_context():
        for table in ("students", "teachers"):
            for entity_id in range(1, ROWS + 1):
                tokens[table, entity_id] = jwt_routes.create_token(
                    entity_id=entity_id, table_name=table
                )

    served = Served(app)
    deadline = time.monotonic() + DEADLINE_SECONDS
    failures: list[str] = []
    counts = [0] * CLIENT_THREADS

    def client(number: int) -> None:
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)

        try:
            for _ in range(REQUESTS_PER_CLIENT):
                if time.monotonic() > deadline:
                    failures.append(f"client {number}: out of time")
                    return

                table = rng.choice(("students", "teachers"))
                entity_id = rng.randint(1, ROWS)
                connection.request(
                    "GET",
                    "/whoami",
                    headers={"Authorization": f"Bearer {tokens[table, entity_id]}"},
                )
                response = connection.getresponse()
                body = json.loads(response.read())
                expected = {table: [entity_id, f"{table}-{entity_id}"]}

                if response.status != 200 or body != expected:
                    failures.append(f"{table} {entity_id}: {response.status} {body}")

                counts[number] += 1
        except Exception as error:  # reported below, with the others
            failures.append(f"client {number}: {error!r}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=client, args=(number,))
        for number in range(CLIENT_THREADS)
    ]

    try:
        for thread in threads:
            thread.start()

        for thread in threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0.1))
    finally:
        served.stop()

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert counts == [REQUESTS_PER_CLIENT] * CLIENT_THREADS
