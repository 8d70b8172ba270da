"""Students and teachers (the two entity tables), courses and enrollments."""

from __future__ import annotations

import functools

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


class _Account:
    """Password handling shared by both kinds of account."""

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def password_matches(account: _Account | None, password: str) -> bool:
    """Check ``password`` for ``account``, in the same time when there is none."""
    if account is None:
        # Hash anyway, so that a wrong email and a wrong password take the
        # same time and the answer does not tell which emails exist.
        check_password_hash(_unused_hash(), password)
        return False

    return account.check_password(password)


@functools.cache
def _unused_hash() -> str:
    return generate_password_hash("a password no account has")


class Student(_Account, db.Model):
    """A student; tokens name one as ``{"table_name": "students", "id": ...}``."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))

    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="student", cascade="all, delete-orphan"
    )

    def to_dict(self) -> dict[str, object]:
        return {
            "role": "student",
            "id": self.id,
            "name": self.name,
            "email": self.email,
        }


class Teacher(_Account, db.Model):
    """A teacher, whose primary key column is ``teacher_id``."""

    __tablename__ = "teachers"

    teacher_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))

    courses: Mapped[list[Course]] = relationship(back_populates="teacher")

    def to_dict(self) -> dict[str, object]:
        return {
            "role": "teacher",
            "teacher_id": self.teacher_id,
            "name": self.name,
            "email": self.email,
        }


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teachers.teacher_id"))

    teacher: Mapped[Teacher] = relationship(back_populates="courses")
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="course")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "code": self.code,
            "title": self.title,
            "teacher": self.teacher.name,
        }


class Enrollment(db.Model):
    """A student taking a course, with the grade once the teacher gave one."""

    __tablename__ = "enrollments"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    grade: Mapped[str | None] = mapped_column(String(2))

    student: Mapped[Student] = relationship(back_populates="enrollments")
    course: Mapped[Course] = relationship(back_populates="enrollments")
