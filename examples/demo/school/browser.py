"""A page for browsers: log in with an HttpOnly cookie, enroll, log out.

The page's script never sees the token. It reads only the CSRF cookie and
echoes it in ``X-CSRF-Token`` on state-changing requests; the API itself is
the same one that Bearer clients use (see ``docs/browser-clients.rst``).
"""

from __future__ import annotations

import typing as t

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from flask_jwt_router import set_access_cookies, unset_jwt_cookies

from .api import ACCOUNT_MODELS, problem
from .extensions import db, jwt_routes
from .models import Student, password_matches

#: ``POST`` and ``DELETE /session`` under the API prefix.
bp = Blueprint("browser", __name__)

#: ``GET /browser``, the page itself, an ignored route outside the API.
page_bp = Blueprint("browser_page", __name__)


@page_bp.get("/browser")
def page() -> str:
    """Ignored: the HTML page; everything it shows comes from the API."""
    return PAGE


@bp.post("/session")
def log_in() -> t.Any:
    """Public: check the password and put the token in cookies."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    model = ACCOUNT_MODELS.get(str(body.get("role")))
    email = str(body.get("email", "")).strip().lower()
    password = str(body.get("password", ""))

    if model is None or not email or not password:
        return problem(
            400,
            "invalid_body",
            "Send JSON with 'role' ('student' or 'teacher'), 'email' and 'password'.",
        )

    account = db.session.scalar(select(model).filter_by(email=email))

    if account is None or not password_matches(account, password):
        return problem(401, "invalid_credentials", "Wrong email or password.")

    entity_id = account.id if isinstance(account, Student) else account.teacher_id
    token = jwt_routes.create_token(entity_id=entity_id, table_name=model.__tablename__)
    return set_access_cookies(jsonify(account.to_dict()), token)


@bp.delete("/session")
def log_out() -> t.Any:
    """Protected, so a cookie must come with its CSRF value: clear the cookies."""
    return unset_jwt_cookies(jsonify(logged_out=True))


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>School: browser login</title></head>
<body>
<h1>School</h1>
<form id="login-form">
  <select id="role"><option>student</option><option>teacher</option></select>
  <input id="email" type="email" placeholder="Email" required>
  <input id="password" type="password" placeholder="Password" required>
  <button type="submit">Log in</button>
</form>
<section id="account" hidden>
  <p>Signed in as <strong id="who"></strong> (<span id="role-name"></span>).
     <button id="logout">Log out</button></p>
  <h2>Courses</h2>
  <ul id="courses"></ul>
  <h2 id="grades-title">Your grades</h2>
  <ul id="grades"></ul>
</section>
<p id="status" role="status"></p>
<script>
const API = "/api/v1";

// The token is in an HttpOnly cookie this script cannot read; the CSRF
// cookie holds the value that state-changing requests must echo.
function csrf() {
  const row = document.cookie.split("; ")
    .find(r => r.startsWith("jwt_router_csrf="));
  return row ? decodeURIComponent(row.split("=")[1]) : "";
}

async function call(method, path, body) {
  const headers = {"X-CSRF-Token": csrf()};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {status: response.status, data: await response.json()};
}

function say(text) { document.getElementById("status").textContent = text; }

function item(text, button) {
  const li = document.createElement("li");
  li.textContent = text;
  if (button) li.append(" ", button);
  return li;
}

async function show() {
  const me = await call("GET", "/me");
  const signedIn = me.status === 200;
  document.getElementById("login-form").hidden = signedIn;
  document.getElementById("account").hidden = !signedIn;
  if (!signedIn) return;

  const student = me.data.role === "student";
  document.getElementById("who").textContent = me.data.name;
  document.getElementById("role-name").textContent = me.data.role;
  document.getElementById("grades-title").hidden = !student;

  const courses = (await call("GET", "/courses")).data.courses;
  document.getElementById("courses").replaceChildren(...courses.map(course => {
    if (!student) return item(`${course.code} ${course.title}`);
    const enroll = document.createElement("button");
    enroll.textContent = "Enroll";
    enroll.dataset.course = course.code;
    enroll.onclick = async () => {
      const result = await call("POST", "/me/courses", {course_id: course.id});
      say(result.status === 201 ? `Enrolled in ${course.code}.`
                                : `Refused: ${result.data.error}`);
      await show();
    };
    return item(`${course.code} ${course.title}`, enroll);
  }));

  const grades = student ? (await call("GET", "/me/grades")).data.grades : [];
  document.getElementById("grades").replaceChildren(...grades.map(
    g => item(`${g.course} ${g.title}: ${g.grade || "no grade yet"}`)));
}

document.getElementById("login-form").addEventListener("submit", async event => {
  event.preventDefault();
  const result = await call("POST", "/session", {
    role: document.getElementById("role").value,
    email: document.getElementById("email").value,
    password: document.getElementById("password").value,
  });
  say(result.status === 200 ? "Logged in." : result.data.message);
  await show();
});

document.getElementById("logout").addEventListener("click", async () => {
  await call("DELETE", "/session");
  say("Logged out.");
  await show();
});

show();
</script>
</body>
</html>
"""
