"""The school demo in examples/demo, driven end to end through the test client."""

from __future__ import annotations

import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

pytest.importorskip("flask_sqlalchemy")

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "examples" / "demo"

sys.path.insert(0, str(DEMO))

from school import create_app  # noqa: E402
from school.extensions import db  # noqa: E402
from school.models import Student  # noqa: E402

API = "/api/v1"
SECRET = "test-secret-" + "x" * 40


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'school.sqlite'}",
        }
    )
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, role: str, email: str, password: str) -> str:
    response = client.post(
        f"{API}/login", json={"role": role, "email": email, "password": password}
    )
    assert response.status_code == 200, response.json
    return t.cast(str, response.json["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_walkthrough_401_register_login_refresh(client: FlaskClient) -> None:
    refused = client.get(f"{API}/me")
    assert refused.status_code == 401
    assert refused.json["error"] == "token_missing"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")

    registered = client.post(
        f"{API}/students",
        json={"name": "Alan Kay", "email": "Alan@School.test", "password": "st-80-abc"},
    )
    assert registered.status_code == 201
    assert registered.json["email"] == "alan@school.test"
    student_id = registered.json["id"]

    token = login(client, "student", "alan@school.test", "st-80-abc")
    me = client.get(f"{API}/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json == {
        "role": "student",
        "id": student_id,
        "name": "Alan Kay",
        "email": "alan@school.test",
    }

    refreshed = client.post(f"{API}/token/refresh", headers=bearer(token))
    assert refreshed.status_code == 200
    new_token = refreshed.json["token"]
    assert new_token != token

    again = client.get(f"{API}/me", headers=bearer(new_token))
    assert again.status_code == 200
    assert again.json["id"] == student_id

    by_query = client.get(f"{API}/me", query_string={"auth": new_token})
    assert by_query.status_code == 200
    assert by_query.json["id"] == student_id


def test_public_routes_need_no_token(client: FlaskClient) -> None:
    courses = client.get(f"{API}/courses")
    assert courses.status_code == 200
    assert [c["code"] for c in courses.json["courses"]] == ["CS101", "CS220", "CS310"]

    course = client.get(f"{API}/courses/1")
    assert course.status_code == 200
    assert course.json["teacher"] == "Grace Hopper"

    # Whitelisting /courses/<int:course_id> leaves the longer rule protected.
    assert client.get(f"{API}/courses/1/students").status_code == 401
    assert client.get(f"{API}/me/grades").status_code == 401

    index = client.get("/")
    assert index.status_code == 200
    assert "GET /api/v1/courses" in index.json["public"]


def test_teacher_grades_a_student(client: FlaskClient) -> None:
    teacher = login(client, "teacher", "grace@school.test", "compilers-1952")
    student = login(client, "student", "ada@school.test", "analytical-engine")

    me = client.get(f"{API}/me", headers=bearer(teacher))
    assert me.json["role"] == "teacher"
    assert me.json["teacher_id"] == 1

    roster = client.get(f"{API}/courses/1/students", headers=bearer(teacher))
    assert roster.status_code == 200
    assert roster.json["students"] == [{"id": 1, "name": "Ada Lovelace", "grade": "A"}]

    graded = client.put(
        f"{API}/courses/1/students/1/grade",
        headers=bearer(teacher),
        json={"grade": "b"},
    )
    assert graded.status_code == 200
    assert graded.json["grade"] == "B"

    grades = client.get(f"{API}/me/grades", headers=bearer(student))
    assert grades.status_code == 200
    assert grades.json["grades"][0] == {
        "course": "CS101",
        "title": "Programming from first principles",
        "grade": "B",
    }

    # Edsger teaches CS310, not CS101.
    other = login(client, "teacher", "edsger@school.test", "shortest-path")
    assert client.get(f"{API}/courses/1/students", headers=bearer(other)).json == {
        "error": "forbidden",
        "message": "You do not teach this course.",
    }


def test_roles_are_kept_apart(client: FlaskClient) -> None:
    teacher = login(client, "teacher", "grace@school.test", "compilers-1952")
    student = login(client, "student", "ada@school.test", "analytical-engine")

    # Student 1 and teacher 1 share the number but not the table.
    assert client.get(f"{API}/me", headers=bearer(student)).json["role"] == "student"
    assert client.get(f"{API}/me/grades", headers=bearer(teacher)).status_code == 403

    roster = client.get(f"{API}/courses/1/students", headers=bearer(student))
    assert roster.status_code == 403


def test_student_enrolls(client: FlaskClient) -> None:
    student = login(client, "student", "ada@school.test", "analytical-engine")

    enrolled = client.post(
        f"{API}/me/courses", headers=bearer(student), json={"course_id": 2}
    )
    assert enrolled.status_code == 201

    twice = client.post(
        f"{API}/me/courses", headers=bearer(student), json={"course_id": 2}
    )
    assert twice.status_code == 409

    codes = [
        row["course"]
        for row in client.get(f"{API}/me/grades", headers=bearer(student)).json[
            "grades"
        ]
    ]
    assert codes == ["CS101", "CS220", "CS310"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"role": "student", "email": "ada@school.test", "password": "nope"},
            401,
            "invalid_credentials",
        ),
        (
            {"role": "student", "email": "who@school.test", "password": "nope"},
            401,
            "invalid_credentials",
        ),
        (
            {
                "role": "teacher",
                "email": "ada@school.test",
                "password": "analytical-engine",
            },
            401,
            "invalid_credentials",
        ),
        (
            {"role": "admin", "email": "ada@school.test", "password": "x"},
            400,
            "invalid_body",
        ),
        ({"email": "ada@school.test"}, 400, "invalid_body"),
        (["not", "an", "object"], 400, "invalid_body"),
    ],
)
def test_login_refusals(
    client: FlaskClient, body: object, status: int, error: str
) -> None:
    response = client.post(f"{API}/login", json=body)
    assert response.status_code == status
    assert response.json["error"] == error


def test_registration_refusals(client: FlaskClient) -> None:
    taken = client.post(
        f"{API}/teachers",
        json={"name": "G", "email": "grace@school.test", "password": "long-enough"},
    )
    assert taken.status_code == 409

    short = client.post(
        f"{API}/students",
        json={"name": "S", "email": "s@school.test", "password": "short"},
    )
    assert short.status_code == 400

    missing = client.post(f"{API}/students", data="name=S")
    assert missing.status_code == 400


def test_bad_tokens_get_401(app: Flask, client: FlaskClient) -> None:
    token = login(client, "student", "ada@school.test", "analytical-engine")

    forged = client.get(f"{API}/me", headers=bearer(token[:-2] + "xx"))
    assert forged.status_code == 401
    assert forged.json["error"] in {"bad_signature", "token_malformed"}

    refresh = client.post(f"{API}/token/refresh", headers=bearer(token + "x"))
    assert refresh.status_code == 401

    with app.app_context():
        db.session.delete(db.session.get(Student, 1))
        db.session.commit()

    gone = client.get(f"{API}/me", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.json["error"] == "unknown_entity"


def test_flask_errors_are_json(client: FlaskClient) -> None:
    missing = client.get(f"{API}/nothing-here")
    assert missing.status_code == 404
    assert missing.json["error"] == "not_found"

    wrong_method = client.delete(f"{API}/courses")
    assert wrong_method.status_code == 405


def test_flask_cli_seeds_the_database(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite"
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": SECRET,
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "examples/demo/school", "seed"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "grace@school.test" in result.stdout
    assert database.stat().st_size > 0
