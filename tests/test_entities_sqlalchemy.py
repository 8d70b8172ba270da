"""Entities on SQLAlchemy: Flask-SQLAlchemy 3.x and plain SQLAlchemy 2.x with
every way an app hands over its session."""

from __future__ import annotations

import dataclasses
import time
import typing as t

import pytest
from flask import Flask, g

from flask_jwt_router import JwtRoutes
from flask_jwt_router.extension import CLAIMS_ATTR

VARIANTS = ["flask-sqlalchemy", "session", "scoped-session", "sessionmaker", "query"]


@dataclasses.dataclass
class Setup:
    """One app with two entity tables, whichever way it reaches SQLAlchemy."""

    app: Flask
    jwt_routes: JwtRoutes
    #: The first entity table (``users`` or ``students``) and its key column.
    people: str
    people_key: str
    delete: t.Callable[[str, int], None]

    def token(self, table: str, entity_id: object) -> str:
        with self.app.app_context():
            return self.jwt_routes.create_token(entity_id=entity_id, table_name=table)


def add_views(app: Flask, tables: tuple[str, str]) -> None:
    @app.get("/whoami")
    def whoami() -> dict[str, t.Any]:
        found = {}

        for table in tables:
            entity = g.get(table)

            if entity is not None:
                found[table] = entity.name

        return found

    @app.get("/public")
    def public() -> dict[str, t.Any]:
        return {"ours": sorted(name for name in (*tables, CLAIMS_ATTR) if name in g)}


@pytest.fixture(params=VARIANTS)
def setup(request: t.Any, app: Flask) -> t.Iterator[Setup]:
    app.config["WHITE_LIST_ROUTES"] = [("GET", "/public")]

    if request.param == "flask-sqlalchemy":
        fsa = request.getfixturevalue("fsa")
        models = {"users": fsa.User, "teachers": fsa.Teacher}
        jwt_routes = JwtRoutes(app, entity_models=list(models.values()))

        def delete(table: str, entity_id: int) -> None:
            with app.app_context():
                fsa.db.session.delete(fsa.db.session.get(models[table], entity_id))
                fsa.db.session.commit()

        add_views(app, ("users", "teachers"))
        yield Setup(app, jwt_routes, "users", "id", delete)
        return

    from sqlalchemy.orm import scoped_session

    sa = request.getfixturevalue("sa")
    models = {"students": sa.Student, "teachers": sa.Teacher}
    kwargs: dict[str, t.Any] = {}
    cleanup: list[t.Callable[[], None]] = []

    if request.param == "session":
        # An app-wide session, ended by the app after every request.
        session = sa.Session()
        kwargs["session"] = session
        app.teardown_appcontext(lambda exc: session.close())
        cleanup.append(session.close)
    elif request.param in ("scoped-session", "query"):
        scoped = scoped_session(sa.Session)
        app.teardown_appcontext(lambda exc: scoped.remove())
        cleanup.append(scoped.remove)

        if request.param == "query":
            for model in models.values():
                model.query = scoped.query_property()
        else:
            kwargs["session"] = scoped
    else:
        kwargs["session"] = sa.Session

    jwt_routes = JwtRoutes(app, entity_models=list(models.values()), **kwargs)

    def delete(table: str, entity_id: int) -> None:
        with sa.Session.begin() as session:
            session.delete(session.get(models[table], entity_id))

    add_views(app, ("students", "teachers"))
    yield Setup(app, jwt_routes, "students", "student_id", delete)

    for close in cleanup:
        close()


def whoami(setup: Setup, token: str) -> t.Any:
    return setup.app.test_client().get("/whoami", headers=bearer(token))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_table_loads_its_own_entity(setup: Setup) -> None:
    people = whoami(setup, setup.token(setup.people, 2))
    teacher = whoami(setup, setup.token("teachers", 2))

    assert people.json == {setup.people: "bob"}
    assert teacher.json == {"teachers": "hopper"}


def test_0_2_token_with_key_under_its_column(setup: Setup, tokens) -> None:
    token = tokens.legacy(setup.people, setup.people_key, 3)
    teacher = tokens.legacy("teachers", "teacher_id", 1)

    assert whoami(setup, token).json == {setup.people: "cy"}
    assert whoami(setup, teacher).json == {"teachers": "turing"}


@pytest.mark.parametrize(
    "entity_id",
    [
        "abc",
        [1],
        {"a": 1},
        "1 OR 1=1",
        "1; DROP TABLE users",
        2**80,
        -(2**80),
        True,
        False,
        None,
        1.5,
        "1.0",
        " 1",
        "",
        "\u0000",
        "1\u0000",
        "\u0661",  # ARABIC-INDIC DIGIT ONE: isdigit() but not ASCII
    ],
)
def test_id_of_the_wrong_type_is_401(setup: Setup, tokens, entity_id) -> None:
    token = tokens.sign(
        {
            "table_name": setup.people,
            setup.people_key: entity_id,
            "exp": int(time.time()) + 600,
        }
    )

    response = whoami(setup, token)

    assert response.status_code == 401
    assert response.json["error"] in {"unknown_entity", "token_invalid"}


@pytest.mark.parametrize("entity_id", [0, -1, 99, 2**63 - 1, "42"])
def test_id_of_no_row_is_401(setup: Setup, tokens, entity_id) -> None:
    token = tokens.legacy(setup.people, setup.people_key, entity_id)

    response = whoami(setup, token)
    assert response.status_code == 401
    assert response.json["error"] == "unknown_entity"


def test_deleted_row_is_401(setup: Setup) -> None:
    token = setup.token(setup.people, 1)
    assert whoami(setup, token).status_code == 200

    setup.delete(setup.people, 1)

    response = whoami(setup, token)
    assert response.status_code == 401
    assert response.json["error"] == "unknown_entity"


