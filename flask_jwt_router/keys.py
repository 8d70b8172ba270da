"""Signing keys: algorithms, loading and checking key material, the key ring.

Everything here runs once per app, at startup. What the per-request code gets
is a :class:`KeyRing` of :class:`Key` objects whose key material is already
parsed and checked, so that verifying a token parses no PEM and checks no
length.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import typing as t
import warnings

from jwt.algorithms import Algorithm, HMACAlgorithm, get_default_algorithms
from jwt.exceptions import InvalidKeyError, PyJWTError
from jwt.utils import base64url_encode

from .errors import ConfigurationError

if t.TYPE_CHECKING:
    from .jwks import RemoteKeySet

#: HMAC algorithms and the length, in bytes, of their hash: RFC 7518 (3.2)
#: asks for a secret at least that long.
HMAC_ALGORITHMS: dict[str, int] = {"HS256": 32, "HS384": 48, "HS512": 64}

#: Algorithms that need ``cryptography``: a private key signs, a public key
#: verifies.
ASYMMETRIC_ALGORITHMS = frozenset(
    {
        *("RS256", "RS384", "RS512"),
        *("PS256", "PS384", "PS512"),
        *("ES256", "ES384", "ES512"),
        "EdDSA",
    }
)

ALGORITHMS = frozenset({*HMAC_ALGORITHMS, *ASYMMETRIC_ALGORITHMS})

DEFAULT_ALGORITHM = "HS256"

#: RSA keys shorter than this are refused (RFC 7518, 3.3).
MIN_RSA_BITS = 2048

#: Longest ``kid`` accepted in configuration.
MAX_KID_LENGTH = 256

_RING_ENTRY_FIELDS = frozenset(
    {"kid", "algorithm", "secret", "private_key", "public_key"}
)

#: Config keys whose values decide the keys; used to notice a change between
#: ``init_app`` and the first request.
KEY_CONFIG = (
    "JWT_ROUTER_ALGORITHM",
    "JWT_ROUTER_SECRET_KEY",
    "SECRET_KEY",
    "JWT_ROUTER_PRIVATE_KEY",
    "JWT_ROUTER_PUBLIC_KEY",
    "JWT_ROUTER_KEY_ID",
    "JWT_ROUTER_KEYS",
    "JWT_ROUTER_CURRENT_KEY_ID",
    "JWT_ROUTER_STRICT_KEYS",
    "JWT_ROUTER_JWKS_URL",
    "JWT_ROUTER_JWKS_CACHE_SECONDS",
    "JWT_ROUTER_JWKS_TIMEOUT",
    "JWT_ROUTER_JWKS_MIN_REFRESH_SECONDS",
)


class InsecureKeyWarning(UserWarning):
    """A key works but is weaker than its algorithm needs.

    Emitted once per app at startup, never per request. Set
    ``JWT_ROUTER_STRICT_KEYS = True`` to make it a
    :class:`~flask_jwt_router.ConfigurationError` instead.
    """


class PreparedSecret(bytes):
    """An HMAC secret that was checked at startup.

    PyJWT re-checks an HMAC secret on every call (is it a PEM, a DER key, a
    JWK?); those checks have run once already when a secret is of this type.
    """


class _CheckedOnceHMAC(HMACAlgorithm):
    # PyJWT vets and converts the key on every encode and decode (PEM, SSH,
    # DER and JWK checks: about a third of the cost of signing a token). The
    # secrets of a key ring were vetted at startup (PreparedSecret); any other
    # key is vetted once per key object and the result kept.
    def __init__(self, hash_alg: t.Any) -> None:
        super().__init__(hash_alg)
        self._prepared: tuple[str | bytes, bytes] | None = None

    def prepare_key(self, key: str | bytes) -> bytes:
        if type(key) is PreparedSecret:
            return key

        prepared = self._prepared

        if prepared is not None and prepared[0] is key:
            return prepared[1]

        key_bytes = super().prepare_key(key)
        self._prepared = (key, key_bytes)
        return key_bytes

    def check_key_length(self, key: bytes) -> str | None:
        # Checked once at startup; a per-request warning would be noise at
        # best and, under ``-W error``, a 500.
        return None


def hmac_algorithm(name: str) -> HMACAlgorithm:
    """The PyJWT algorithm object for an HMAC algorithm, checks run once."""
    hashes = {
        "HS256": HMACAlgorithm.SHA256,
        "HS384": HMACAlgorithm.SHA384,
        "HS512": HMACAlgorithm.SHA512,
    }
    return _CheckedOnceHMAC(hashes[name])


@dataclasses.dataclass(frozen=True, eq=False)
class Key:
    """One key of the ring, with its material parsed and checked."""

    #: The ``kid`` written in the header of tokens it signs; ``None`` for a
    #: key that signs and verifies tokens without one (as 0.2 made them).
    kid: str | None
    algorithm: str
    #: What verifies: the HMAC secret, or a public key object.
    verifying_key: t.Any = dataclasses.field(repr=False)
    #: What signs: the HMAC secret, a private key object, or ``None`` for a
    #: key that only verifies (a retired key, a public key alone).
    signing_key: t.Any = dataclasses.field(repr=False, default=None)
    #: Where it was configured, for messages: ``"JWT_ROUTER_KEYS[1]"``.
    source: str = ""
    #: ``[algorithm]``, the allow-list passed to PyJWT.
    algorithms: list[str] = dataclasses.field(init=False, repr=False)
    #: ``{"kid": kid}``, the header of the tokens it signs.
    headers: dict[str, str] | None = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Built once here so that encoding and decoding allocate nothing.
        object.__setattr__(self, "algorithms", [self.algorithm])
        headers = None if self.kid is None else {"kid": self.kid}
        object.__setattr__(self, "headers", headers)

    @property
    def can_sign(self) -> bool:
        return self.signing_key is not None

    @property
    def is_asymmetric(self) -> bool:
        return self.algorithm in ASYMMETRIC_ALGORITHMS

    def public_jwk(self) -> dict[str, t.Any] | None:
        """The key as a public JWK (RFC 7517), or ``None`` for an HMAC secret."""
        if not self.is_asymmetric:
            return None

        jwk = _algorithm(self.algorithm).to_jwk(self.verifying_key, as_dict=True)
        jwk.update(alg=self.algorithm, use="sig")

        if self.kid is not None:
            jwk["kid"] = self.kid

        return dict(jwk)


class KeyRing:
    """The keys of one app: the one that signs and all that verify.

    :param keys: every local key, the current one among them.
    :param current: the key new tokens are signed with, or ``None`` for an
        app that only verifies.
    :param remote: keys fetched from ``JWT_ROUTER_JWKS_URL``, asked for a
        ``kid`` that no local key has.
    :param lone_key_takes_any: the app configured one key without a ring
        (``JWT_ROUTER_SECRET_KEY``, ``JWT_ROUTER_PRIVATE_KEY``...): it also
        verifies tokens without a ``kid``, as 0.2 issued them. In a ring only
        an entry without a ``kid`` does.
    """

    def __init__(
        self,
        keys: t.Sequence[Key],
        current: Key | None,
        remote: RemoteKeySet | None = None,
        lone_key_takes_any: bool = False,
    ) -> None:
        self.keys = tuple(keys)
        self.current = current
        self.remote = remote
        self._by_kid = {key.kid: key for key in keys if key.kid is not None}
        self._kidless = next((key for key in keys if key.kid is None), None)

        if lone_key_takes_any and len(self.keys) == 1:
            self._kidless = self.keys[0]

        #: The key to use without reading the token's header first: set when
        #: one key verifies every token, with or without its kid.
        self.single: Key | None = None

        if len(self.keys) == 1 and remote is None and self._kidless is not None:
            self.single = self.keys[0]

    def find(self, kid: object) -> Key | None:
        """The key for a token whose header names ``kid`` (``None``: none)."""
        if kid is None:
            return self._kidless

        if not isinstance(kid, str):
            return None

        key = self._by_kid.get(kid)

        if key is None and self.remote is not None:
            key = self.remote.find(kid)

        return key

    def public_jwks(self) -> dict[str, t.Any]:
        """The JWK Set of every local asymmetric key's public half."""
        found = (key.public_jwk() for key in self.keys)
        return {"keys": [jwk for jwk in found if jwk is not None]}


