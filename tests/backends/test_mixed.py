"""Entities from every backend at once in one app, on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import threading
import typing as t

import pytest
from werkzeug.serving import make_server

from .contract import Dataset, Harness, assert_refused, first, forged
from .databases import Database
from .orms import require

require("sqlalchemy")
require("peewee")
require("pony.orm")

from . import test_callables, test_peewee, test_pony, test_sqlalchemy  # noqa: E402

THREADS = 4
REQUESTS_PER_THREAD = 60


@pytest.fixture(scope="class")
def datasets(database: Database) -> t.Iterator[list[Dataset]]:
    built = [
        test_sqlalchemy.build(database),
        test_peewee.build(database),
        test_pony.build(database),
        test_callables.build(None),
    ]

    try:
        yield built
    finally:
        for dataset in built:
            dataset.close()


@pytest.fixture
def harness(datasets: list[Dataset]) -> Harness:
    sqlalchemy, peewee, pony, callables = datasets
    others = [*peewee.tables, *pony.tables, *callables.tables]
    harness = Harness(sqlalchemy, *others)

    # Pony keeps a connection per thread; the server threads of the
    # concurrent test close theirs when their request ends.
    harness.app.teardown_request(lambda error: pony.close())
    return harness


class TestMixedORMs:
    def test_every_table_of_every_orm_loads(self, harness: Harness) -> None:
        assert len(harness.tables) == 15

        for table in harness.tables:
            entity_id, name = first(table.rows)

            assert harness.found(harness.token(table, entity_id)) == [
                [table.table_name, name]
            ]

    def test_each_refuses_what_it_should(self, harness: Harness) -> None:
        for table in harness.tables:
            assert_refused(harness.me(harness.token(table, table.missing_id)))

            wrong = "abc" if table.key_type is int else [1]
            assert_refused(
                harness.me(forged(table.table_name, **{table.key_name: wrong}))
            )

    def test_concurrent_requests_each_see_their_own_entity(
        self, harness: Harness
    ) -> None:
        calls = [
            (harness.token(table, entity_id), [[table.table_name, name]])
            for table in harness.tables
            for entity_id, name in table.rows.items()
        ]
        server = make_server("127.0.0.1", 0, harness.app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        failures: list[str] = []

        def client(offset: int) -> None:
            connection = http.client.HTTPConnection(
                "127.0.0.1", server.port, timeout=30
            )

            try:
                for number in range(REQUESTS_PER_THREAD):
                    token, expected = calls[(offset + number) % len(calls)]
                    connection.request(
                        "GET", "/me", headers={"Authorization": f"Bearer {token}"}
                    )
                    response = connection.getresponse()
                    body = response.read()

                    if response.status != 200 or json.loads(body)["found"] != expected:
                        failures.append(
                            f"{response.status} {body!r}, wanted {expected}"
                        )
            finally:
                connection.close()

        workers = [
            threading.Thread(target=client, args=(index * 7,))
            for index in range(THREADS)
        ]

        try:
            for worker in workers:
                worker.start()

            for worker in workers:
                worker.join(timeout=120)
        finally:
            server.shutdown()
            serving.join(timeout=30)
            server.server_close()

        assert not any(worker.is_alive() for worker in workers)
        assert failures == []
