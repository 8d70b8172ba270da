"""Fixtures of the session tests: apps, Redis servers, app processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from sessions_app import create_app  # noqa: E402

REDIS_BINARY = shutil.which("redis-server")


def _need_redis() -> str:
    if REDIS_BINARY is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; .ci/run must install it.")

        pytest.skip("redis-server is not installed")

    return REDIS_BINARY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """A redis-server on 127.0.0.1 that a test may kill, pause and restart."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.binary = _need_redis()
        self.port = free_port()
        self.workdir = workdir
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}"
                )

            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as sock:
                    sock.sendall(b"PING\r\n")

                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass

            time.sleep(0.05)

        raise RuntimeError("redis-server did not answer PING within 10 s")

    def kill(self) -> None:
        """Stop it at once, as a crash would (SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)

        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client(self, **options: t.Any) -> t.Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, **options)


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis-shared"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(shared_redis: RedisProcess) -> str:
    """A URL of an empty Redis database."""
    client = shared_redis.client()
    client.flushall()
    client.close()
    return shared_redis.url


@pytest.fixture
def dedicated_redis(tmp_path: Path) -> t.Iterator[RedisProcess]:
    """A Redis of this test alone, persisting every write (it gets killed)."""
    server = RedisProcess(
        tmp_path / "redis", "--appendonly", "yes", "--appendfsync", "always"
    )
    server.start()
    yield server
    server.kill()


@pytest.fixture
def app() -> t.Any:
    return create_app("memory")


@pytest.fixture
def client(app: t.Any) -> t.Any:
    return app.test_client()


class AppProcess:
    """The test app served by werkzeug in its own process."""

    def __init__(self, store: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "sessions_app.py"), store],
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
def app_processes() -> t.Iterator[t.Callable[[str, int], list[AppProcess]]]:
    started: list[AppProcess] = []

    def start(store: str, count: int) -> list[AppProcess]:
        for _ in range(count):
            started.append(AppProcess(store))

        return started[-count:]

    yield start

    for process in started:
        process.stop()