# -- loading -----------------------------------------------------------------


def snapshot(config: t.Mapping[str, t.Any]) -> tuple[t.Any, ...]:
    """The config values that decide the keys, to compare later."""
    return tuple(copy.deepcopy(config.get(name)) for name in KEY_CONFIG)


def load_key_ring(
    config: t.Mapping[str, t.Any],
) -> tuple[KeyRing, list[str]]:
    """Read, parse and check the app's keys.

    :returns: the ring, and the weaknesses to report (see
        :func:`report_weak_keys`).
    :raises ConfigurationError: naming the setting, what was expected and the
        fix. Messages never contain key material.
    """
    from .jwks import remote_key_set

    algorithm = parse_algorithm(config.get("JWT_ROUTER_ALGORITHM"))
    remote = remote_key_set(config, algorithm)
    weak: list[str] = []

    if config.get("JWT_ROUTER_KEYS") is not None:
        keys = _ring_keys(config, algorithm, weak)
        current = _current_key(config, keys)
    else:
        key = _single_key(config, algorithm, remote is not None, weak)
        keys = [] if key is None else [key]
        current = key if key is not None and key.can_sign else None
        return KeyRing(keys, current, remote, lone_key_takes_any=True), weak

    return KeyRing(keys, current, remote), weak


def report_weak_keys(
    weak: t.Sequence[str], config: t.Mapping[str, t.Any], stacklevel: int = 2
) -> None:
    """Warn once about each weakness, or raise when strict keys are asked for.

    :raises ConfigurationError: when ``JWT_ROUTER_STRICT_KEYS`` is true.
    """
    if not weak:
        return

    if config.get("JWT_ROUTER_STRICT_KEYS", False):
        raise ConfigurationError(
            " ".join(weak) + " JWT_ROUTER_STRICT_KEYS is on, so this is an error."
        )

    for message in weak:
        warnings.warn(message, InsecureKeyWarning, stacklevel=stacklevel + 1)


