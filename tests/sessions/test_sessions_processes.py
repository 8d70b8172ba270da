"""Several app processes sharing one Redis, each served by a real WSGI server."""

from __future__ import annotations

import threading
import time
import typing as t

from redis_servers import PersistentRedis


def test_a_revocation_in_one_process_is_refused_by_the_others(
    redis_url: str, prefix: str, app_processes: t.Any
) -> None:
    a, b, c = app_processes(redis_url, prefix, 3)
    token = a.call("POST", "/login-plain", body={"id": 1})[1]["token"]
    kept = b.call("POST", "/login-plain", body={"id": 1})[1]["token"]
    pids = {p.call("GET", "/me", token)[1]["pid"] for p in (a, b, c)}
    assert len(pids) == 3, "three separate processes answered"

    assert a.call("POST", "/logout", token)[0] == 204
    revoked_at = time.monotonic()

    # The very next request to each other process is refused: nothing is cached.
    for other in (b, c):
        status, body = other.call("GET", "/me", token)
        assert (status, body["error"]) == (401, "token_revoked")

    assert time.monotonic() - revoked_at < 10  # bound of the loop, not a timing claim
    assert all(p.call("GET", "/me", kept)[0] == 200 for p in (a, b, c))


def test_logout_everywhere_reaches_tokens_of_every_process(
    redis_url: str, prefix: str, app_processes: t.Any
) -> None:
    processes = app_processes(redis_url, prefix, 3)
    held = [p.call("POST", "/login", body={"id": 2})[1] for p in processes]
    other_user = processes[0].call("POST", "/login-plain", body={"id": 3})[1]["token"]

    status, body = processes[1].call(
        "POST", "/logout-everywhere", held[1]["access_token"]
    )
    assert status == 200
    fresh = body["token"]

    for process in processes:
        for pair in held:
            assert process.call("GET", "/me", pair["access_token"])[0] == 401
            assert process.call("GET", "/me", fresh)[1]["id"] == 2
            assert process.call("GET", "/me", other_user)[1]["id"] == 3

    for process, pair in zip(processes, held, strict=True):
        status, body = process.call("POST", "/auth/refresh", pair["refresh_token"])
        assert (status, body["error"]) == (401, "token_revoked")


def test_refresh_replay_is_detected_across_processes(
    redis_url: str, prefix: str, app_processes: t.Any
) -> None:
    a, b, c = app_processes(redis_url, prefix, 3)
    first = a.call("POST", "/login", body={"id": 4})[1]
    status, second = a.call("POST", "/auth/refresh", first["refresh_token"])
    assert status == 200

    status, body = b.call("POST", "/auth/refresh", first["refresh_token"])

    assert (status, body["error"]) == (401, "token_revoked")
    assert c.call("GET", "/me", second["access_token"])[0] == 401
    assert a.call("POST", "/auth/refresh", second["refresh_token"])[0] == 401
    assert c.call("GET", "/me", first["access_token"])[0] == 401


def _refresh_at(
    process: t.Any, token: str, barrier: threading.Barrier, results: list[int]
) -> None:
    barrier.wait(5)
    results.append(process.call("POST", "/auth/refresh", token)[0])


def test_concurrent_refreshes_in_two_processes_let_one_through(
    redis_url: str, prefix: str, app_processes: t.Any
) -> None:
    a, b = app_processes(redis_url, prefix, 2)
    statuses: list[int] = []

    for round_ in range(5):
        pair = a.call("POST", "/login", body={"id": 5})[1]
        barrier = threading.Barrier(4)
        results: list[int] = []

        threads = [
            threading.Thread(
                target=_refresh_at,
                args=(process, pair["refresh_token"], barrier, results),
            )
            for process in (a, b, a, b)
        ]

        for thread in threads:
            thread.start()

        for thread in threads:
            thread.join(15)

        assert sorted(results) == [200, 401, 401, 401], f"round {round_}"
        statuses += results

    assert len(statuses) == 20


def test_redis_killed_and_restarted_under_load(
    persistent_redis: PersistentRedis, prefix: str, app_processes: t.Any
) -> None:
    a, b = app_processes(persistent_redis.url, prefix, 2)
    good = a.call("POST", "/login-plain", body={"id": 1})[1]["token"]
    revoked = a.call("POST", "/login-plain", body={"id": 1})[1]["token"]
    assert b.call("POST", "/logout", revoked)[0] == 204

    seen: dict[str, set[int]] = {"good": set(), "revoked": set()}
    stop = threading.Event()

    def hammer() -> None:
        # Bounded: at most 2,000 rounds and 60 seconds.
        deadline = time.monotonic() + 60

        for _ in range(2000):
            if stop.is_set() or time.monotonic() > deadline:
                return

            for process in (a, b):
                seen["revoked"].add(process.call("GET", "/me", revoked)[0])
                seen["good"].add(process.call("GET", "/me", good)[0])

    worker = threading.Thread(target=hammer)
    worker.start()

    try:
        time.sleep(0.3)
        persistent_redis.stop(crash=True)
        down = {p.call("GET", "/me", good)[0] for p in (a, b)}
        down_revoked = {p.call("GET", "/me", revoked)[0] for p in (a, b)}
        time.sleep(0.5)
        persistent_redis.start()
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join(70)

    assert down == {503} and down_revoked == {503}
    assert 200 not in seen["revoked"], "a revoked token was accepted"
    assert seen["revoked"] <= {401, 503}
    assert seen["good"] <= {200, 503} and 503 in seen["good"]

    for process in (a, b):
        assert process.call("GET", "/me", good)[0] == 200
        assert process.call("GET", "/me", revoked)[0] == 401
