"""Self-tests of tests/servers.py: real servers, real clients, real stops."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis

from tests import servers
from tests.servers import PostgresServer, RedisServer, to_libpq_url

REPO = Path(__file__).resolve().parent.parent
INNER_TIMEOUT = 300


def _select_one(url: str) -> int:
    with psycopg2.connect(to_libpq_url(url), connect_timeout=5) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            row = cur.fetchone()
    conn.close()
    assert row is not None
    return int(row[0])


def _uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    for _ in range(int(timeout / 0.1)):
        if not servers.pid_alive(pid):
            return True
        time.sleep(0.1)
    return not servers.pid_alive(pid)


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture
def postgres_binaries() -> servers.PostgresBinaries:
    try:
        return servers.find_postgres()
    except servers.BinaryMissing as exc:
        servers._skip_or_fail(str(exc))


@pytest.fixture
def redis_binary() -> Path:
    try:
        return servers.find_redis()
    except servers.BinaryMissing as exc:
        servers._skip_or_fail(str(exc))


# --------------------------------------------------------------------------
# Session fixtures
# --------------------------------------------------------------------------


def test_postgres_url_connects_for_real(postgres_url: str) -> None:
    assert re.fullmatch(r"postgresql\+psycopg2://[^@]+@[\w.]+:\d+/\w+", postgres_url)

    assert _select_one(postgres_url) == 1


def test_postgres_url_names_its_database(postgres_url: str) -> None:
    wanted = postgres_url.rsplit("/", 1)[1]

    with psycopg2.connect(to_libpq_url(postgres_url), connect_timeout=5) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            row = cur.fetchone()
    conn.close()

    assert row == (wanted,)


def test_redis_url_pings_for_real(redis_url: str) -> None:
    assert re.fullmatch(r"redis://[\w.]+:\d+/0", redis_url)
    client = redis.Redis.from_url(redis_url, socket_timeout=5)

    assert client.ping() is True
    client.set("servers-self-test", "yes")
    assert client.get("servers-self-test") == b"yes"

    client.delete("servers-self-test")
    client.close()


# --------------------------------------------------------------------------
# Dedicated PostgreSQL
# --------------------------------------------------------------------------


def test_dedicated_postgres_is_its_own_server(
    dedicated_postgres: PostgresServer, postgres_url: str
) -> None:
    assert dedicated_postgres.url != postgres_url
    assert _select_one(dedicated_postgres.url) == 1


def test_dedicated_postgres_listens_on_loopback_only(
    dedicated_postgres: PostgresServer,
) -> None:
    out = dedicated_postgres.psql("SHOW listen_addresses")

    assert out.strip() == "127.0.0.1"
    assert f"@127.0.0.1:{dedicated_postgres.port}/" in dedicated_postgres.url


def test_dedicated_postgres_never_runs_as_root(
    dedicated_postgres: PostgresServer,
) -> None:
    assert dedicated_postgres.pid is not None

    assert _uid_of(dedicated_postgres.pid) != 0


def test_dedicated_postgres_stop_and_start_keep_port_and_data(
    dedicated_postgres: PostgresServer,
) -> None:
    server = dedicated_postgres
    url, port, first_pid = server.url, server.port, server.pid
    assert first_pid is not None
    server.psql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")

    server.stop()

    assert server.pid is None
    assert _wait_gone(first_pid)
    assert not servers.port_open("127.0.0.1", port)
    with pytest.raises(psycopg2.OperationalError):
        _select_one(url)

    server.start()

    assert server.port == port
    assert server.url == url
    assert server.pid is not None and server.pid != first_pid
    assert server.psql("SELECT n FROM kept").strip() == "42"


def test_dedicated_postgres_recovers_from_a_crash(
    dedicated_postgres: PostgresServer,
) -> None:
    server = dedicated_postgres
    server.psql("CREATE TABLE survived (n int); INSERT INTO survived VALUES (7)")

    server.stop(crash=True)
    assert server.pid is None
    server.start()

    assert _select_one(server.url) == 1
    assert server.psql("SELECT n FROM survived").strip() == "7"


# --------------------------------------------------------------------------
# Dedicated Redis
# --------------------------------------------------------------------------


def test_dedicated_redis_killed_and_restarted(dedicated_redis: RedisServer) -> None:
    server = dedicated_redis
    port, first_pid = server.port, server.pid
    assert first_pid is not None
    client = redis.Redis.from_url(server.url, socket_timeout=2)
    client.set("lost-on-restart", "1")

    server.stop(crash=True)

    assert _wait_gone(first_pid)
    with pytest.raises(redis.ConnectionError):
        client.ping()

    server.start()

    assert server.port == port
    assert server.pid is not None and server.pid != first_pid
    assert client.ping() is True
    assert client.get("lost-on-restart") is None
    client.close()


def test_dedicated_redis_is_its_own_server(
    dedicated_redis: RedisServer, redis_url: str
) -> None:
    assert dedicated_redis.url != redis_url
    assert servers.redis_ping("127.0.0.1", dedicated_redis.port)


# --------------------------------------------------------------------------
# Ports and binaries
# --------------------------------------------------------------------------


def test_a_taken_port_is_reported_as_such(
    occupied_port: int, redis_binary: Path
) -> None:
    base = servers.make_base_dir("jwt-router-test-", None)
    server = RedisServer(redis_binary, base, occupied_port)

    with server, pytest.raises(servers.PortTaken):
        server.start()

    assert not server.running
    assert not base.exists()


def test_start_retries_on_a_taken_port(occupied_port: int, redis_binary: Path) -> None:
    ports = [occupied_port, servers.free_port()]

    def make(_port: int) -> RedisServer:
        base = servers.make_base_dir("jwt-router-test-", None)
        return RedisServer(redis_binary, base, ports.pop(0))

    with servers._start_on_free_port(make) as server:
        assert ports == []
        assert server.port != occupied_port
        assert servers.redis_ping("127.0.0.1", server.port)


def test_missing_servers_lists_hidden_binaries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(servers, "POSTGRES_BIN_GLOBS", ())
    monkeypatch.setenv("PATH", str(tmp_path))

    assert servers.missing_servers() == ["postgres", "redis"]

    with pytest.raises(servers.BinaryMissing):
        servers.start_redis()


# --------------------------------------------------------------------------
# Whole pytest sessions in a subprocess
# --------------------------------------------------------------------------


def _inner_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWT_ROUTER_")}
    env.pop("CI", None)
    env.update(extra)
    return env


def _run_inner_pytest(
    tmp_path: Path, body: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``body`` as a test file in a pytest of its own, with our plugin."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(textwrap.dedent(body))

    argv = [sys.executable, "-m", "pytest", "-p", "tests.servers"]
    argv += ["-ra", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini")]
    argv += ["--rootdir", str(tmp_path), str(test_file)]

    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = _communicate_or_stop(proc)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def _communicate_or_stop(
    proc: subprocess.Popen[str], timeout: float = INNER_TIMEOUT
) -> tuple[str, str]:
    """Wait for an inner pytest; if we are interrupted, let it tear down first.

    The inner pytest turns SIGTERM into a clean teardown that stops its servers,
    which SIGKILL (what subprocess.run sends) would not.
    """
    try:
        return proc.communicate(timeout=timeout)
    except BaseException:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise


HIDE_BINARIES = """
    import tests.servers as servers
    servers.POSTGRES_BIN_GLOBS = ()