def parse_algorithm(value: object) -> str:
    """Validate ``JWT_ROUTER_ALGORITHM``; the default is HS256."""
    if value is None:
        return DEFAULT_ALGORITHM

    known = {name.lower(): name for name in ALGORITHMS}
    name = known.get(value.strip().lower()) if isinstance(value, str) else None

    if name is None:
        raise ConfigurationError(
            f"JWT_ROUTER_ALGORITHM must be one of {', '.join(sorted(ALGORITHMS))},"
            f" got {value!r}. Remove it to use {DEFAULT_ALGORITHM}."
        )

    if name in ASYMMETRIC_ALGORITHMS:
        require_cryptography(f"JWT_ROUTER_ALGORITHM = {name!r}")

    return name


def require_cryptography(what: str) -> None:
    """Fail at startup when ``cryptography`` is missing for ``what``."""
    from jwt.algorithms import has_crypto

    if not has_crypto:
        raise ConfigurationError(
            f"{what} needs the 'cryptography' package, which is not installed."
            " Install it with: pip install 'flask-jwt-router[crypto]'."
        )


def _single_key(
    config: t.Mapping[str, t.Any],
    algorithm: str,
    has_remote: bool,
    weak: list[str],
) -> Key | None:
    kid = _kid(config.get("JWT_ROUTER_KEY_ID"), "JWT_ROUTER_KEY_ID", optional=True)

    if algorithm in HMAC_ALGORITHMS:
        for name in ("JWT_ROUTER_PRIVATE_KEY", "JWT_ROUTER_PUBLIC_KEY"):
            if config.get(name) is not None:
                raise ConfigurationError(
                    f"{name} is set, but JWT_ROUTER_ALGORITHM is {algorithm}, which"
                    " signs with a shared secret (JWT_ROUTER_SECRET_KEY or"
                    f" SECRET_KEY). Set JWT_ROUTER_ALGORITHM to an asymmetric"
                    f" algorithm such as 'RS256' or 'EdDSA', or remove {name}."
                )

        secret, source = secret_key(config)
        prepared = _hmac_secret(secret, algorithm, source, weak)
        return Key(kid, algorithm, prepared, prepared, source)

    if config.get("JWT_ROUTER_SECRET_KEY") is not None:
        raise ConfigurationError(
            f"JWT_ROUTER_SECRET_KEY is set, but JWT_ROUTER_ALGORITHM is {algorithm},"
            " which signs with a private key. Set JWT_ROUTER_PRIVATE_KEY (and"
            " optionally JWT_ROUTER_PUBLIC_KEY) instead, or choose an HMAC"
            " algorithm such as 'HS256'."
        )

    private = config.get("JWT_ROUTER_PRIVATE_KEY")
    public = config.get("JWT_ROUTER_PUBLIC_KEY")

    if private is None and public is None:
        if has_remote:
            return None

        raise ConfigurationError(
            f"JWT_ROUTER_ALGORITHM is {algorithm}, but no key is configured. Set"
            " JWT_ROUTER_PRIVATE_KEY to a PEM private key (the text or a file"
            " path) to sign and verify tokens, or JWT_ROUTER_PUBLIC_KEY (or"
            " JWT_ROUTER_JWKS_URL) to only verify them."
        )

    key = _asymmetric_key(
        kid,
        algorithm,
        private,
        public,
        ("JWT_ROUTER_PRIVATE_KEY", "JWT_ROUTER_PUBLIC_KEY"),
    )

    if kid is None:
        # Services that verify with a published key set find the key by its
        # kid; the RFC 7638 thumbprint names it without any configuration.
        key = dataclasses.replace(key, kid=thumbprint(key))

    return key


