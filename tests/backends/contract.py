"""The contract every entity backend keeps, run on each backend's own data.

A backend's test module subclasses :class:`BackendContract` (or
:class:`DatabaseContract` for a backend over a database) and provides one
module fixture, ``builder``: a function that takes a :class:`~.databases.Database`
(``None`` for a backend without one), creates its models, tables and rows
there, and returns a :class:`Dataset` describing them.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
import uuid
from types import SimpleNamespace

import jwt
import pytest
from flask import Flask, g

from flask_jwt_router import CallableEntity, JwtRoutes

from .databases import Database

SECRET = "contract-suite-secret-" + "k" * 32

#: Ids no backend may accept, by the key type of the table they are sent to.
WRONG_IDS: dict[type, list[object]] = {
    int: [
        "abc",
        [1],
        "1 OR 1=1",
        {"id": 1},
        1.5,
        True,
        2**70,
        -(2**70),
        "",
        None,
        "\uff11",  # a full-width digit one
        " 1",
        "0x1",
    ],
    str: [[1], {"a": "b"}, True, None, "", "a\x00b", 1.5],
    uuid.UUID: [
        "abc",
        "1 OR 1=1",
        123,
        ["0b0a61c2-8c41-4d6c-9c39-2f1f4a3c1b10"],
        None,
        "",
        True,
        "0b0a61c2-8c41-4d6c-9c39-2f1f4a3c1b1",  # one digit short
    ],
}


@dataclasses.dataclass
class Table:
    """One entity model and what the suite expects of it."""

    model: t.Any
    #: The table name tokens must carry (what the ORM derives or was told).
    table_name: str
    #: The claim, named after the key column, that new tokens carry the id in.
    key_name: str
    key_type: type
    #: Existing rows: id -> the entity's ``name`` attribute.
    rows: dict[t.Any, str]
    #: An id of the right type that no row has.
    missing_id: t.Any


@dataclasses.dataclass
class Dataset:
    """The models, rows and app wiring one backend provides to the suite."""

    #: Integer key named ``id``.
    ints: Table
    #: String key with another name.
    strs: Table
    #: UUID key with a third name.
    uuids: Table
    #: A string key over a column the database types as UUID, so that on
    #: PostgreSQL the database itself refuses a value the converter let pass.
    refusing: Table | None = None
    #: The ORM's own lookup by primary key, bypassing the backend.
    lookup: t.Callable[[Table, object], object] | None = None
    #: Extra arguments for ``JwtRoutes``.
    options: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    #: Called with the app after ``JwtRoutes`` is set up (``pony.flask``...).
    setup_app: t.Callable[[Flask], None] = lambda app: None
    #: Releases connections before the database is dropped.
    close: t.Callable[[], None] = lambda: None

    @property
    def tables(self) -> list[Table]:
        tables = [self.ints, self.strs, self.uuids]
        return tables if self.refusing is None else [*tables, self.refusing]


Builder = t.Callable[[Database | None], Dataset]


class Harness:
    """An app protected with a dataset's models, and ways to call it."""

    def __init__(self, dataset: Dataset, *extra: Table) -> None:
        self.tables = [*dataset.tables, *extra]
        self.app = Flask("contract")
        self.app.config["SECRET_KEY"] = SECRET
        names = [table.table_name for table in self.tables]

        @self.app.get("/me")
        def me() -> dict[str, t.Any]:
            found = [[name, g.get(name).name] for name in names if name in g]
            return {"found": found}

        self.routes = JwtRoutes(
            self.app,
            entity_models=[table.model for table in self.tables],
            **dataset.options,
        )
        dataset.setup_app(self.app)
        self.client = self.app.test_client()

    def token(self, table: Table, entity_id: object) -> str:
        with self.app.app_context():
            return self.routes.create_token(
                entity_id=entity_id, table_name=table.table_name
            )

    def me(self, token: str) -> t.Any:
        return self.client.get("/me", headers={"Authorization": f"Bearer {token}"})

    def found(self, token: str) -> list[list[str]]:
        response = self.me(token)
        assert response.status_code == 200, response.get_data(as_text=True)
        return t.cast(list[list[str]], response.json["found"])


