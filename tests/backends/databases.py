"""The databases the backend tests run on: a SQLite file or a fresh PostgreSQL."""

from __future__ import annotations

import dataclasses
import secrets
import typing as t
from urllib.parse import urlsplit


@dataclasses.dataclass(frozen=True)
class Database:
    """Where one group of tests keeps its tables, in the terms every ORM takes."""

    kind: t.Literal["sqlite", "postgresql"]
    #: The SQLite file's absolute path, or the PostgreSQL database's name.
    name: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""

    @property
    def sqlalchemy_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.name}"

        return (
            f"postgresql+psycopg2://{self.user}:{self.password}"
            f"@{self.host}:{self.port}/{self.name}"
        )

    @property
    def libpq_dsn(self) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user}"
            f" password={self.password} dbname={self.name}"
        )


def sqlite_file(path: str) -> Database:
    return Database("sqlite", path)


def create_postgres_database(server_url: str, label: str) -> Database:
    """Create a new, empty database on the server of ``server_url``."""
    parts = urlsplit(server_url)
    name = f"jwt_{label}_{secrets.token_hex(4)}".lower()[:63]
    database = Database(
        "postgresql",
        name,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "",
        password=parts.password or "",
    )
    _admin(database, f'CREATE DATABASE "{name}"')
    return database


def drop_postgres_database(database: Database) -> None:
    _admin(database, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def _admin(database: Database, statement: str) -> None:
    import psycopg2

    admin = dataclasses.replace(database, name="postgres")
    connection = psycopg2.connect(admin.libpq_dsn, connect_timeout=10)

    try:
        connection.autocommit = True

        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()