def secret_key(config: t.Mapping[str, t.Any]) -> tuple[str | bytes, str]:
    """The HMAC secret: ``JWT_ROUTER_SECRET_KEY``, else ``SECRET_KEY``.

    :returns: the secret and the name of the setting it came from.
    """
    source = "JWT_ROUTER_SECRET_KEY"
    key = config.get(source)

    if key is None or key == "" or key == b"":
        source = "SECRET_KEY"
        key = config.get(source)

    if key is None or key == "" or key == b"":
        raise ConfigurationError(
            "SECRET_KEY is not set. flask-jwt-router signs tokens with it: set"
            " app.config['SECRET_KEY'] (or JWT_ROUTER_SECRET_KEY) to a long random"
            " string, for example secrets.token_hex(32), before calling init_app."
        )

    if not isinstance(key, (str, bytes)):
        raise ConfigurationError(
            f"{source} must be a str or bytes, got {type(key).__name__}."
            " Set it to a long random string."
        )

    return key, source


def _hmac_secret(
    secret: str | bytes, algorithm: str, source: str, weak: list[str]
) -> PreparedSecret:
    try:
        prepared = hmac_algorithm(algorithm).prepare_key(secret)
    except (InvalidKeyError, ValueError, TypeError):
        raise ConfigurationError(
            f"{source} looks like an asymmetric key or a JWK, which must not be"
            f" used as an {algorithm} secret (anyone holding the public half"
            " could sign tokens). Use a long random string, or set"
            " JWT_ROUTER_ALGORITHM to an asymmetric algorithm and the key in"
            " JWT_ROUTER_PRIVATE_KEY."
        ) from None

    needed = HMAC_ALGORITHMS[algorithm]

    if len(prepared) < needed:
        weak.append(
            f"{source} is {len(prepared)} bytes long; {algorithm} needs a secret"
            f" of at least {needed} bytes (RFC 7518, 3.2). Short secrets can be"
            f" guessed offline from any token. Use secrets.token_hex({needed})."
        )

    return PreparedSecret(prepared)


def _asymmetric_key(
    kid: str | None,
    algorithm: str,
    private: object,
    public: object,
    names: tuple[str, str],
) -> Key:
    require_cryptography(f"{algorithm} keys ({names[0]})")
    private_name, public_name = names
    signing = None
    verifying = None

    if private is not None:
        signing = _load_pem(private, algorithm, private_name, want_private=True)
        verifying = signing.public_key()

    if public is not None:
        loaded = _load_pem(public, algorithm, public_name, want_private=False)

        if verifying is not None and _spki(loaded) != _spki(verifying):
            raise ConfigurationError(
                f"{public_name} is not the public half of {private_name}. Remove"
                f" {public_name} (it is derived from the private key) or set the"
                " matching pair."
            )

        verifying = loaded

    return Key(kid, algorithm, verifying, signing, private_name)


