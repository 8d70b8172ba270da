"""JSON Web Key Sets: publishing the app's public keys, and verifying with
the keys another service publishes."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import threading
import time
import typing as t
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from flask import Response, request
from jwt.api_jwk import PyJWK
from jwt.exceptions import PyJWTError

from . import errors
from .keys import ASYMMETRIC_ALGORITHMS, MIN_RSA_BITS, Key, KeyRing

logger = logging.getLogger(__name__)

#: ``Content-Type`` of a JWK Set (RFC 7517, 8.5).
JWKS_MIMETYPE = "application/jwk-set+json"

DEFAULT_MAX_AGE = 600
DEFAULT_CACHE_SECONDS = 300
DEFAULT_TIMEOUT = 5.0
#: However often unknown kids arrive, the key set is fetched at most this
#: often, so that forged tokens cannot make the app hammer the other service.
MIN_REFRESH_SECONDS = 30.0
#: While no key set is held, a failed fetch is retried at most this often.
RETRY_SECONDS = 5.0
#: A key set larger than this is refused.
MAX_DOCUMENT_BYTES = 512 * 1024

ENDPOINT = "flask_jwt_router_jwks"


# -- publishing --------------------------------------------------------------


def endpoint_path(config: t.Mapping[str, t.Any]) -> str | None:
    """``JWT_ROUTER_JWKS_PATH``, validated; ``None`` when it is not set."""
    path = config.get("JWT_ROUTER_JWKS_PATH")

    if path is None or path is False:
        return None

    if not isinstance(path, str) or not path.startswith("/"):
        raise errors.ConfigurationError(
            "JWT_ROUTER_JWKS_PATH must be a path starting with '/', such as"
            f" '/.well-known/jwks.json', got {path!r}."
        )

    return path


def max_age(config: t.Mapping[str, t.Any]) -> int:
    """``JWT_ROUTER_JWKS_MAX_AGE``: seconds clients may cache the key set."""
    value = config.get("JWT_ROUTER_JWKS_MAX_AGE", DEFAULT_MAX_AGE)

    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise errors.ConfigurationError(
            "JWT_ROUTER_JWKS_MAX_AGE must be a whole number of seconds (0 or"
            f" more), got {value!r}."
        )

    return value


class PublishedKeySet:
    """The app's JWK Set as served: body and ETag computed once."""

    def __init__(self, ring: KeyRing, max_age: int) -> None:
        document = ring.public_jwks()

        if not document["keys"]:
            raise errors.ConfigurationError(
                "JWT_ROUTER_JWKS_PATH is set, but the app has no public key to"
                " publish: HMAC secrets are never published. Use an asymmetric"
                " algorithm (JWT_ROUTER_ALGORITHM = 'RS256', 'ES256', 'EdDSA',"
                " ...) with JWT_ROUTER_PRIVATE_KEY, or remove JWT_ROUTER_JWKS_PATH."
            )

        self.body = json.dumps(document, separators=(",", ":"), sort_keys=True)
        self.etag = hashlib.sha256(self.body.encode("utf-8")).hexdigest()[:32]
        self.cache_control = f"public, max-age={max_age}"

    def response(self) -> Response:
        """The response for the current request, 304 when the ETag matches."""
        response = Response(self.body, mimetype=JWKS_MIMETYPE)
        response.headers["Cache-Control"] = self.cache_control
        response.set_etag(self.etag)
        return t.cast(Response, response.make_conditional(request))


# -- verifying with a remote key set ------------------------------------------


