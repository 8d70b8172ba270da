"""The cookie login and CSRF defence in a real headless Chromium.

Two apps are served on 127.0.0.1 by a threaded Werkzeug server: the school
demo's ``/browser`` page and ``examples/cookies``.

Chromium is driven through the DevTools protocol over a websocket. The test
skips when ``/usr/bin/chromium`` is missing, except under ``CI=true`` where it
fails: ``.ci/run`` installs Debian's ``chromium`` package.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
import typing as t
import urllib.request

import pytest
import websocket
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
#: Upper bound for any one wait on the browser; the test never asserts on time.
PATIENCE = 30.0

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{CHROMIUM} is missing; .ci/run must install it with"
            " 'apt-get install -y chromium'.",
            pytrace=False,
        )

    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


class Browser:
    """One headless Chromium with one page, spoken to over DevTools."""

    def __init__(self, profile: pathlib.Path) -> None:
        self._log = open(profile.parent / "chromium.log", "wb")
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self._next_id = 0

        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            self._socket = websocket.create_connection(
                self._page_socket_url(port), timeout=PATIENCE, suppress_origin=True
            )
            self.call("Page.enable")
            self.call("Network.enable")
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, port_file: pathlib.Path) -> int:
        deadline = time.monotonic() + PATIENCE

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Chromium exited with {self.process.returncode}")

            if port_file.exists():
                lines = port_file.read_text().splitlines()

                if lines and lines[0].isdigit():
                    return int(lines[0])

            time.sleep(0.05)

        raise RuntimeError("Chromium did not open its DevTools port")

    def _page_socket_url(self, port: int) -> str:
        deadline = time.monotonic() + PATIENCE

        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                targets = json.load(r)

            for target in targets:
                if target.get("type") == "page":
                    return str(target["webSocketDebuggerUrl"])

            time.sleep(0.05)

        raise RuntimeError("Chromium opened no page")

    def call(self, method: str, **params: t.Any) -> dict[str, t.Any]:
        """Send one DevTools command and return its result."""
        self._next_id += 1
        message_id = self._next_id
        self._socket.send(
            json.dumps({"id": message_id, "method": method, "params": params})
        )

        while True:
            message = json.loads(self._socket.recv())

            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")

                return t.cast(dict[str, t.Any], message.get("result", {}))

    def evaluate(self, expression: str) -> t.Any:
        """Run JavaScript in the page, awaiting a promise, and return its value."""
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )

        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")

        return result["result"].get("value")

    def wait_for(self, expression: str) -> t.Any:
        """Poll ``expression`` until it is truthy, for at most ``PATIENCE``."""
        deadline = time.monotonic() + PATIENCE

        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is between two documents
                value = None

            if value:
                return value

            time.sleep(0.05)

        raise AssertionError(f"never true in the page: {expression}")

    def goto(self, url: str, lands_on: str | None = None) -> None:
        """Open ``url`` and wait until the document at ``lands_on`` has loaded.

        :param lands_on: where the page ends up when it moves on by itself;
            ``url`` by default.
        """
        self.call("Page.navigate", url=url)
        self.wait_for(
            f"location.href === {json.dumps(lands_on or url)}"
            " && document.readyState === 'complete'"
        )

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def cookies(self, url: str) -> dict[str, dict[str, t.Any]]:
        found = self.call("Network.getCookies", urls=[url])["cookies"]
        return {cookie["name"]: cookie for cookie in found}

    def close(self) -> None:
        socket = getattr(self, "_socket", None)

        if socket is not None:
            socket.close()

        self.process.terminate()

        try:
            self.process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=PATIENCE)

        # Chromium's helper processes live in the session this test started.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

        self._log.close()


class Server:
    """A threaded Werkzeug server for ``app`` on 127.0.0.1, on a free port."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=PATIENCE)
        self._server.server_close()


def _attacker(target: str) -> Flask:
    """A page on another origin that posts a form to ``target`` by itself."""
    app = Flask("attacker")
    page = f"""<!doctype html><html><body>
<form id="f" method="post" action="{target}">
<input name="text" value="planted by another site"></form>
<script>document.getElementById("f").submit();</script>
</body></html>"""

    @app.get("/")
    def attack() -> str:
        return page

    return app


@pytest.fixture()
def browser(tmp_path: pathlib.Path) -> t.Iterator[Browser]:
    profile = tmp_path / "profile"
    profile.mkdir()
    opened = Browser(profile)

    try:
        yield opened
    finally:
        opened.close()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def served(make_example: t.Callable[..., Flask]) -> t.Iterator[tuple[Flask, str]]:
    app = make_example()
    server = Server(app)

    try:
        yield app, f"http://127.0.0.1:{server.port}"
    finally:
        server.close()