def _load_pem(value: object, algorithm: str, name: str, want_private: bool) -> t.Any:
    data, origin = _pem_bytes(value, name)

    try:
        key = _algorithm(algorithm).prepare_key(data)
    except (InvalidKeyError, ValueError, TypeError, PyJWTError):
        raise ConfigurationError(
            f"{name} ({origin}) is not a PEM key that fits {algorithm}:"
            f" {_fits(algorithm)}. Check the algorithm and the key file."
        ) from None
    except Exception as exc:  # cryptography's UnsupportedAlgorithm and kin
        raise ConfigurationError(
            f"{name} ({origin}) could not be loaded for {algorithm}"
            f" ({type(exc).__name__}). {_fits(algorithm).capitalize()}."
        ) from None

    is_private = hasattr(key, "public_key")

    if want_private and not is_private:
        raise ConfigurationError(
            f"{name} ({origin}) holds a public key; it must be the private key"
            " that signs. Put the public key in JWT_ROUTER_PUBLIC_KEY (or a"
            " ring entry's 'public_key') to only verify."
        )

    if not want_private and is_private:
        raise ConfigurationError(
            f"{name} ({origin}) holds a private key; it must be a public key."
            " Put the private key in JWT_ROUTER_PRIVATE_KEY (or a ring entry's"
            " 'private_key')."
        )

    bits = getattr(key, "key_size", None)

    if algorithm[:2] in ("RS", "PS") and bits is not None and bits < MIN_RSA_BITS:
        raise ConfigurationError(
            f"{name} ({origin}) is a {bits}-bit RSA key; {algorithm} needs at"
            f" least {MIN_RSA_BITS} bits. Generate a new key of 2048 bits or more."
        )

    return key


def _pem_bytes(value: object, name: str) -> tuple[bytes, str]:
    """The PEM bytes of ``value`` (PEM text or a file path) and where from."""
    if isinstance(value, bytes):
        return value, "PEM text"

    if isinstance(value, str) and _looks_like_key_text(value):
        return value.encode("utf-8"), "PEM text"

    if not isinstance(value, (str, os.PathLike)):
        raise ConfigurationError(
            f"{name} must be PEM text (str or bytes) or the path of a PEM file,"
            f" got {type(value).__name__}."
        )

    path = os.fspath(value)

    try:
        with open(path, "rb") as file:
            return file.read(), f"file {path!r}"
    except OSError as exc:
        raise ConfigurationError(
            f"{name} names the file {path!r}, which cannot be read"
            f" ({exc.strerror}). Give the path of a PEM key file, or the PEM text."
        ) from None


def _looks_like_key_text(value: str) -> bool:
    return "-----BEGIN" in value or value.startswith(("ssh-", "ecdsa-sha2-"))


def _fits(algorithm: str) -> str:
    if algorithm.startswith(("RS", "PS")):
        return "it takes an RSA key of 2048 bits or more"

    if algorithm == "EdDSA":
        return "it takes an Ed25519 or Ed448 key"

    curves = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
    return f"it takes an EC key on the {curves[algorithm]} curve"


