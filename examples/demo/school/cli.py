"""``flask seed``: create the tables and fill them with a few rows."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .extensions import db
from .models import Course, Enrollment, Student, Teacher

#: Accounts the seed creates, with the passwords to log in with.
SEED_TEACHERS = [
    ("Grace Hopper", "grace@school.test", "compilers-1952"),
    ("Edsger Dijkstra", "edsger@school.test", "shortest-path"),
]
SEED_STUDENTS = [
    ("Ada Lovelace", "ada@school.test", "analytical-engine"),
]
SEED_COURSES = [
    # code, title, index of the teacher in SEED_TEACHERS
    ("CS101", "Programming from first principles", 0),
    ("CS220", "Compilers", 0),
    ("CS310", "Algorithms and proofs", 1),
]


@click.command("seed")
@with_appcontext
def seed() -> None:
    """Drop and re-create the demo tables, then add sample rows."""
    db.drop_all()
    db.create_all()

    teachers = [_account(Teacher, *row) for row in SEED_TEACHERS]
    courses = [
        Course(code=code, title=title, teacher=teachers[index])
        for code, title, index in SEED_COURSES
    ]
    students = [_account(Student, *row) for row in SEED_STUDENTS]
    db.session.add_all([*teachers, *courses, *students])
    db.session.add_all(
        [
            Enrollment(student=students[0], course=courses[0], grade="A"),
            Enrollment(student=students[0], course=courses[2]),
        ]
    )
    db.session.commit()

    click.echo(f"Seeded {db.engine.url.database}")
    click.echo(f"  {len(courses)} courses, {len(teachers)} teachers, 1 student")

    for role, rows in (("teacher", SEED_TEACHERS), ("student", SEED_STUDENTS)):
        for _, email, password in rows:
            click.echo(f"  {role:8} {email:20} password: {password}")


def _account(
    model: type[Student] | type[Teacher], name: str, email: str, password: str
) -> Student | Teacher:
    account = model(name=name, email=email)
    account.set_password(password)
    return account
