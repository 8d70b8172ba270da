"""Fixtures shared by the backend tests: the database each group runs on."""

from __future__ import annotations

import re
import typing as t

import pytest

from .databases import (
    Database,
    create_postgres_database,
    drop_postgres_database,
    sqlite_file,
)

# The contract's assertions explain their failures as a test module's do.
pytest.register_assert_rewrite(f"{__package__}.contract")


@pytest.fixture(scope="class", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[Database]:
    """A fresh SQLite file or PostgreSQL database for one test class."""
    label = re.sub(r"\W+", "_", request.node.name).strip("_").lower()

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp(label) / "entities.sqlite"
        yield sqlite_file(str(path))
        return

    server_url = request.getfixturevalue("postgres_url")
    database = create_postgres_database(server_url, label)

    try:
        yield database
    finally:
        drop_postgres_database(database)
