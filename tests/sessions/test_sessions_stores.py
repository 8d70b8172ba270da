"""The store contract, on memory and real Redis: standalone, Sentinel, Cluster."""

from __future__ import annotations

import threading
import time
import typing as t

import pytest
from redis_servers import ClusterNode, SentinelServer, start_server

from flask_jwt_router import (
    MemoryRevocationStore,
    RedisRevocationStore,
    RevocationStore,
    RevocationStoreError,
)
from tests.servers import RedisServer

STORES = ["memory", "redis_url", "redis_client", "sentinel", "cluster"]


def _cluster_client(node: ClusterNode) -> t.Any:
    import redis
    from redis.cluster import RedisCluster

    admin = redis.Redis(host="127.0.0.1", port=node.port)
    admin.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)

    for _ in range(100):  # the node takes a moment to call itself ready
        if admin.cluster("info")["cluster_state"] == "ok":
            break

        time.sleep(0.05)

    admin.close()
    return RedisCluster(host="127.0.0.1", port=node.port, socket_timeout=2)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, prefix: str) -> t.Iterator[RevocationStore]:
    kind = request.param

    if kind == "memory":
        yield MemoryRevocationStore()
        return

    if kind == "redis_url":
        url = request.getfixturevalue("redis_url")
        store = RedisRevocationStore.from_url(url, prefix=prefix)
        yield store
        store.client.close()
        return

    if kind == "redis_client":
        import redis

        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)
        yield RedisRevocationStore(client, prefix=prefix)
        client.close()
        return

    client = request.getfixturevalue(f"{kind}_client")
    yield RedisRevocationStore(client, prefix=prefix)


@pytest.fixture(scope="module")
def sentinel_client() -> t.Iterator[t.Any]:
    from redis.sentinel import Sentinel

    with (
        start_server(RedisServer) as master,
        start_server(SentinelServer, master_port=master.port) as sentinel,
    ):
        watcher = Sentinel([("127.0.0.1", sentinel.port)], socket_timeout=2)
        client = watcher.master_for("main", socket_timeout=2)
        yield client
        client.close()


@pytest.fixture(scope="module")
def cluster_client() -> t.Iterator[t.Any]:
    with start_server(ClusterNode) as node:
        client = _cluster_client(node)
        yield client
        client.close()


def test_get_many_reads_missing_and_present_keys(store: RevocationStore) -> None:
    assert store.get_many(["t:a", "e:5:users:1"]) == [None, None]

    store.put("t:a", "revoked", 60)
    store.put("f:x", "revoked", 60)

    # Keys chosen to fall in different cluster slots.
    assert store.get_many(["t:a", "e:5:users:1", "f:x"]) == ["revoked", None, "revoked"]


def test_put_replaces(store: RevocationStore) -> None:
    store.put("e:5:users:1", "100", 60)
    store.put("e:5:users:1", "200", 60)

    assert store.get_many(["e:5:users:1"]) == ["200"]


def test_add_and_get_adds_once(store: RevocationStore) -> None:
    store.put("f:fam", "revoked", 60)

    first = store.add_and_get("t:r1", "retired", 60, ["e:5:users:1", "f:fam"])
    second = store.add_and_get("t:r1", "retired", 60, ["e:5:users:1", "f:fam"])

    assert first == (True, [None, "revoked"])
    assert second == (False, [None, "revoked"])
    assert store.get_many(["t:r1"]) == ["retired"]


def test_add_is_atomic_across_threads(store: RevocationStore) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def add() -> None:
        barrier.wait(5)
        results.append(store.add_and_get("t:race", "retired", 60, [])[0])

    threads = [threading.Thread(target=add) for _ in range(8)]

    for thread in threads:
        thread.start()

    for thread in threads:
        thread.join(10)

    assert sorted(results) == [False] * 7 + [True]


def test_entries_expire(store: RevocationStore) -> None:
    store.put("t:short", "revoked", 0.2)
    store.add_and_get("t:short2", "retired", 0.2, [])
    store.put("t:long", "revoked", 60)

    deadline = time.monotonic() + 10

    while store.get_many(["t:short", "t:short2"]) != [None, None]:
        assert time.monotonic() < deadline, "entries did not expire"
        time.sleep(0.05)

    assert store.get_many(["t:long"]) == ["revoked"]


def test_memory_store_drops_what_expired() -> None:
    store = MemoryRevocationStore()

    for index in range(200):
        store.put(f"t:{index}", "revoked", 0.01)

    store.put("e:5:users:1", "1", 60)

    for _ in range(300):  # the same key written again and again
        store.put("e:5:users:1", "2", 60)

    time.sleep(0.05)
    store.put("t:last", "revoked", 60)

    assert len(store) == 2
    assert len(store._deadlines) <= 2 * len(store._entries) + 64


def test_an_unreachable_redis_raises_the_store_error() -> None:
    from tests.servers import free_port

    store = RedisRevocationStore.from_url(f"redis://127.0.0.1:{free_port()}/0")

    with pytest.raises(RevocationStoreError, match="ConnectionError"):
        store.get_many(["t:a"])

    with pytest.raises(RevocationStoreError):
        store.put("t:a", "revoked", 10)

    with pytest.raises(RevocationStoreError):
        store.add_and_get("t:a", "retired", 10, ["f:b"])


def test_prefixes_keep_apps_apart(redis_url: str, prefix: str) -> None:
    one = RedisRevocationStore.from_url(redis_url, prefix=prefix + "one:")
    two = RedisRevocationStore.from_url(redis_url, prefix=prefix + "two:")

    one.put("e:5:users:1", "123", 60)

    assert two.get_many(["e:5:users:1"]) == [None]
    assert one.client.get(prefix + "one:e:5:users:1") == b"123"


def test_url_timeouts_default_short_and_can_be_set(redis_url: str) -> None:
    default = RedisRevocationStore.from_url(redis_url)
    chosen = RedisRevocationStore.from_url(redis_url + "?socket_timeout=2")

    kwargs = default.client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.5
    assert kwargs["socket_connect_timeout"] == 0.5
    assert chosen.client.connection_pool.connection_kwargs["socket_timeout"] == 2
