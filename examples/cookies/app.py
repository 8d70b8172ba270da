"""A small app that serves browsers with cookies and API clients with headers.

Run it with ``python examples/cookies/app.py`` and open http://127.0.0.1:5000/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import typing as t

from flask import Flask, g, jsonify, redirect, render_template_string, request
from sqlalchemy import ForeignKey, String, create_engine, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from werkzeug.security import check_password_hash, generate_password_hash

from flask_jwt_router import (
    JwtRoutes,
    csrf_token,
    set_access_cookies,
    unset_jwt_cookies,
)

DEMO_EMAIL = "ada@example.com"
DEMO_PASSWORD = "correct horse battery staple"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(String(500))


def create_app(database_url: str, **config: t.Any) -> Flask:
    """Build the app on ``database_url``; ``config`` overrides the defaults."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        # Browsers send the token in a cookie, API clients in the header; the
        # query string is switched off.
        JWT_ROUTER_TOKEN_LOCATION=["header", "cookie"],
        JWT_ROUTER_CSRF_FORM_FIELD="csrf_token",
        WHITE_LIST_ROUTES=[("POST", "/login")],
        IGNORED_ROUTES=[("GET", "/")],
    )
    app.config.update(config)

    engine = create_engine(database_url)
    session = scoped_session(sessionmaker(engine))
    Base.metadata.create_all(engine)
    app.teardown_appcontext(lambda exc: session.remove())
    app.extensions["demo_session"] = session

    jwt_routes = JwtRoutes(app, entity_models=[User], session=session)

    @app.get("/")
    def home() -> str:
        return render_template_string(HOME_PAGE)

    @app.post("/login")
    def login() -> t.Any:
        data = request.get_json(silent=True) or request.form
        email = str(data.get("email", ""))
        password = str(data.get("password", ""))
        user = session.scalar(select(User).where(User.email == email))

        if user is None or not check_password_hash(user.password_hash, password):
            return jsonify(error="bad_credentials"), 401

        token = jwt_routes.create_token(entity_id=user.id, table_name="users")
        response = jsonify(name=user.name)
        return set_access_cookies(response, token)

    @app.post("/logout")
    def logout() -> t.Any:
        return unset_jwt_cookies(jsonify(logged_out=True))

    @app.get("/api/me")
    def me() -> t.Any:
        return jsonify(id=g.users.id, name=g.users.name, email=g.users.email)

    @app.get("/api/notes")
    def list_notes() -> t.Any:
        return jsonify(notes=[note.text for note in _notes(session, g.users)])

    @app.post("/api/notes")
    def add_note() -> t.Any:
        text = str((request.get_json(silent=True) or {}).get("text", "")).strip()

        if not text:
            return jsonify(error="empty_note"), 400

        session.add(Note(user_id=g.users.id, text=text[:500]))
        session.commit()
        return jsonify(created=text[:500]), 201

    @app.get("/notes")
    def notes_page() -> str:
        return render_template_string(
            NOTES_PAGE,
            user=g.users,
            notes=_notes(session, g.users),
            csrf=csrf_token(),
        )

    @app.post("/notes")
    def add_note_from_form() -> t.Any:
        text = request.form.get("text", "").strip()

        if text:
            session.add(Note(user_id=g.users.id, text=text[:500]))
            session.commit()

        return redirect("/notes", code=303)

    return app


def _notes(session: t.Any, user: User) -> list[Note]:
    query = select(Note).where(Note.user_id == user.id).order_by(Note.id)
    return list(session.scalars(query))


def seed(app: Flask) -> None:
    """Create the demo user once."""
    session = app.extensions["demo_session"]

    with app.app_context():
        if session.scalar(select(User).where(User.email == DEMO_EMAIL)) is None:
            session.add(
                User(
                    email=DEMO_EMAIL,
                    name="Ada",
                    password_hash=generate_password_hash(DEMO_PASSWORD),
                )
            )
            session.commit()


HOME_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Cookie login</title></head>
<body>
<h1>Cookie login</h1>
<form id="login-form">
  <label>Email <input id="email" name="email" type="email" required></label>
  <label>Password <input id="password" name="password" type="password" required></label>
  <button type="submit">Log in</button>
</form>
<section id="account" hidden>
  <p>Signed in as <strong id="who"></strong>.
     <a href="/notes">Your notes page</a></p>
  <form id="note-form">
    <input id="note" name="text" placeholder="A note" required>
    <button type="submit">Add</button>
  </form>
  <ul id="notes"></ul>
  <button id="logout">Log out</button>
</section>
<p id="status" role="status"></p>
<script>
// The token lives in an HttpOnly cookie that this script cannot read; the
// readable CSRF cookie holds the value state-changing requests echo.
function csrf() {
  const row = document.cookie.split("; ").find(r => r.startsWith("jwt_router_csrf="));
  return row ? decodeURIComponent(row.split("=")[1]) : "";
}

async function send(method, url, body) {
  const headers = {"X-CSRF-Token": csrf()};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {status: response.status, data: await response.json()};
}

async function refresh() {
  const me = await send("GET", "/api/me");
  const account = document.getElementById("account");
  document.getElementById("login-form").hidden = me.status === 200;
  account.hidden = me.status !== 200;
  if (me.status !== 200) return;
  document.getElementById("who").textContent = me.data.name;
  const notes = await send("GET", "/api/notes");
  const list = document.getElementById("notes");
  list.replaceChildren(...notes.data.notes.map(text => {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }));
}

document.getElementById("login-form").addEventListener("submit", async event => {
  event.preventDefault();
  const result = await send("POST", "/login", {
    email: document.getElementById("email").value,
    password: document.getElementById("password").value,
  });
  document.getElementById("status").textContent =
    result.status === 200 ? "Logged in." : "Wrong email or password.";
  await refresh();
});

document.getElementById("note-form").addEventListener("submit", async event => {
  event.preventDefault();
  const input = document.getElementById("note");
  const result = await send("POST", "/api/notes", {text: input.value});
  document.getElementById("status").textContent =
    result.status === 201 ? "Note added." : "Refused: " + result.data.error;
  input.value = "";
  await refresh();
});

document.getElementById("logout").addEventListener("click", async () => {
  await send("POST", "/logout");
  document.getElementById("status").textContent = "Logged out.";
  await refresh();
});

refresh();
</script>
</body>
</html>
"""

NOTES_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Notes</title></head>
<body>
<h1>Notes of {{ user.name }}</h1>
<ul id="notes">{% for note in notes %}<li>{{ note.text }}</li>{% endfor %}</ul>
<form id="note-form" method="post" action="/notes">
  <input type="hidden" name="csrf_token" value="{{ csrf }}">
  <input name="text" placeholder="A note" required>
  <button type="submit">Add</button>
</form>
<p><a href="/">Back</a></p>
</body>
</html>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--database", default="sqlite:///cookies-demo.sqlite")
    args = parser.parse_args()

    # Plain http on 127.0.0.1: browsers accept Secure cookies from loopback
    # addresses, so the cookies keep the Secure flag they need in production.
    app = create_app(args.database)
    seed(app)
    print(f"Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
