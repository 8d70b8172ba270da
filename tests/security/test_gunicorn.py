"""Many threads against gunicorn with 4 worker processes on 127.0.0.1, mixing
valid, expired and forged tokens: every valid request sees its own entity,
every other one is refused, nothing is a 5xx, and no worker dies."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import OTHER_SECRET, SECRET, b64, claims, hs_token
from .gunicorn_app import DB_ENV, SECRET_ENV, Base, Member, create_app

pytest.importorskip("gunicorn")

WORKERS = 4
THREADS = 16
REQUESTS = 1200
MEMBERS = 40
#: Bounds on the whole test: start-up, the load, and each request.
START_BOUND = 60.0
LOAD_BOUND = 120.0
REQUEST_TIMEOUT = 15.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_pids(master: int) -> set[int]:
    """The pids whose parent is ``master``, read from /proc."""
    pids = set()

    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue

        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue

        fields = stat.rsplit(")", 1)[-1].split()

        if int(fields[1]) == master and fields[0] != "Z":
            pids.add(int(entry.name))

    return pids


def get(url: str, token: str | None) -> tuple[int, dict[str, t.Any] | None]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=headers)

    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if body.startswith(b"{") else None


class Gunicorn:
    def __init__(self, tmp_path: Path, db_path: Path) -> None:
        self.port = free_port()
        self.log = tmp_path / "gunicorn.log"
        env = {**os.environ, DB_ENV: str(db_path), SECRET_ENV: SECRET}
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(Path(__file__).parent),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "gunicorn_app:app",
        ]

        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> set[int]:
        deadline = time.monotonic() + START_BOUND

        for _ in range(int(START_BOUND / 0.1)):
            assert self.process.poll() is None, self.log.read_text()

            try:
                status, _ = get(self.url + "/health", None)
            except OSError:
                status = 0

            workers = worker_pids(self.process.pid)

            if status == 200 and len(workers) == WORKERS:
                return workers

            if time.monotonic() > deadline:
                break

            time.sleep(0.1)

        pytest.fail("gunicorn did not start:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)

            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path) -> t.Iterator[tuple[Gunicorn, t.Any]]:
    db_path = tmp_path / "members.sqlite"
    app, jwt_routes, engine = create_app(str(db_path), SECRET)
    Base.metadata.create_all(engine)

    with engine.begin() as connection:
        connection.execute(
            Member.__table__.insert(),
            [{"id": i, "name": f"member-{i}"} for i in range(1, MEMBERS + 1)],
        )

    engine.dispose()
    server = Gunicorn(tmp_path, db_path)

    try:
        yield server, (app, jwt_routes)
    finally:
        server.stop()


def test_gunicorn_with_four_workers_under_mixed_load(
    served: tuple[Gunicorn, t.Any],
) -> None:
    server, (app, jwt_routes) = served
    workers_before = server.wait_ready()

    with app.app_context():
        valid = {
            i: jwt_routes.create_token(entity_id=i, table_name="members")
            for i in range(1, MEMBERS + 1)
        }

    now = int(time.time())
    member = {"table_name": "members"}
    bad = {
        "expired": [
            hs_token({"alg": "HS256"}, claims(i, exp=now - 600, **member), SECRET)
            for i in range(1, 6)
        ],
        "forged": [
            hs_token({"alg": "HS256"}, claims(i, **member), OTHER_SECRET)
            for i in range(1, 6)
        ],
        "tampered": [
            valid[1].rsplit(".", 1)[0][:-2] + "xx." + valid[1].rsplit(".", 1)[1]
        ],
        "alg_none": [
            b64(b'{"alg":"none","typ":"JWT"}') + "." + valid[2].split(".")[1] + "."
        ],
        "missing": [None],
    }
    rng = random.Random(1234)
    plan: list[tuple[str, int | None, str | None]] = []

    for _ in range(REQUESTS):
        if rng.random() < 0.6:
            member_id = rng.randint(1, MEMBERS)
            plan.append(("valid", member_id, valid[member_id]))
        else:
            kind = rng.choice(list(bad))
            plan.append((kind, None, rng.choice(bad[kind])))

    started = time.monotonic()

    def run(
        step: tuple[str, int | None, str | None],
    ) -> tuple[str, int | None, int, t.Any]:
        kind, member_id, token = step

        if time.monotonic() - started > LOAD_BOUND:
            return kind, member_id, -1, None

        status, body = get(server.url + "/me", token)
        return kind, member_id, status, body

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, plan))

    assert all(status != -1 for _, _, status, _ in results), "load bound exceeded"
    assert not [r for r in results if r[2] >= 500], "a request got a 5xx"

    served_by = set()

    for kind, member_id, status, body in results:
        if kind == "valid":
            assert status == 200, (kind, status, body)
            assert body["id"] == member_id
            assert body["name"] == f"member-{member_id}"
            served_by.add(body["pid"])
        else:
            assert status == 401, (kind, status, body)
            assert body["error"] in {
                "token_expired",
                "bad_signature",
                "token_malformed",
                "token_invalid",
                "token_missing",
            }

    # The load was spread over the workers, and none of them died (gunicorn
    # would have replaced it with a new pid).
    assert served_by <= workers_before
    assert len(served_by) >= 2
    assert server.process.poll() is None
    assert worker_pids(server.process.pid) == workers_before
    assert "Traceback" not in server.log.read_text()