def remote_key_set(
    config: t.Mapping[str, t.Any], algorithm: str
) -> RemoteKeySet | None:
    """The remote key set named by ``JWT_ROUTER_JWKS_URL``, or ``None``."""
    url = config.get("JWT_ROUTER_JWKS_URL")

    if url is None:
        return None

    if algorithm not in ASYMMETRIC_ALGORITHMS:
        raise errors.ConfigurationError(
            f"JWT_ROUTER_JWKS_URL is set, but JWT_ROUTER_ALGORITHM is {algorithm}:"
            " a published key set holds public keys, which only asymmetric"
            " algorithms use. Set JWT_ROUTER_ALGORITHM to the algorithm the"
            " other service signs with, such as 'RS256'."
        )

    _check_url(url)
    cache = _positive(config, "JWT_ROUTER_JWKS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    timeout = _positive(config, "JWT_ROUTER_JWKS_TIMEOUT", DEFAULT_TIMEOUT)
    min_refresh = _positive(
        config, "JWT_ROUTER_JWKS_MIN_REFRESH_SECONDS", MIN_REFRESH_SECONDS
    )
    return RemoteKeySet(
        url, algorithm, cache_seconds=cache, timeout=timeout, min_refresh=min_refresh
    )


def _check_url(url: object) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None

    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        raise errors.ConfigurationError(
            "JWT_ROUTER_JWKS_URL must be an https:// URL such as"
            f" 'https://auth.example.com/.well-known/jwks.json', got {url!r}."
        )

    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise errors.ConfigurationError(
            f"JWT_ROUTER_JWKS_URL is {url!r}: keys fetched over plain http could be"
            " replaced on the way, and then anyone could sign tokens. Use https"
            " (plain http is accepted for 127.0.0.1 and localhost only)."
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive(config: t.Mapping[str, t.Any], name: str, default: float) -> float:
    value = config.get(name, default)

    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise errors.ConfigurationError(
            f"{name} must be a positive number of seconds, got {value!r}."
        )

    return float(value)


class RemoteKeySet:
    """Public keys fetched from a JWKS URL and kept for a while.

    The set is fetched on first use, again when it is older than
    ``cache_seconds``, and when a token names a ``kid`` it does not hold; never
    more often than once every ``min_refresh`` seconds, whatever tokens
    arrive. When a fetch fails the keys
    already held keep working; with none held, the request is answered 503.
    Only keys usable with ``algorithm`` are taken; symmetric keys never are.
    """

    def __init__(
        self,
        url: str,
        algorithm: str,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        timeout: float = DEFAULT_TIMEOUT,
        min_refresh: float = MIN_REFRESH_SECONDS,
    ) -> None:
        self.url = url
        self.min_refresh = min_refresh
        self.algorithm = algorithm
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._keys: dict[str, Key] | None = None
        self._fetched_at = -float("inf")
        self._tried_at = -float("inf")
        self._failed_at = -float("inf")
        #: Counts the fetches that ended, successful or not.
        self._generation = 0
        self._lock = threading.Lock()

    def find(self, kid: str) -> Key | None:
        """The key named ``kid``, fetching the set when needed.

        :raises KeySetUnavailable: when no key set could be fetched yet.
        """
        now = time.monotonic()
        # The generation is read before the keys: if a fetch completes in
        # between, _refresh sees the generation moved and takes its result.
        generation = self._generation
        keys = self._keys
        since_try = now - self._tried_at

        if keys is None:
            if now - self._failed_at < min(self.min_refresh, RETRY_SECONDS):
                raise errors.KeySetUnavailable()

            keys = self._refresh(generation)
        elif since_try >= self.min_refresh and (
            kid not in keys or now - self._fetched_at >= self.cache_seconds
        ):
            keys = self._refresh(generation)

        return keys.get(kid)

    def _refresh(self, generation: int) -> dict[str, Key]:
        """Fetch the set, unless a fetch ended since ``generation`` was read."""
        held = self._keys

        # One thread fetches; the others keep using what is held, and wait
        # only when nothing is held yet.
        if not self._lock.acquire(blocking=held is None):
            return t.cast(dict[str, Key], held)

        try:
            if self._generation != generation:
                # Another thread fetched while this one waited: use its result.
                if self._keys is None:
                    raise errors.KeySetUnavailable()

                return self._keys

            self._tried_at = time.monotonic()

            try:
                self._keys = self._fetch()
                self._fetched_at = self._tried_at
            except _FetchError as exc:
                self._failed_at = self._tried_at
                logger.warning("Fetching the key set %s failed: %s", self.url, exc)
            finally:
                self._generation += 1

            if self._keys is None:
                raise errors.KeySetUnavailable()

            return self._keys
        finally:
            self._lock.release()

    def _fetch(self) -> dict[str, Key]:
        document = _download(self.url, self.timeout)
        found = document.get("keys") if isinstance(document, dict) else None

        if not isinstance(found, list):
            raise _FetchError("the document has no 'keys' list")

        keys: dict[str, Key] = {}

        for entry in found:
            key = self._key(entry)

            if key is not None and key.kid not in keys:
                keys[t.cast(str, key.kid)] = key

        return keys

    def _key(self, jwk: object) -> Key | None:
        if not isinstance(jwk, dict):
            return None

        kid = jwk.get("kid")

        if not isinstance(kid, str) or not kid:
            return None  # nothing could pick it

        if jwk.get("alg", self.algorithm) != self.algorithm:
            return None  # meant for another algorithm

        if jwk.get("use", "sig") != "sig" or "d" in jwk or jwk.get("kty") == "oct":
            logger.warning(
                "Key %r of %s is not a public signing key; it is ignored.",
                kid,
                self.url,
            )
            return None

        try:
            parsed = PyJWK(jwk, algorithm=self.algorithm)
            public = parsed.Algorithm.prepare_key(parsed.key)
        except (PyJWTError, ValueError, TypeError, KeyError):
            logger.warning(
                "Key %r of %s does not fit %s; it is ignored.",
                kid,
                self.url,
                self.algorithm,
            )
            return None

        bits = getattr(public, "key_size", None)

        if self.algorithm[:2] in ("RS", "PS") and bits and bits < MIN_RSA_BITS:
            logger.warning(
                "Key %r of %s is a %d-bit RSA key, shorter than %d; it is ignored.",
                kid,
                self.url,
                bits,
                MIN_RSA_BITS,
            )
            return None

        return Key(kid, self.algorithm, public, None, self.url)


class _FetchError(Exception):
    pass


def _download(url: str, timeout: float) -> object:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})

    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310
            body = answer.read(MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _FetchError(type(exc).__name__ + ": " + str(exc)) from None

    if len(body) > MAX_DOCUMENT_BYTES:
        raise _FetchError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")

    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise _FetchError("the document is not JSON") from None