def _spki(public_key: t.Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return t.cast(
        bytes,
        public_key.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
    )


def thumbprint(key: Key) -> str:
    """The RFC 7638 SHA-256 thumbprint of an asymmetric key's public half."""
    jwk = _algorithm(key.algorithm).to_jwk(key.verifying_key, as_dict=True)
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}
    members = required.get(jwk["kty"], ("crv", "kty", "x"))
    canonical = json.dumps(
        {name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64url_encode(digest).decode("ascii")


def _algorithm(name: str) -> Algorithm:
    return get_default_algorithms()[name]


# -- the ring ----------------------------------------------------------------


def _ring_keys(
    config: t.Mapping[str, t.Any], default_algorithm: str, weak: list[str]
) -> list[Key]:
    raw = config["JWT_ROUTER_KEYS"]

    for name in (
        "JWT_ROUTER_SECRET_KEY",
        "JWT_ROUTER_PRIVATE_KEY",
        "JWT_ROUTER_PUBLIC_KEY",
        "JWT_ROUTER_KEY_ID",
    ):
        if config.get(name) is not None:
            raise ConfigurationError(
                f"Both JWT_ROUTER_KEYS and {name} are set; with a key ring every"
                f" key lives in JWT_ROUTER_KEYS. Move {name} into a ring entry"
                " and remove it."
            )

    if isinstance(raw, (str, bytes, dict)) or not isinstance(raw, t.Iterable):
        raise ConfigurationError(
            "JWT_ROUTER_KEYS must be a list of dicts such as"
            " [{'kid': '2025-06', 'private_key': 'keys/2025-06.pem'}],"
            f" got {type(raw).__name__}."
        )

    keys: list[Key] = []
    kids: set[str | None] = set()

    for index, entry in enumerate(raw):
        source = f"JWT_ROUTER_KEYS[{index}]"
        key = _ring_key(entry, source, default_algorithm, weak)

        if key.kid in kids:
            what = "have no kid" if key.kid is None else f"use the kid {key.kid!r}"
            raise ConfigurationError(
                f"{source} and an earlier entry both {what}; a token's kid must"
                " name exactly one key. Give each entry its own kid (at most one"
                " may have none, for tokens issued without a kid)."
            )

        kids.add(key.kid)
        keys.append(key)

    if not keys:
        raise ConfigurationError(
            "JWT_ROUTER_KEYS is empty. List at least one key, or remove the"
            " setting to use SECRET_KEY."
        )

    return keys


def _ring_key(
    entry: object, source: str, default_algorithm: str, weak: list[str]
) -> Key:
    if not isinstance(entry, t.Mapping):
        raise ConfigurationError(
            f"{source} must be a dict with 'kid' and 'secret', 'private_key' or"
            f" 'public_key', got {type(entry).__name__}."
        )

    unknown = set(entry) - _RING_ENTRY_FIELDS

    if unknown:
        raise ConfigurationError(
            f"{source} has unknown fields {sorted(map(str, unknown))}; the fields"
            f" are {', '.join(sorted(_RING_ENTRY_FIELDS))}."
        )

    kid = _kid(entry.get("kid"), f"{source}['kid']", optional=True)
    algorithm = default_algorithm

    if entry.get("algorithm") is not None:
        try:
            algorithm = parse_algorithm(entry["algorithm"])
        except ConfigurationError as exc:
            raise ConfigurationError(
                str(exc).replace("JWT_ROUTER_ALGORITHM", f"{source}['algorithm']")
            ) from None

    secret = entry.get("secret")
    private = entry.get("private_key")
    public = entry.get("public_key")

    if algorithm in HMAC_ALGORITHMS:
        if secret is None or private is not None or public is not None:
            raise ConfigurationError(
                f"{source} uses {algorithm}, which needs a 'secret' (and no"
                " 'private_key' or 'public_key'). Set 'secret', or set"
                " 'algorithm' to an asymmetric algorithm such as 'RS256'."
            )

        if not isinstance(secret, (str, bytes)) or not secret:
            raise ConfigurationError(
                f"{source}['secret'] must be a non-empty str or bytes."
            )

        prepared = _hmac_secret(secret, algorithm, f"{source}['secret']", weak)
        return Key(kid, algorithm, prepared, prepared, source)

    if secret is not None or (private is None and public is None):
        raise ConfigurationError(
            f"{source} uses {algorithm}, which needs a 'private_key' (to sign and"
            " verify) or a 'public_key' (to verify only), and no 'secret'."
        )

    return _asymmetric_key(
        kid,
        algorithm,
        private,
        public,
        (f"{source}['private_key']", f"{source}['public_key']"),
    )


def _current_key(config: t.Mapping[str, t.Any], keys: list[Key]) -> Key | None:
    wanted = config.get("JWT_ROUTER_CURRENT_KEY_ID")

    if wanted is None:
        return next((key for key in keys if key.can_sign), None)

    for key in keys:
        if key.kid == wanted:
            if not key.can_sign:
                raise ConfigurationError(
                    f"JWT_ROUTER_CURRENT_KEY_ID names {wanted!r}, which has no"
                    " private key or secret and so cannot sign. Give that entry"
                    " its 'private_key', or name a key that has one."
                )

            return key

    known = ", ".join(repr(key.kid) for key in keys)
    raise ConfigurationError(
        f"JWT_ROUTER_CURRENT_KEY_ID is {wanted!r}, which is not the kid of any"
        f" entry in JWT_ROUTER_KEYS (known: {known})."
    )


def _kid(value: object, name: str, optional: bool) -> str | None:
    if value is None and optional:
        return None

    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_KID_LENGTH
        or not value.isprintable()
    ):
        raise ConfigurationError(
            f"{name} must be a non-empty printable string of at most"
            f" {MAX_KID_LENGTH} characters, got {value!r}."
        )

    return value
