"""Real PostgreSQL and Redis servers for the test suite and for ``.ci/run``.

As a pytest plugin this module provides the fixtures

* ``postgres_url`` (session): ``postgresql+psycopg2://USER:PASSWORD@127.0.0.1:PORT/DB``
* ``redis_url`` (session): ``redis://127.0.0.1:PORT/0``
* ``dedicated_postgres`` (function): a :class:`PostgresServer` of its own
* ``dedicated_redis`` (function): a :class:`RedisServer` of its own

The session URLs come from ``JWT_ROUTER_TEST_POSTGRES_URL`` and
``JWT_ROUTER_TEST_REDIS_URL`` when those are set; otherwise a throwaway server is
started on a free port of 127.0.0.1 in a temporary directory, and stopped by its
pid at the end of the session. A missing server binary skips the tests that need
it, or fails them when ``CI`` is ``"true"``.

The same file runs under a bare ``python3`` (no pytest, no third-party
packages), which is how ``.ci/run`` uses it::

    python3 tests/servers.py missing             # prints "postgres" / "redis"
    python3 tests/servers.py serve --env-file F  # starts both, writes F, waits

Servers listen on 127.0.0.1 only. As root, PostgreSQL runs as the ``postgres``
account (else ``nobody``, else a system account made for it), since initdb and
postgres refuse to run as root.
"""

from __future__ import annotations

import argparse
import atexit
import glob
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Literal, NoReturn, TypeVar, cast
from urllib.parse import urlsplit

try:
    import pytest
except ModuleNotFoundError:  # .ci/run imports this file with a bare python3
    pytest = None  # type: ignore[assignment]

POSTGRES_URL_ENV = "JWT_ROUTER_TEST_POSTGRES_URL"
REDIS_URL_ENV = "JWT_ROUTER_TEST_REDIS_URL"

POSTGRES_BIN_GLOBS: tuple[str, ...] = ("/usr/lib/postgresql/*/bin",)
POSTGRES_DB = "jwt_router_test"
POSTGRES_USER = "jwt_router"
SERVICE_USERS: tuple[str, ...] = ("postgres", "nobody")
FALLBACK_SERVICE_USER = "jwt-router-test"

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
ENV_URL_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 0.1
PORT_ATTEMPTS = 3
LOG_TAIL_CHARS = 2000


class ServerError(RuntimeError):
    """A test server could not be started or stopped."""


class BinaryMissing(ServerError):
    """The binaries for a test server are not installed."""


class PortTaken(ServerError):
    """Another process took the chosen port before the server bound it."""


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Return whether a TCP connection to ``host:port`` is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Poll ``host:port`` until it accepts connections or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / POLL_INTERVAL) + 1):
        if port_open(host, port):
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL)
    return False


def pid_alive(pid: int) -> bool:
    """Return whether a process with this pid exists (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def to_libpq_url(url: str) -> str:
    """Drop the SQLAlchemy driver: ``postgresql+psycopg2://`` -> ``postgresql://``."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def _log_tail(path: Path, start: int = 0) -> str:
    """The last characters of a log file, from byte ``start`` on."""
    try:
        with open(path, "rb") as log:
            log.seek(start)
            text = log.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return text[-LOG_TAIL_CHARS:]


def _clean_env(home: Path | None = None, user: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    if home is not None:
        env["HOME"] = str(home)
    if user is not None:
        env["USER"] = env["LOGNAME"] = user
    return env


# --------------------------------------------------------------------------
# Who runs the server, and where
# --------------------------------------------------------------------------


def service_user() -> pwd.struct_passwd | None:
    """Return the unprivileged account to run PostgreSQL as, or None if not root.

    initdb and postgres refuse to run as root. Prefer ``postgres``, then
    ``nobody``; create a system account as the last resort.
    """
    if os.geteuid() != 0:
        return None

    for name in SERVICE_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue

    return _create_service_user(FALLBACK_SERVICE_USER)


def _create_service_user(name: str) -> pwd.struct_passwd:
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    argv = [useradd, "--system", "--no-create-home", "--shell", "/bin/false", name]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode not in (0, 9):  # 9: the name exists already
        raise ServerError(f"cannot create user {name!r}: {done.stderr.strip()}")

    return pwd.getpwnam(name)


def _world_traversable(path: Path) -> bool:
    for part in [path, *path.parents]:
        if not part.stat().st_mode & 0o001:
            return False
    return True


def make_base_dir(prefix: str, owner: pwd.struct_passwd | None) -> Path:
    """Create a private temporary directory, owned by ``owner`` when given."""
    parent: str | None = None
    if owner is not None and not _world_traversable(Path(tempfile.gettempdir())):
        parent = "/tmp"

    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))

    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return path