@pytest.mark.parametrize("table_name", ["admins", "", None, 1, ["users"], {"a": 1}])
def test_unknown_table_is_401(setup: Setup, tokens, table_name) -> None:
    token = tokens.sign(
        {"table_name": table_name, "id": 1, "exp": int(time.time()) + 600}
    )

    response = whoami(setup, token)
    assert response.status_code == 401
    assert response.json["error"] == "unknown_entity"


def test_token_naming_no_id_is_401(setup: Setup, tokens) -> None:
    token = tokens.sign({"table_name": "teachers", "exp": int(time.time()) + 600})

    response = whoami(setup, token)
    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"


def test_g_holds_nothing_from_an_earlier_request(setup: Setup, tokens) -> None:
    client = setup.app.test_client()
    person = setup.token(setup.people, 1)
    teacher = setup.token("teachers", 1)
    expired = tokens.sign(
        {"table_name": "teachers", "teacher_id": 2, "exp": int(time.time()) - 3600}
    )

    # One app context kept pushed across requests, as many test suites do.
    with setup.app.app_context():
        assert client.get("/whoami", headers=bearer(person)).json == {
            setup.people: "ada"
        }
        assert client.get("/whoami", headers=bearer(teacher)).json == {
            "teachers": "turing"
        }
        assert client.get("/public").json == {"ours": []}
        assert client.get("/whoami", headers=bearer(expired)).status_code == 401
        assert setup.people not in g and "teachers" not in g and CLAIMS_ATTR not in g

        assert client.get("/whoami", headers=bearer(person)).status_code == 200
        setup.delete(setup.people, 1)
        assert client.get("/whoami", headers=bearer(person)).status_code == 401
        assert setup.people not in g


def test_g_is_set_only_after_every_check(setup: Setup) -> None:
    seen: list[dict[str, bool]] = []

    @setup.app.before_request
    def spy() -> None:
        seen.append({name: name in g for name in (setup.people, CLAIMS_ATTR)})

    token = setup.token(setup.people, 3)
    setup.delete(setup.people, 3)

    assert whoami(setup, token).status_code == 401
    assert seen == []
    assert whoami(setup, setup.token(setup.people, 2)).status_code == 200
    assert seen == [{setup.people: True, CLAIMS_ATTR: True}]


# -- details of particular ways ----------------------------------------------


def test_sessionmaker_session_is_closed_after_each_request(app, sa, tokens) -> None:
    from sqlalchemy.orm import Session

    opened: list[Session] = []

    class Tracking(Session):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    factory = sa.Session.__class__(bind=sa.engine, class_=Tracking)
    jwt_routes = JwtRoutes(app, entity_models=[sa.Student], session=factory)
    checked_out: list[int] = []

    @app.get("/me")
    def me() -> str:
        checked_out.append(sa.engine.pool.checkedout())
        return str(g.students.name)

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="students")

    client = app.test_client()

    with app.app_context():  # kept open: the session must still end per request
        assert client.get("/me", headers=tokens.bearer(token)).text == "ada"
        assert client.get("/me", headers=tokens.bearer(token)).text == "ada"

        assert len(opened) == 2
        assert checked_out == [1, 1]
        assert sa.engine.pool.checkedout() == 0
        assert all(not session.in_transaction() for session in opened)


def test_entity_key_names_the_id_claim(app, fsa, tokens) -> None:
    app.config["ENTITY_KEY"] = "user_id"
    JwtRoutes(app, entity_models=[fsa.User])

    @app.get("/me")
    def me() -> str:
        return str(g.users.name)

    token = tokens.sign({"table_name": "users", "user_id": 2, "exp": 2**32})
    client = app.test_client()

    assert client.get("/me", headers=tokens.bearer(token)).text == "bob"


def test_entity_key_not_set_ignores_other_claims(app, fsa, tokens) -> None:
    JwtRoutes(app, entity_models=[fsa.User])

    @app.get("/me")
    def me() -> str:
        return str(g.users.name)

    token = tokens.sign({"table_name": "users", "user_id": 2, "exp": 2**32})

    response = app.test_client().get("/me", headers=tokens.bearer(token))
    assert response.status_code == 401
    assert response.json["error"] == "token_invalid"


def test_string_primary_key(app, sa, tokens) -> None:
    jwt_routes = JwtRoutes(app, entity_models=[sa.Tag], session=sa.Session)

    @app.get("/tag")
    def tag() -> str:
        return str(g.tags.label)

    client = app.test_client()

    with app.app_context():
        token = jwt_routes.create_token(entity_id="py", table_name="tags")

    assert client.get("/tag", headers=tokens.bearer(token)).text == "Python"

    for bad in [[1], {"a": 1}, True, "\u0000", "", "nope"]:
        forged = tokens.sign({"table_name": "tags", "code": bad, "exp": 2**32})
        response = client.get("/tag", headers=tokens.bearer(forged))
        assert response.status_code == 401, bad


def test_model_with_query_property_needs_no_session(app, sa, tokens) -> None:
    from sqlalchemy.orm import scoped_session

    scoped = scoped_session(sa.Session)
    sa.Teacher.query = scoped.query_property()
    app.teardown_appcontext(lambda exc: scoped.remove())
    jwt_routes = JwtRoutes(app, entity_models=[sa.Teacher])

    @app.get("/me")
    def me() -> str:
        return str(g.teachers.name)

    with app.app_context():
        token = jwt_routes.create_token(entity_id=2, table_name="teachers")

    assert app.test_client().get("/me", headers=tokens.bearer(token)).text == "hopper"
    scoped.remove()
