"""Fixtures of the session tests: apps, Redis servers, app processes."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# The helpers beside this file (tests/ is not a package).
sys.path.insert(0, str(HERE))

from redis_servers import PersistentRedis, start_server  # noqa: E402
from sessions_app import create_app  # noqa: E402


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test alone, on the Redis shared by the session."""
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def persistent_redis() -> t.Iterator[PersistentRedis]:
    """A Redis of this test alone that survives being killed."""
    with start_server(PersistentRedis) as server:
        yield server


@pytest.fixture
def app() -> t.Any:
    return create_app("memory")


@pytest.fixture
def client(app: t.Any) -> t.Any:
    return app.test_client()


class AppProcess:
    """The test app served by werkzeug in its own process."""

    def __init__(self, store: str, prefix: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "sessions_app.py"), store, prefix],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()

        if not line.strip():
            self.stop()
            raise RuntimeError("the app process did not start")

        self.base = f"http://127.0.0.1:{int(line)}"

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: object = None,
    ) -> tuple[int, t.Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)

        if data is not None:
            req.add_header("Content-Type", "application/json")

        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")

        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()

        return status, json.loads(raw) if raw else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()

            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def app_processes() -> t.Iterator[t.Callable[[str, str, int], list[AppProcess]]]:
    started: list[AppProcess] = []

    def start(store: str, prefix: str, count: int) -> list[AppProcess]:
        for _ in range(count):
            started.append(AppProcess(store, prefix))

        return started[-count:]

    yield start

    for process in started:
        process.stop()
