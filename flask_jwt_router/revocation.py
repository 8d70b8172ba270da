"""Revocation stores: where revoked tokens and "log out everywhere" marks live.

A store is a small key-value interface with expiring entries. The extension
decides what the keys and values mean (see ``sessions.py``); a store only has
to keep them until they expire and answer a lookup in one round trip.
"""

from __future__ import annotations

import abc
import heapq
import threading
import time
import typing as t
from urllib.parse import parse_qs, urlsplit

from .errors import ConfigurationError

if t.TYPE_CHECKING:
    import redis

#: The URL schemes ``JWT_ROUTER_REVOCATION_STORE`` reads as a Redis address.
REDIS_SCHEMES = ("redis", "rediss", "unix")

#: Socket timeout, in seconds, of a Redis client the library builds from a
#: URL, unless the URL sets ``socket_timeout`` itself.
DEFAULT_REDIS_TIMEOUT = 0.5


class RevocationStoreError(Exception):
    """The store could not be reached or did not answer in time.

    Stores raise it instead of their driver's exception; the extension then
    answers 503 (or lets the request through, with
    ``JWT_ROUTER_REVOCATION_FAIL_OPEN``).
    """


class RevocationStore(abc.ABC):
    """Keeps short string values under string keys until they expire.

    Implementations must be safe to use from many threads at once, and every
    method is one round trip to wherever the data lives. Keys arrive without
    a namespace; a store shared by several apps adds its own prefix.

    .. versionadded:: 1.0
    """

    @abc.abstractmethod
    def get_many(self, keys: t.Sequence[str]) -> list[str | None]:
        """Return the value of each key, ``None`` for a missing or expired one.

        :raises RevocationStoreError: when the store cannot answer.
        """

    @abc.abstractmethod
    def put(self, key: str, value: str, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any.

        :raises RevocationStoreError: when the store cannot answer.
        """

    @abc.abstractmethod
    def add_and_get(
        self, key: str, value: str, ttl: float, keys: t.Sequence[str]
    ) -> tuple[bool, list[str | None]]:
        """Store ``value`` under ``key`` only if ``key`` is absent, then read ``keys``.

        Both happen in one round trip; the first is atomic, so of two
        callers adding the same key at once exactly one gets ``True``.
        ``keys`` may include ``key``: it is read after the add.

        :return: whether the value was added, and the values of ``keys``.
        :raises RevocationStoreError: when the store cannot answer.
        """


class MemoryRevocationStore(RevocationStore):
    """A store inside the process: the default, for an app that runs as one process.

    Every worker process of a server (gunicorn with several workers, uWSGI
    processes, several machines) has its own, so a token revoked in one is
    still accepted by the others: use :class:`RedisRevocationStore` there.

    Entries expire by themselves; expired ones are dropped as new ones are
    written, so the store never holds more than what is still in force.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> (value, monotonic deadline)
        self._entries: dict[str, tuple[str, float]] = {}
        # (deadline, key), to drop entries in the order they expire.
        self._deadlines: list[tuple[float, str]] = []

    def __len__(self) -> int:
        with self._lock:
            self._purge(time.monotonic())
            return len(self._entries)

    def get_many(self, keys: t.Sequence[str]) -> list[str | None]:
        if not self._entries:  # the common case when nothing is revoked
            return [None] * len(keys)

        now = time.monotonic()

        with self._lock:
            return [self._get(key, now) for key in keys]

    def put(self, key: str, value: str, ttl: float) -> None:
        now = time.monotonic()

        with self._lock:
            self._purge(now)
            self._set(key, value, now + ttl)

    def add_and_get(
        self, key: str, value: str, ttl: float, keys: t.Sequence[str]
    ) -> tuple[bool, list[str | None]]:
        now = time.monotonic()

        with self._lock:
            self._purge(now)
            added = self._get(key, now) is None

            if added:
                self._set(key, value, now + ttl)

            return added, [self._get(other, now) for other in keys]

    def _get(self, key: str, now: float) -> str | None:
        entry = self._entries.get(key)

        if entry is None or entry[1] <= now:
            return None

        return entry[0]

    def _set(self, key: str, value: str, deadline: float) -> None:
        self._entries[key] = (value, deadline)
        heapq.heappush(self._deadlines, (deadline, key))

    def _purge(self, now: float) -> None:
        deadlines = self._deadlines

        while deadlines and deadlines[0][0] <= now:
            deadline, key = heapq.heappop(deadlines)
            entry = self._entries.get(key)

            # A key written again later has a later deadline; keep it.
            if entry is not None and entry[1] == deadline:
                del self._entries[key]

        # Keys written many times leave stale deadlines behind; rebuild
        # the heap when they outnumber the live entries.
        if len(deadlines) > 2 * len(self._entries) + 64:
            self._deadlines = [(entry[1], key) for key, entry in self._entries.items()]
            heapq.heapify(self._deadlines)


class RedisRevocationStore(RevocationStore):
    """A store in Redis, shared by every process and machine that uses it.

    Give it a client the app builds (``redis.Redis``, a Sentinel's
    ``master_for(...)``, or ``redis.cluster.RedisCluster``), or build it from
    a URL with :meth:`from_url`. Each entry is a Redis key with a TTL, so
    Redis drops it by itself when the token it blocks would have expired.

    Every method is one command or one pipeline. Keep the client's
    ``socket_timeout`` short (half a second or so) and its retries few: a
    request waits for the store before it is answered.

    :param client: a redis-py client.
    :param prefix: put before every key, so that several apps can share one
        Redis database; apps that share one must each use their own.
    """

    def __init__(self, client: redis.Redis | t.Any, prefix: str = "jwt_router:"):
        import redis.exceptions

        self.client = client
        self.prefix = prefix
        self._errors = (redis.exceptions.RedisError, OSError)
        # A cluster refuses MGET over keys in different slots; redis-py
        # splits the keys by slot with mget_nonatomic.
        self._mget = getattr(client, "mget_nonatomic", None) or client.mget

    @classmethod
    def from_url(cls, url: str, prefix: str = "jwt_router:") -> RedisRevocationStore:
        """Build a store around a new client for ``url``.

        ``redis://``, ``rediss://`` and ``unix://`` URLs are read by redis-py,
        including options in the query string. Unless the URL sets them, the
        socket timeouts are :data:`DEFAULT_REDIS_TIMEOUT` and a failed
        connection is tried once more at once (a connection left broken by a
        Redis restart), never after a timeout.
        """
        _require_redis()

        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options: dict[str, t.Any] = {
            "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        }
        given = parse_qs(urlsplit(url).query)

        for name in ("socket_timeout", "socket_connect_timeout"):
            if name not in given:
                options[name] = DEFAULT_REDIS_TIMEOUT

        return cls(redis.Redis.from_url(url, **options), prefix=prefix)

    def get_many(self, keys: t.Sequence[str]) -> list[str | None]:
        try:
            values = self._mget([self.prefix + key for key in keys])
        except self._errors as exc:
            raise RevocationStoreError(_describe(exc)) from exc

        return [_text(value) for value in values]

    def put(self, key: str, value: str, ttl: float) -> None:
        try:
            self.client.set(self.prefix + key, value, px=_millis(ttl))
        except self._errors as exc:
            raise RevocationStoreError(_describe(exc)) from exc

    def add_and_get(
        self, key: str, value: str, ttl: float, keys: t.Sequence[str]
    ) -> tuple[bool, list[str | None]]:
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self.prefix + key, value, px=_millis(ttl), nx=True)

            for other in keys:
                pipe.get(self.prefix + other)

            added, *values = pipe.execute()
        except self._errors as exc:
            raise RevocationStoreError(_describe(exc)) from exc

        return bool(added), [_text(value) for value in values]


def store_from_setting(value: object, prefix: str) -> RevocationStore | None:
    """Build the store ``JWT_ROUTER_REVOCATION_STORE`` names; ``None`` when off.

    :raises ConfigurationError: naming the setting and what it accepts.
    """
    if value is None or value is False or value == "off":
        return None

    if isinstance(value, RevocationStore):
        return value

    if value == "memory":
        return MemoryRevocationStore()

    if isinstance(value, str) and _is_redis_url(value):
        try:
            return RedisRevocationStore.from_url(value, prefix=prefix)
        except ValueError as error:
            # redis-py's message may quote the URL, password included.
            raise ConfigurationError(
                f"JWT_ROUTER_REVOCATION_STORE is a Redis URL that cannot be read"
                f" ({type(error).__name__}): check its host, port and query"
                f" options, such as redis://127.0.0.1:6379/0; got {_redact(value)}."
            ) from None

    shown = _redact(value) if isinstance(value, str) else repr(value)
    raise ConfigurationError(
        f"JWT_ROUTER_REVOCATION_STORE must be 'memory', a redis:// (or rediss://,"
        f" unix://) URL, a RevocationStore object, or None to switch revocation"
        f" off; got {shown}."
    )


def check_setting(value: object) -> None:
    """Check ``JWT_ROUTER_REVOCATION_STORE`` without connecting anywhere."""
    if _is_redis_url(value):
        _require_redis()
        return

    store_from_setting(value, "")


def _require_redis() -> None:
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            "JWT_ROUTER_REVOCATION_STORE is a Redis URL, but the redis package"
            " is not installed; install flask-jwt-router[redis]."
        ) from exc


def _is_redis_url(value: object) -> bool:
    # By its scheme alone: urlsplit() itself refuses some malformed URLs, and
    # those must reach from_url's error handling.
    return isinstance(value, str) and value.split(":", 1)[0].lower() in REDIS_SCHEMES


def _millis(ttl: float) -> int:
    return max(1, int(ttl * 1000))


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode()

    return t.cast("str | None", value)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _redact(url: str) -> str:
    # A URL may carry a password; show its scheme only. Split by hand:
    # urlsplit() refuses some malformed URLs, the very ones reported here.
    scheme, colon, _ = url.partition(":")
    return f"a string starting with {scheme + '://'!r}" if colon else repr(url)
