"""The JSON API under ``/api/v1``.

Every route here needs a token except the ones listed in ``WHITE_LIST_ROUTES``
(see ``create_app``): registration, login and the course catalogue.
"""

from __future__ import annotations

import functools
import typing as t

from flask import Blueprint, current_app, g, request
from sqlalchemy import select

from .extensions import db, jwt_routes
from .models import Course, Enrollment, Student, Teacher, password_matches

bp = Blueprint("api", __name__)

GRADES = ("A", "B", "C", "D", "E", "F")
ACCOUNT_MODELS: dict[str, type[Student] | type[Teacher]] = {
    "student": Student,
    "teacher": Teacher,
}

View = t.Callable[..., t.Any]


def problem(status: int, error: str, message: str) -> tuple[dict[str, str], int]:
    """A JSON error body in the same shape as flask-jwt-router's refusals."""
    return {"error": error, "message": message}, status


def current_account() -> Student | Teacher:
    """The student or teacher the request's token names.

    flask-jwt-router puts the loaded row on ``g`` under its table name.
    """
    return g.get("students") or g.teachers


def _entity_id(account: Student | Teacher) -> int:
    # The two tables name their primary key differently.
    return account.id if isinstance(account, Student) else account.teacher_id


def only(table_name: str) -> t.Callable[[View], View]:
    """Let through only tokens that name a row of ``table_name``; 403 otherwise.

    The guard has already refused requests without a valid token (401); this
    decides between the two kinds of valid token.
    """
    role = table_name.removesuffix("s")

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if g.get(table_name) is None:
                return problem(403, "forbidden", f"Only {role}s can use this resource.")

            return view(*args, **kwargs)

        return wrapper

    return decorator


def _json_fields(*names: str) -> dict[str, str] | None:
    """The named string fields of the JSON body, or ``None`` if one is missing."""
    body = request.get_json(silent=True)

    if not isinstance(body, dict):
        return None

    values = {name: body.get(name) for name in names}

    if not all(isinstance(value, str) and value.strip() for value in values.values()):
        return None

    return {name: t.cast(str, value).strip() for name, value in values.items()}


# -- accounts --------------------------------------------------------------


def _register(model: type[Student] | type[Teacher]) -> t.Any:
    fields = _json_fields("name", "email", "password")

    if fields is None:
        return problem(
            400,
            "invalid_body",
            "Send JSON with the strings 'name', 'email' and 'password'.",
        )

    email = fields["email"].lower()

    if "@" not in email or len(fields["password"]) < 8:
        return problem(
            400,
            "invalid_body",
            "Give a valid email and a password of at least 8 characters.",
        )

    if db.session.scalar(select(model).filter_by(email=email)) is not None:
        return problem(409, "email_taken", f"{email} is already registered.")

    account = model(name=fields["name"], email=email)
    account.set_password(fields["password"])
    db.session.add(account)
    db.session.commit()
    return account.to_dict(), 201


@bp.post("/students")
def register_student() -> t.Any:
    """Public: create a student account."""
    return _register(Student)


@bp.post("/teachers")
def register_teacher() -> t.Any:
    """Public: create a teacher account.

    A real school would not let anyone become a teacher; the demo keeps it
    open so that both entity tables can be tried from the command line.
    """
    return _register(Teacher)


@bp.post("/login")
def login() -> t.Any:
    """Public: trade an email and password for a token."""
    fields = _json_fields("role", "email", "password")
    model = ACCOUNT_MODELS.get(fields["role"]) if fields else None

    if fields is None or model is None:
        return problem(
            400,
            "invalid_body",
            "Send JSON with 'role' ('student' or 'teacher'), 'email' and 'password'.",
        )

    email = fields["email"].lower()
    account = db.session.scalar(select(model).filter_by(email=email))

    if not password_matches(account, fields["password"]):
        return problem(401, "invalid_credentials", "Wrong email or password.")

    token = jwt_routes.create_token(
        entity_id=_entity_id(account), table_name=model.__tablename__
    )
    return {"token": token, "expires_in_days": current_app.config["JWT_EXPIRE_DAYS"]}


@bp.post("/token/refresh")
def refresh_token() -> t.Any:
    """Protected: a fresh token for whoever sent a valid one."""
    token = jwt_routes.update_token(entity_id=_entity_id(current_account()))
    return {"token": token}


@bp.get("/me")
def me() -> t.Any:
    """Protected: the profile of the token's student or teacher."""
    return current_account().to_dict()


# -- courses ---------------------------------------------------------------


@bp.get("/courses")
def list_courses() -> t.Any:
    """Public: the course catalogue."""
    courses = db.session.scalars(select(Course).order_by(Course.code))
    return {"courses": [course.to_dict() for course in courses]}


@bp.get("/courses/<int:course_id>")
def show_course(course_id: int) -> t.Any:
    """Public: one course."""
    course = db.get_or_404(Course, course_id)
    return course.to_dict()


@bp.get("/me/grades")
@only("students")
def my_grades() -> t.Any:
    """Protected, students only: the courses taken and their grades."""
    student: Student = g.students
    return {
        "grades": [
            {"course": e.course.code, "title": e.course.title, "grade": e.grade}
            for e in sorted(student.enrollments, key=lambda e: e.course.code)
        ]
    }


@bp.post("/me/courses")
@only("students")
def enroll() -> t.Any:
    """Protected, students only: enroll in a course, ``{"course_id": 1}``."""
    body = request.get_json(silent=True)
    course_id = body.get("course_id") if isinstance(body, dict) else None

    if not isinstance(course_id, int) or isinstance(course_id, bool):
        return problem(400, "invalid_body", "Send JSON with an integer 'course_id'.")

    course = db.get_or_404(Course, course_id)

    if db.session.get(Enrollment, (g.students.id, course.id)) is not None:
        return problem(409, "already_enrolled", f"Already enrolled in {course.code}.")

    db.session.add(Enrollment(student=g.students, course=course))
    db.session.commit()
    return {"enrolled": course.code}, 201


@bp.get("/courses/<int:course_id>/students")
@only("teachers")
def roster(course_id: int) -> t.Any:
    """Protected, the course's teacher only: who takes it, with grades."""
    course = db.get_or_404(Course, course_id)

    if course.teacher_id != g.teachers.teacher_id:
        return problem(403, "forbidden", "You do not teach this course.")

    return {
        "course": course.code,
        "students": [
            {"id": e.student.id, "name": e.student.name, "grade": e.grade}
            for e in sorted(course.enrollments, key=lambda e: e.student.name)
        ],
    }


@bp.put("/courses/<int:course_id>/students/<int:student_id>/grade")
@only("teachers")
def set_grade(course_id: int, student_id: int) -> t.Any:
    """Protected, the course's teacher only: ``{"grade": "A"}``."""
    course = db.get_or_404(Course, course_id)

    if course.teacher_id != g.teachers.teacher_id:
        return problem(403, "forbidden", "You do not teach this course.")

    enrollment = db.get_or_404(Enrollment, (student_id, course_id))
    fields = _json_fields("grade")
    grade = fields["grade"].upper() if fields else None

    if grade not in GRADES:
        return problem(400, "invalid_body", f"'grade' must be one of {GRADES}.")

    enrollment.grade = grade
    db.session.commit()
    return {"course": course.code, "student_id": student_id, "grade": grade}