def forged(table_name: str, **claims: object) -> str:
    """A token signed with the app's secret, holding exactly these claims."""
    payload = {"table_name": table_name, "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, SECRET, algorithm="HS256")


def json_id(entity_id: object) -> object:
    return entity_id if isinstance(entity_id, int | str) else str(entity_id)


def assert_refused(response: t.Any, status: int = 401) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.json["error"] in {"unknown_entity", "token_invalid"}


def first(rows: dict[t.Any, str]) -> tuple[t.Any, str]:
    return next(iter(rows.items()))


class BackendContract:
    """What every backend must do; subclasses provide ``builder``."""

    @pytest.fixture(scope="class")
    @classmethod
    def dataset(
        cls, builder: Builder, database: Database | None
    ) -> t.Iterator[Dataset]:
        dataset = builder(database)
        # The suite relies on these: three key names, three key types.
        keys = [(table.key_name, table.key_type) for table in dataset.tables[:3]]
        assert [key_type for _, key_type in keys] == [int, str, uuid.UUID]
        assert len({name for name, _ in keys}) == 3
        assert dataset.ints.rows[1] == "ada" and "1" in dataset.strs.rows

        try:
            yield dataset
        finally:
            dataset.close()

    @pytest.fixture
    def harness(self, dataset: Dataset) -> Harness:
        return Harness(dataset)

    def test_token_carries_table_name_and_key_of_the_model(
        self, harness: Harness, dataset: Dataset
    ) -> None:
        for table in dataset.tables:
            entity_id, _ = first(table.rows)
            claims = jwt.decode(
                harness.token(table, entity_id), SECRET, algorithms=["HS256"]
            )

            assert claims["table_name"] == table.table_name
            assert claims[table.key_name] == json_id(entity_id)
            assert claims["sub"] == str(json_id(entity_id))

    def test_each_table_loads_its_entity_onto_g(
        self, harness: Harness, dataset: Dataset
    ) -> None:
        for table in dataset.tables:
            for entity_id, name in table.rows.items():
                token = harness.token(table, entity_id)

                assert harness.found(token) == [[table.table_name, name]]

    def test_missing_row_is_401(self, harness: Harness, dataset: Dataset) -> None:
        for table in dataset.tables:
            token = harness.token(table, table.missing_id)
            response = harness.me(token)

            assert_refused(response)
            assert response.json["error"] == "unknown_entity"

    def test_integer_id_beyond_the_column_is_401(
        self, harness: Harness, dataset: Dataset
    ) -> None:
        # Valid 64-bit integers, out of range of a 32-bit column.
        table = dataset.ints

        for value in [2**31, 2**40, 2**63 - 1, -(2**63)]:
            response = harness.me(harness.token(table, value))

            assert_refused(response)
            assert response.json["error"] == "unknown_entity"

        assert harness.found(harness.token(table, 2)) == [[table.table_name, "bob"]]

    def test_id_of_wrong_type_is_401(self, harness: Harness, dataset: Dataset) -> None:
        for table in dataset.tables:
            for wrong in WRONG_IDS[table.key_type]:
                token = forged(table.table_name, **{table.key_name: wrong})

                assert_refused(harness.me(token))

        # Nothing above left a connection or session unusable.
        for table in dataset.tables:
            entity_id, name = first(table.rows)

            assert harness.found(harness.token(table, entity_id)) == [
                [table.table_name, name]
            ]

    def test_token_as_0_2_wrote_it(self, harness: Harness, dataset: Dataset) -> None:
        for table in dataset.tables:
            entity_id, name = first(table.rows)
            token = forged(table.table_name, **{table.key_name: json_id(entity_id)})

            assert harness.found(token) == [[table.table_name, name]]

    def test_id_in_sub_only(self, harness: Harness, dataset: Dataset) -> None:
        for table in dataset.tables:
            entity_id, name = first(table.rows)
            token = forged(table.table_name, sub=str(json_id(entity_id)))

            assert harness.found(token) == [[table.table_name, name]]

    def test_the_token_table_decides_which_entity_loads(
        self, harness: Harness, dataset: Dataset
    ) -> None:
        # The string table has a row whose key is "1", the integer table a row
        # 1: the same id names a different entity in each.
        ints, strs = dataset.ints, dataset.strs

        assert harness.found(harness.token(ints, 1)) == [
            [ints.table_name, ints.rows[1]]
        ]
        assert harness.found(harness.token(strs, "1")) == [
            [strs.table_name, strs.rows["1"]]
        ]

    def test_with_a_callable_entity_in_the_same_app(self, dataset: Dataset) -> None:
        people = {7: SimpleNamespace(name="grace")}
        extra = Table(
            model=CallableEntity("contract_extra", people.get, id_type=int),
            table_name="contract_extra",
            key_name="id",
            key_type=int,
            rows={7: "grace"},
            missing_id=8,
        )
        harness = Harness(dataset, extra)

        assert harness.found(harness.token(extra, 7)) == [["contract_extra", "grace"]]

        for table in dataset.tables:
            entity_id, name = first(table.rows)

            assert harness.found(harness.token(table, entity_id)) == [
                [table.table_name, name]
            ]


class DatabaseContract(BackendContract):
    """What a backend over SQLite and PostgreSQL must do on top."""

    def test_value_the_database_refuses_is_401(
        self, harness: Harness, dataset: Dataset, database: Database
    ) -> None:
        table = dataset.refusing
        assert table is not None and dataset.lookup is not None

        if database.kind == "postgresql":
            # PostgreSQL itself refuses the value that SQLite forgives...
            with pytest.raises(Exception, match="(?i)uuid"):
                dataset.lookup(table, "not-a-uuid")

        # ...and the backend turns that into "no such entity", not a 500.
        for value in ["not-a-uuid", "1 OR 1=1", "x" * 200]:
            assert_refused(
                harness.me(forged(table.table_name, **{table.key_name: value}))
            )

        entity_id, name = first(table.rows)

        assert harness.found(harness.token(table, entity_id)) == [
            [table.table_name, name]
        ]
        assert harness.found(harness.token(dataset.ints, 1)) == [
            [dataset.ints.table_name, dataset.ints.rows[1]]
        ]

    def test_database_down_is_503_then_recovers(
        self, builder: Builder, dedicated_postgres: t.Any
    ) -> None:
        from .databases import create_postgres_database

        database = create_postgres_database(dedicated_postgres.url, "down")
        dataset = builder(database)

        try:
            harness = Harness(dataset)
            token = harness.token(dataset.ints, 1)

            assert harness.found(token) == [[dataset.ints.table_name, "ada"]]

            dedicated_postgres.stop()
            response = harness.me(token)

            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.json["error"] == "entity_store_unavailable"
            assert response.headers["Retry-After"]

            dedicated_postgres.start()

            assert harness.found(token) == [[dataset.ints.table_name, "ada"]]
        finally:
            dataset.close()