def test_cookie_login_and_csrf_in_chromium(
    browser: Browser, served: tuple[Flask, str], example: t.Any
) -> None:
    app, origin = served

    # Log in through the page's form; the page posts JSON with fetch().
    browser.goto(origin + "/")
    browser.evaluate(
        f"""document.getElementById("email").value = {json.dumps(example.DEMO_EMAIL)};
        document.getElementById("password").value = {json.dumps(example.DEMO_PASSWORD)};
        document.querySelector("#login-form button").click();"""
    )
    assert browser.wait_for("document.getElementById('who').textContent") == "Ada"

    jar = browser.cookies(origin + "/")
    assert jar["jwt_router_access"]["httpOnly"] is True
    assert jar["jwt_router_access"]["secure"] is True
    assert jar["jwt_router_access"]["sameSite"] == "Lax"
    assert jar["jwt_router_csrf"]["httpOnly"] is False
    readable = browser.evaluate("document.cookie")
    assert "jwt_router_csrf=" in readable
    assert "jwt_router_access" not in readable

    # The page adds a note with fetch(), echoing the CSRF cookie in a header.
    browser.evaluate(
        """document.getElementById("note").value = "from the page";
        document.querySelector("#note-form button").click();"""
    )
    browser.wait_for(
        "document.getElementById('notes').innerText.includes('from the page')"
    )

    # A protected, server-rendered page; its form carries the CSRF value.
    browser.goto(origin + "/notes")
    assert "Notes of Ada" in browser.text()
    browser.evaluate(
        """document.querySelector("#note-form [name=text]").value = "from the form";
        document.getElementById("note-form").submit();"""
    )
    browser.wait_for("document.body.innerText.includes('from the form')")

    with app.test_client() as client:
        token = jar["jwt_router_access"]["value"]
        listed = client.get("/api/notes", headers={"Authorization": f"Bearer {token}"})
        assert listed.json == {"notes": ["from the page", "from the form"]}

        # A form posted from another site: SameSite=Lax keeps the cookie home.
        attacker = Server(_attacker(origin + "/notes"))

        try:
            browser.goto(f"http://localhost:{attacker.port}/", origin + "/notes")
            assert json.loads(browser.text())["error"] == "token_missing"

            # A form posted from another origin of the same site (here another
            # port of 127.0.0.1; in production a sibling subdomain) does carry
            # the cookie: the CSRF check refuses it.
            browser.goto(f"http://127.0.0.1:{attacker.port}/", origin + "/notes")
            assert json.loads(browser.text())["error"] == "csrf_failed"
        finally:
            attacker.close()

        listed = client.get("/api/notes", headers={"Authorization": f"Bearer {token}"})
        assert listed.json == {"notes": ["from the page", "from the form"]}

    # Log out from the page: the cookies are gone and the page is closed again.
    browser.goto(origin + "/")
    browser.wait_for("document.getElementById('who').textContent === 'Ada'")
    browser.evaluate('document.getElementById("logout").click()')
    browser.wait_for("!document.getElementById('login-form').hidden")
    jar = browser.cookies(origin + "/")
    assert "jwt_router_access" not in jar
    assert "jwt_router_csrf" not in jar

    browser.goto(origin + "/notes")
    assert json.loads(browser.text())["error"] == "token_missing"


@pytest.fixture()
def served_school(school_app: Flask) -> t.Iterator[tuple[Flask, str]]:
    server = Server(school_app)

    try:
        yield school_app, f"http://127.0.0.1:{server.port}"
    finally:
        server.close()


def test_school_demo_browser_page_in_chromium(
    browser: Browser, served_school: tuple[Flask, str]
) -> None:
    app, origin = served_school
    enroll_url = origin + "/api/v1/me/courses"

    browser.goto(origin + "/browser")
    browser.evaluate(
        """document.getElementById("role").value = "student";
        document.getElementById("email").value = "ada@school.test";
        document.getElementById("password").value = "analytical-engine";
        document.querySelector("#login-form button").click();"""
    )
    assert browser.wait_for("document.getElementById('who').textContent") == (
        "Ada Lovelace"
    )

    # Enrolling from the page sends the CSRF value in the header.
    browser.wait_for("!!document.querySelector('button[data-course=CS220]')")
    browser.evaluate("document.querySelector('button[data-course=CS220]').click()")
    browser.wait_for("document.getElementById('grades').innerText.includes('CS220')")

    def enrolled() -> list[str]:
        with app.app_context():
            token = app.extensions["flask_jwt_router"].ext.create_token(
                entity_id=1, table_name="students"
            )

        grades = app.test_client().get(
            "/api/v1/me/grades", headers={"Authorization": f"Bearer {token}"}
        )
        return [grade["course"] for grade in grades.json["grades"]]

    assert enrolled() == ["CS101", "CS220", "CS310"]

    # Forms posted from another site, then from another origin of the same
    # site: refused without and with the cookie.
    attacker = Server(_attacker(enroll_url))

    try:
        browser.goto(f"http://localhost:{attacker.port}/", enroll_url)
        assert json.loads(browser.text())["error"] == "token_missing"
        browser.goto(f"http://127.0.0.1:{attacker.port}/", enroll_url)
        assert json.loads(browser.text())["error"] == "csrf_failed"
    finally:
        attacker.close()

    assert enrolled() == ["CS101", "CS220", "CS310"]

    browser.goto(origin + "/browser")
    browser.wait_for("document.getElementById('who').textContent === 'Ada Lovelace'")
    browser.evaluate('document.getElementById("logout").click()')
    browser.wait_for("!document.getElementById('login-form').hidden")
    assert "jwt_router_access" not in browser.cookies(origin + "/")

    browser.goto(origin + "/api/v1/me")
    assert json.loads(browser.text())["error"] == "token_missing"
