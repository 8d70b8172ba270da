"""What the revocation check costs on a protected route.

Runs, interleaved in one process, the same app and request with revocation
off, with the in-memory store (holding 1,000 revoked tokens) and with Redis
on 127.0.0.1, and prints microseconds per request (median and best of the
rounds: machines are shared and noisy) and the ratio to "off".

    python benchmarks/bench_revocation.py [--rounds 21] [--requests 300]
        [--redis-url redis://127.0.0.1:6379/0]

Without --redis-url it starts a throwaway redis-server on a free port of
127.0.0.1 (when the binary is on PATH) and stops it by pid at the end.
Redis time is measured as wall time: the round trip is spent waiting, not
computing, so CPU time alone would hide it. CPU time is printed as well.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
import uuid

from flask import Flask, g, jsonify
from sqlalchemy import Integer, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from werkzeug.test import EnvironBuilder

from flask_jwt_router import JwtRoutes


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


def make_app(store: object) -> tuple[Flask, dict[str, t.Any]]:
    """An app with one protected route, and the environ of a valid request."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine)

    with factory.begin() as session:
        session.add(User(id=1))

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="bench-secret-0123456789abcdef0123456789abcdef",
        JWT_ROUTER_REVOCATION_STORE=store,
        JWT_ROUTER_REVOCATION_PREFIX=f"bench-{uuid.uuid4().hex[:8]}:",
    )
    jwt_routes = JwtRoutes(app, entity_models=[User], session=factory)

    @app.get("/me")
    def me() -> t.Any:
        return jsonify(id=g.users.id)

    with app.app_context():
        token = jwt_routes.create_token(entity_id=1, table_name="users")

        if store is not None:
            # A store that holds something: other users' revoked tokens.
            for _ in range(1000):
                jwt_routes.revoke_token(uuid.uuid4().hex)

    environ = EnvironBuilder(
        path="/me", headers={"Authorization": f"Bearer {token}"}
    ).get_environ()
    _check(app, environ)
    return app, environ


def _check(app: Flask, environ: dict[str, t.Any]) -> None:
    status: list[str] = []
    body = b"".join(app.wsgi_app(dict(environ), lambda s, h: status.append(s)))

    if not status[0].startswith("200"):
        raise SystemExit(f"the benchmark request was refused: {status[0]} {body!r}")


def run(app: Flask, environ: dict[str, t.Any], count: int) -> tuple[float, float]:
    """Serve ``count`` requests; return (wall, CPU) microseconds per request."""

    def start_response(status: str, headers: t.Any) -> None:
        pass

    wsgi = app.wsgi_app
    wall0, cpu0 = time.perf_counter_ns(), time.process_time_ns()

    for _ in range(count):
        for _chunk in wsgi(dict(environ), start_response):
            pass

    wall, cpu = time.perf_counter_ns() - wall0, time.process_time_ns() - cpu0
    return wall / count / 1000, cpu / count / 1000


def start_redis() -> tuple[str, subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")

    if binary is None:
        return None

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2) as sock:
                sock.sendall(b"PING\r\n")

                if sock.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", process, workdir
        except OSError:
            pass

        time.sleep(0.05)

    process.kill()
    process.wait(10)
    raise SystemExit("redis-server did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--redis-url")
    args = parser.parse_args(argv)

    started = None
    redis_url = args.redis_url

    if redis_url is None:
        started = start_redis()
        redis_url = started[0] if started else None

    try:
        variants = {"off": make_app(None), "memory": make_app("memory")}

        if redis_url is not None:
            variants["redis (loopback)"] = make_app(redis_url)
        else:
            print("redis-server not found: the Redis row is left out", file=sys.stderr)

        results = measure(variants, args.rounds, args.requests)
    finally:
        if started is not None:
            started[1].terminate()
            started[1].wait(10)
            shutil.rmtree(started[2], ignore_errors=True)

    report(results, args.rounds, args.requests)


def measure(
    variants: dict[str, tuple[Flask, dict[str, t.Any]]], rounds: int, count: int
) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}

    for app, environ in variants.values():  # warm up
        run(app, environ, count)

    for round_ in range(rounds):
        # Rotate the order, so that no variant always runs first.
        names = list(variants)
        names = names[round_ % len(names) :] + names[: round_ % len(names)]

        for name in names:
            results[name].append(run(*variants[name], count))

    return results


def report(
    results: dict[str, list[tuple[float, float]]], rounds: int, count: int
) -> None:
    print(f"protected route, {rounds} interleaved rounds of {count} requests")
    print(
        f"{'revocation':<18} {'wall median':>12} {'wall best':>10} {'ratio':>6}"
        f" {'CPU median':>11} {'CPU best':>9} {'ratio':>6}"
    )
    base_wall = statistics.median(w for w, _ in results["off"])
    base_cpu = statistics.median(c for _, c in results["off"])

    for name, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        print(
            f"{name:<18} {wall:>10.1f}us {min(w for w, _ in samples):>8.1f}us"
            f" {wall / base_wall:>5.2f}x {cpu:>9.1f}us"
            f" {min(c for _, c in samples):>7.1f}us {cpu / base_cpu:>5.2f}x"
        )


if __name__ == "__main__":
    main()