"""

NEEDS_ALL = """
    def test_pg(postgres_url): pass
    def test_redis(redis_url): pass
    def test_dedicated_pg(dedicated_postgres): pass
    def test_dedicated_redis(dedicated_redis): pass
"""


def test_missing_binaries_skip_locally(tmp_path: Path) -> None:
    env = _inner_env(PATH=str(tmp_path))

    done = _run_inner_pytest(tmp_path, HIDE_BINARIES + NEEDS_ALL, env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 skipped" in done.stdout
    assert "redis-server not found" in done.stdout


def test_missing_binaries_fail_under_ci(tmp_path: Path) -> None:
    env = _inner_env(PATH=str(tmp_path), CI="true")

    done = _run_inner_pytest(tmp_path, HIDE_BINARIES + NEEDS_ALL, env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "4 errors" in done.stdout
    assert "skipped" not in done.stdout


def test_env_urls_win_over_starting_servers(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = _inner_env(
        PATH=str(tmp_path),
        JWT_ROUTER_TEST_POSTGRES_URL=postgres_url,
        JWT_ROUTER_TEST_REDIS_URL=redis_url,
    )
    body = (
        HIDE_BINARIES
        + """
    import os
    def test_env(postgres_url, redis_url):
        assert postgres_url == os.environ["JWT_ROUTER_TEST_POSTGRES_URL"]
        assert redis_url == os.environ["JWT_ROUTER_TEST_REDIS_URL"]
    """
    )

    done = _run_inner_pytest(tmp_path, body, env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_env_url_with_nothing_listening_fails(tmp_path: Path) -> None:
    closed = f"redis://127.0.0.1:{servers.free_port()}/0"
    env = _inner_env(JWT_ROUTER_TEST_REDIS_URL=closed)
    body = """
    import tests.servers as servers
    servers.ENV_URL_TIMEOUT = 1.0
    def test_redis(redis_url): pass
    """

    done = _run_inner_pytest(tmp_path, body, env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "nothing listens" in done.stdout


def test_servers_are_stopped_when_a_test_fails(
    tmp_path: Path, postgres_binaries: servers.PostgresBinaries, redis_binary: Path
) -> None:
    pids_file = tmp_path / "pids.json"
    env = _inner_env(PIDS_FILE=str(pids_file))
    body = """
    import json, os
    import tests.servers as servers

    def test_fails(postgres_url, redis_url, dedicated_postgres, dedicated_redis):
        live = [(s.pid, str(s.base_dir)) for s in servers._LIVE]
        with open(os.environ["PIDS_FILE"], "w") as out:
            json.dump(live, out)
        assert False, "on purpose"
    """

    done = _run_inner_pytest(tmp_path, body, env)

    assert done.returncode == 1, done.stdout + done.stderr
    live = json.loads(pids_file.read_text())
    assert len(live) == 4
    for pid, base_dir in live:
        assert _wait_gone(pid), f"pid {pid} still runs"
        assert not Path(base_dir).exists()


def test_servers_are_stopped_when_pytest_gets_sigterm(
    tmp_path: Path, redis_binary: Path
) -> None:
    pids_file = tmp_path / "pids.json"
    body = """
    import json, os, time
    import tests.servers as servers

    def test_waits(dedicated_redis):
        live = [(s.pid, str(s.base_dir)) for s in servers._LIVE]
        with open(os.environ["PIDS_FILE"] + ".tmp", "w") as out:
            json.dump(live, out)
        os.replace(os.environ["PIDS_FILE"] + ".tmp", os.environ["PIDS_FILE"])
        time.sleep(60)
    """
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(body))
    argv = [sys.executable, "-m", "pytest", "-p", "tests.servers", "-c", os.devnull]
    argv += ["-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
    argv += [str(tmp_path / "test_inner.py")]
    env = _inner_env(PIDS_FILE=str(pids_file))
    proc = subprocess.Popen(argv, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE)

    try:
        for _ in range(300):
            if pids_file.exists():
                break
            time.sleep(0.1)
        live = json.loads(pids_file.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = _communicate_or_stop(proc, timeout=60)

    assert proc.returncode == 2, out
    assert "KeyboardInterrupt" in out
    assert len(live) == 1
    pid, base_dir = live[0]
    assert _wait_gone(pid)
    assert not Path(base_dir).exists()


# --------------------------------------------------------------------------
# The command line that .ci/run uses
# --------------------------------------------------------------------------


def _read_env_file(path: Path, timeout: float = 60.0) -> dict[str, str]:
    for _ in range(int(timeout / 0.1)):
        if path.exists():
            break
        time.sleep(0.1)

    values = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line)
        key, value = words[-1].split("=", 1)
        values[key] = value
    return values


def test_serve_command_runs_both_until_sigterm(
    tmp_path: Path, postgres_binaries: servers.PostgresBinaries, redis_binary: Path
) -> None:
    env_file = tmp_path / "servers.env"
    argv = [sys.executable, str(REPO / "tests" / "servers.py"), "serve"]
    argv += ["--env-file", str(env_file), "--max-seconds", "300"]
    env = _inner_env()
    proc = subprocess.Popen(argv, cwd=REPO, env=env, text=True, stderr=subprocess.PIPE)

    try:
        values = _read_env_file(env_file)
        assert _select_one(values["JWT_ROUTER_TEST_POSTGRES_URL"]) == 1
        client = redis.Redis.from_url(values["JWT_ROUTER_TEST_REDIS_URL"])
        assert client.ping() is True
        client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = _communicate_or_stop(proc, timeout=60)

    assert proc.returncode == 0, err
    assert "servers stopped (got SIGTERM)" in err
    for key in ("JWT_ROUTER_TEST_POSTGRES_PID", "JWT_ROUTER_TEST_REDIS_PID"):
        assert _wait_gone(int(values[key]))