def _identity(owner: pwd.struct_passwd | None) -> dict[str, Any]:
    if owner is None:
        return {}
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


# --------------------------------------------------------------------------
# A server process that is started and stopped by its pid
# --------------------------------------------------------------------------

_LIVE: set[_ServerProcess] = set()

ServerT = TypeVar("ServerT", bound="_ServerProcess")


class _ServerProcess:
    """One server binary run in the foreground as our child, logged to a file."""

    name = "server"
    stop_signals: tuple[tuple[signal.Signals, float], ...] = (
        (signal.SIGTERM, STOP_TIMEOUT),
        (signal.SIGKILL, 10.0),
    )
    crash_signal = signal.SIGKILL

    def __init__(self, base_dir: Path, port: int) -> None:
        self.base_dir = base_dir
        self.port = port
        self.log_path = base_dir / f"{self.name}.log"
        self._log_start = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self: ServerT) -> ServerT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs, else None."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return None
        return proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def _owner(self) -> pwd.struct_passwd | None:
        return None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server on its port and wait until it answers."""
        if self.running:
            return

        self._spawn()
        _LIVE.add(self)

        self._wait_ready(timeout)

    def _spawn(self) -> None:
        owner = self._owner()
        env = _clean_env(self.base_dir, owner.pw_name if owner else None)

        with open(self.log_path, "ab") as log:
            self._log_start = log.tell()
            self._proc = subprocess.Popen(
                self._argv(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                env=env,
                start_new_session=True,
                **_identity(owner),
            )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout

        for _ in range(int(timeout / POLL_INTERVAL) + 1):
            if not self.running:
                self._failed_to_start()
            if self._ready():
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_INTERVAL)

        self.stop()
        raise ServerError(
            f"{self.name} on port {self.port} not ready after {timeout:.0f}s:\n"
            + _log_tail(self.log_path, self._log_start)
        )

    def _failed_to_start(self) -> NoReturn:
        self.stop()
        log = _log_tail(self.log_path, self._log_start)
        if "already in use" in log.lower():
            raise PortTaken(f"port {self.port} was taken:\n{log}")
        raise ServerError(f"{self.name} exited while starting:\n{log}")

    def stop(self, *, crash: bool = False) -> None:
        """Stop the server by its pid; ``crash=True`` kills it without a clean exit.

        Each signal is followed by a bounded wait; the last one is SIGKILL.
        """
        proc = self._proc
        if proc is None:
            return

        steps = self.stop_signals
        if crash:
            steps = ((self.crash_signal, STOP_TIMEOUT), (signal.SIGKILL, 10.0))

        for sig, wait in steps:
            if proc.poll() is not None:
                break
            _signal(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue

        if proc.poll() is None:
            raise ServerError(f"{self.name} pid {proc.pid} did not stop")

    def destroy(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop()
        finally:
            _LIVE.discard(self)
            shutil.rmtree(self.base_dir, ignore_errors=True)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _start_on_free_port(make: Callable[[int], ServerT]) -> ServerT:
    """Build and start a server, trying a new port if the first one was taken."""
    for attempt in range(PORT_ATTEMPTS):
        server = make(free_port())
        try:
            server.start()
        except PortTaken:
            server.destroy()
            if attempt == PORT_ATTEMPTS - 1:
                raise
            continue
        except BaseException:
            server.destroy()
            raise
        return server

    raise ServerError("unreachable")


@atexit.register
def _stop_all_at_exit() -> None:
    for server in list(_LIVE):
        try:
            server.destroy()
        except ServerError as exc:
            print(f"tests.servers: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------


class PostgresBinaries:
    """Paths of the PostgreSQL programs we use."""

    def __init__(self, initdb: Path, postgres: Path, psql: Path) -> None:
        self.initdb = initdb
        self.postgres = postgres
        self.psql = psql


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def _postgres_bin_dirs() -> list[Path]:
    dirs: list[Path] = []

    initdb = shutil.which("initdb")
    if initdb:
        dirs.append(Path(os.path.realpath(initdb)).parent)
        dirs.append(Path(initdb).parent)

    for pattern in POSTGRES_BIN_GLOBS:
        found = sorted(glob.glob(pattern), key=_version_key, reverse=True)
        dirs.extend(Path(p) for p in found)
    return dirs


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_postgres() -> PostgresBinaries:
    """Find initdb, postgres and psql of one PostgreSQL version.

    Looks on PATH (following symlinks to the version's bin directory), then in
    ``/usr/lib/postgresql/*/bin``, newest version first.
    """
    for directory in _postgres_bin_dirs():
        paths = [directory / name for name in ("initdb", "postgres", "psql")]
        if all(_executable(p) for p in paths):
            return PostgresBinaries(*paths)

    raise BinaryMissing(
        "PostgreSQL server binaries (initdb, postgres, psql) not found on PATH "
        "or under " + ", ".join(POSTGRES_BIN_GLOBS)
    )


class PostgresServer(_ServerProcess):
    """A throwaway PostgreSQL cluster listening on 127.0.0.1 only.

    ``stop()`` and ``start()`` keep the port and the data, so a test can take the
    database away and bring it back. ``url`` is the SQLAlchemy URL of the test
    database; the user is a superuser with a password (scram-sha-256).
    """

    name = "postgres"
    stop_signals = (
        (signal.SIGINT, STOP_TIMEOUT),  # fast shutdown
        (signal.SIGQUIT, 10.0),  # immediate shutdown
        (signal.SIGKILL, 10.0),
    )
    crash_signal = signal.SIGQUIT

    def __init__(
        self,
        binaries: PostgresBinaries,
        owner: pwd.struct_passwd | None,
        base_dir: Path,
        port: int,
    ) -> None:
        super().__init__(base_dir, port)
        self.binaries = binaries
        self.owner = owner
        self.data_dir = base_dir / "data"
        self.socket_dir = base_dir / "sock"
        self.user = POSTGRES_USER
        self.password = secrets.token_hex(16)
        self.database = POSTGRES_DB
        self._initialised = False
        self._database_created = False

    @property
    def url(self) -> str:
        return (
            f"postgresql+psycopg2://{self.user}:{self.password}"
            f"@{HOST}:{self.port}/{self.database}"
        )

    def _owner(self) -> pwd.struct_passwd | None:
        return self.owner

    def start(self, timeout: float = START_TIMEOUT) -> None:
        if not self._initialised:
            self._initdb()

        super().start(timeout)

        if not self._database_created:
            self.psql(f'CREATE DATABASE "{self.database}"', database="postgres")
            self._database_created = True

    def _initdb(self) -> None:
        self.socket_dir.mkdir()
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        self._give_to_owner(self.socket_dir, pwfile)

        argv = [
            str(self.binaries.initdb),
            f"--pgdata={self.data_dir}",
            f"--username={self.user}",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
        self._run_as_owner(argv, timeout=120)

        pwfile.unlink()
        self._initialised = True

    def _give_to_owner(self, *paths: Path) -> None:
        if self.owner is None:
            return
        for path in paths:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _run_as_owner(self, argv: list[str], timeout: float) -> None:
        owner = self.owner
        env = _clean_env(self.base_dir, owner.pw_name if owner else None)

        with open(self.log_path, "ab") as log:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                env=env,
                timeout=timeout,
                check=False,
                **_identity(owner),
            )

        if done.returncode != 0:
            raise ServerError(
                f"{Path(argv[0]).name} failed:\n" + _log_tail(self.log_path)
            )

    def _argv(self) -> list[str]:
        # fsync and full-page writes only matter when the machine crashes; a
        # crash of postgres itself (stop(crash=True)) still keeps every commit.
        settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "full_page_writes": "off",
            "logging_collector": "off",
        }
        argv = [str(self.binaries.postgres), "-D", str(self.data_dir)]
        argv += ["-p", str(self.port)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _ready(self) -> bool:
        try:
            done = self._psql_run("SELECT 1", "postgres", timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL through psql over TCP and return its unaligned output."""
        done = self._psql_run(sql, database or self.database, timeout=60)
        if done.returncode != 0:
            raise ServerError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def _psql_run(
        self, sql: str, database: str, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        env = _clean_env()
        env["PGPASSWORD"] = self.password
        env["PGCONNECT_TIMEOUT"] = "2"
        argv = [
            str(self.binaries.psql),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            database,
            "-c",
            sql,
        ]
        return subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )


def start_postgres() -> PostgresServer:
    """Start a new throwaway PostgreSQL cluster; call ``destroy()`` when done."""
    binaries = find_postgres()
    owner = service_user()

    def make(port: int) -> PostgresServer:
        base_dir = make_base_dir("jwt-router-pg-", owner)
        return PostgresServer(binaries, owner, base_dir, port)

    return _start_on_free_port(make)


# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------


def find_redis() -> Path:
    """Return the path of redis-server on PATH."""
    found = shutil.which("redis-server")
    if found is None:
        raise BinaryMissing("redis-server not found on PATH")
    return Path(found)


def redis_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """Send a raw PING and return whether ``+PONG`` came back."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(_ServerProcess):
    """A redis-server on 127.0.0.1 with no persistence.

    ``stop()`` ends it by pid (``crash=True`` sends SIGKILL); ``start()`` brings
    it back on the same port, empty.
    """

    name = "redis"

    def __init__(self, binary: Path, base_dir: Path, port: int) -> None:
        super().__init__(base_dir, port)
        self.binary = binary

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _argv(self) -> list[str]:
        return [
            str(self.binary),
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.base_dir),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]

    def _ready(self) -> bool:
        return redis_ping(HOST, self.port)


def start_redis() -> RedisServer:
    """Start a new redis-server on a free port; call ``destroy()`` when done."""
    binary = find_redis()

    def make(port: int) -> RedisServer:
        return RedisServer(binary, make_base_dir("jwt-router-redis-", None), port)

    return _start_on_free_port(make)


# --------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _fixture(scope: Literal["session", "function"]) -> Callable[[F], F]:
    if pytest is None:
        return lambda func: func
    return cast("Callable[[F], F]", pytest.fixture(scope=scope))


def _skip_or_fail(reason: str) -> NoReturn:
    """Skip locally; under CI a missing server is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _start_or_skip(start: Callable[[], ServerT]) -> ServerT:
    try:
        return start()
    except BinaryMissing as exc:
        _skip_or_fail(str(exc))


def _check_env_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        pytest.fail(f"{name}={url!r} needs an explicit host and port", pytrace=False)
    if not wait_for_port(parts.hostname, parts.port, timeout=ENV_URL_TIMEOUT):
        pytest.fail(f"{name}: nothing listens at {url!r}", pytrace=False)


@_fixture("session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a real PostgreSQL database shared by the session."""
    from_env = os.environ.get(POSTGRES_URL_ENV)
    if from_env:
        _check_env_url(POSTGRES_URL_ENV, from_env)
        yield from_env
        return

    with _start_or_skip(start_postgres) as server:
        yield server.url


@_fixture("session")
def redis_url() -> Iterator[str]:
    """URL of a real Redis server shared by the session."""
    from_env = os.environ.get(REDIS_URL_ENV)
    if from_env:
        _check_env_url(REDIS_URL_ENV, from_env)
        yield from_env
        return

    with _start_or_skip(start_redis) as server:
        yield server.url


@_fixture("function")
def dedicated_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own, which it may ``stop()`` and ``start()``."""
    with _start_or_skip(start_postgres) as server:
        yield server


@_fixture("function")
def dedicated_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may ``stop()`` and ``start()``."""
    with _start_or_skip(start_redis) as server:
        yield server


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"got {signal.Signals(signum).name}")


def pytest_configure(config: Any) -> None:
    """Turn SIGTERM into KeyboardInterrupt, so teardown still stops our servers."""
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def pytest_unconfigure(config: Any) -> None:
    if signal.getsignal(signal.SIGTERM) is _interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


# --------------------------------------------------------------------------
# Command line, for .ci/run
# --------------------------------------------------------------------------


def missing_servers() -> list[str]:
    """Names ("postgres", "redis") of the servers whose binaries are missing."""
    missing = []
    for name, find in (("postgres", find_postgres), ("redis", find_redis)):
        try:
            find()
        except BinaryMissing:
            missing.append(name)
    return missing


class _Stop(Exception):
    """Raised by the signal handler to leave the serve loop."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _write_env_file(path: Path, pg: PostgresServer, redis: RedisServer) -> None:
    lines = [
        f"export {POSTGRES_URL_ENV}={shlex.quote(pg.url)}",
        f"export {REDIS_URL_ENV}={shlex.quote(redis.url)}",
        f"JWT_ROUTER_TEST_POSTGRES_PID={pg.pid}",
        f"JWT_ROUTER_TEST_REDIS_PID={redis.pid}",
    ]
    partial = path.with_name(path.name + ".partial")
    partial.write_text("\n".join(lines) + "\n")
    partial.replace(path)


def _wait_for_stop(max_seconds: float) -> str:
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds

    for _ in range(int(max_seconds / 0.5) + 1):
        if os.getppid() != parent:
            return "parent exited"
        if time.monotonic() >= deadline:
            return f"{max_seconds:.0f}s limit reached"
        time.sleep(0.5)
    return "loop limit reached"


def serve(env_file: Path, max_seconds: float, out: IO[str]) -> int:
    """Start PostgreSQL and Redis, write their URLs to ``env_file``, then wait.

    Stops both, by pid, on SIGTERM/SIGINT/SIGHUP, when the parent exits, or
    after ``max_seconds``.
    """
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _raise_stop)

    servers: list[_ServerProcess] = []
    try:
        pg = start_postgres()
        servers.append(pg)
        redis = start_redis()
        servers.append(redis)

        _write_env_file(env_file, pg, redis)
        print(f"postgres pid {pg.pid} port {pg.port}", file=out, flush=True)
        print(f"redis pid {redis.pid} port {redis.port}", file=out, flush=True)

        reason = _wait_for_stop(max_seconds)
    except _Stop as stop:
        reason = f"got {stop}"
    except ServerError as exc:
        print(f"tests.servers: {exc}", file=out, flush=True)
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for server in servers:
            server.destroy()

    print(f"servers stopped ({reason})", file=out, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 tests/servers.py")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("missing", help="print servers whose binaries are missing")

    serve_cmd = commands.add_parser("serve", help="run both servers until stopped")
    serve_cmd.add_argument("--env-file", type=Path, required=True)
    serve_cmd.add_argument("--max-seconds", type=float, default=6 * 3600)

    args = parser.parse_args(argv)

    if args.command == "missing":
        for name in missing_servers():
            print(name)
        return 0

    return serve(args.env_file, args.max_seconds, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())


# tests/conftest.py needs only this line:
#
#     pytest_plugins = ["tests.servers"]
#
# ``python -m pytest`` from the repository root (as scripts/test.sh runs it) can
# then import ``tests.servers``; an empty tests/__init__.py makes a plain
# ``pytest`` work as well. Fixtures: postgres_url, redis_url, dedicated_postgres,
# dedicated_redis.
