"""Encoding and decoding of tokens: claims layout, algorithm pinning, expiry."""

from __future__ import annotations

import binascii
import json
import time
import typing as t
import uuid

import jwt
from jwt.utils import base64url_decode

from . import errors
from .keys import HMAC_ALGORITHMS, Key, KeyRing, hmac_algorithm

if t.TYPE_CHECKING:
    from .settings import Settings

#: Claims the library writes itself; custom claims may not reuse these names.
RESERVED_CLAIMS = frozenset(
    {
        *("table_name", "sub", "iat", "exp", "jti", "nbf", "iss", "aud"),
        *("iat_us", "typ", "fam"),
    }
)

#: Without ``JWT_ROUTER_MAX_LIFETIME``, an ``exp`` further ahead than this is
#: refused all the same: no token of ours lives a century.
ABSURD_LIFETIME = 100 * 365 * 24 * 3600


class TokenCodec:
    """Signs and verifies tokens for one app with its settings and keys."""

    def __init__(self, settings: Settings, keys: KeyRing | None = None) -> None:
        # Without a ring (a codec made directly, as in tests), the settings'
        # secret is the one key; the extension always passes the app's ring.
        self.keys = keys or _lone_secret(settings.secret_key, settings.algorithm)
        current = self.keys.current
        self.algorithm = current.algorithm if current else settings.algorithm
        self.algorithms = [self.algorithm]
        self.leeway = settings.leeway.total_seconds()
        self.max_bytes = settings.max_token_bytes
        self.issuer = settings.issuer
        self.audience = None if settings.audience is None else list(settings.audience)

        lifetime = settings.max_lifetime
        self.max_ahead = (
            ABSURD_LIFETIME if lifetime is None else lifetime.total_seconds()
        )
        self._options: dict[str, t.Any] = {"require": ["exp"]}
        self._stamp: dict[str, t.Any] = {}

        if self.issuer is not None:
            self._stamp["iss"] = self.issuer

        if self.audience is not None:
            aud = self.audience
            self._stamp["aud"] = aud[0] if len(aud) == 1 else aud

        self._jwt = _make_pyjwt()

    @property
    def key(self) -> t.Any:
        """The current signing key; setting it makes a one-key ring of it."""
        current = self.keys.current
        return None if current is None else current.signing_key

    @key.setter
    def key(self, value: str | bytes) -> None:
        self.keys = _lone_secret(value, self.algorithm)

    def encode(self, claims: dict[str, t.Any]) -> str:
        """Sign ``claims`` with the current key, adding ``iss`` and ``aud``.

        :raises UsageError: when the app has no key that signs.
        """
        key = self.keys.current

        if key is None:
            raise errors.UsageError(
                "This app only verifies tokens: it has no private key or secret"
                " to sign them with. Set JWT_ROUTER_PRIVATE_KEY (or a ring entry"
                " with a 'private_key') to issue tokens."
            )

        for name, value in self._stamp.items():
            claims.setdefault(name, value)

        return self._jwt.encode(
            claims, key.signing_key, algorithm=key.algorithm, headers=key.headers
        )

    def decode(self, token: str) -> dict[str, t.Any]:
        """Verify ``token`` and return its claims.

        :raises AuthError: a subclass naming why the token was refused.
        """
        if len(token) > self.max_bytes:
            raise errors.TokenMalformed("The token is longer than this API accepts.")

        if "=" in token:
            # RFC 7515 drops base64 padding; PyJWT accepts it, which would give
            # one token many spellings.
            raise errors.TokenMalformed()

        key = self.keys.single

        if key is None:
            key = self._key_for(token)

        try:
            decoded = self._jwt.decode_complete(
                token,
                key.verifying_key,
                algorithms=key.algorithms,
                options=self._options,  # type: ignore[arg-type]
                leeway=self.leeway,
                issuer=self.issuer,
                audience=self.audience,
            )
        except jwt.ExpiredSignatureError:
            raise errors.TokenExpired() from None
        except jwt.InvalidSignatureError:
            raise errors.BadSignature() from None
        except jwt.DecodeError:
            raise errors.TokenMalformed() from None
        except jwt.InvalidTokenError as exc:
            raise errors.TokenInvalid(_describe(exc)) from None
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError, RecursionError):
            # PyJWT rejects almost every malformed input with DecodeError; this
            # catches the odd value that slips through to the standard library.
            raise errors.TokenMalformed() from None

        kid = decoded["header"].get("kid")

        if kid is not None and kid != key.kid:
            raise _unknown_key()

        claims: dict[str, t.Any] = decoded["payload"]
        self._check_times(claims)
        return claims

    def _key_for(self, token: str) -> Key:
        """The key the token's ``kid`` names; the token is not verified yet."""
        head = token.partition(".")[0]

        try:
            header = json.loads(base64url_decode(head.encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError, RecursionError):
            raise errors.TokenMalformed() from None

        if not isinstance(header, dict):
            raise errors.TokenMalformed()

        key = self.keys.find(header.get("kid"))

        if key is None:
            raise _unknown_key()

        return key

    def _check_times(self, claims: dict[str, t.Any]) -> None:
        # PyJWT reads these with int(), which takes "123", 1.5 and true.
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)

            if value is not None and (type(value) is not int):
                raise errors.TokenInvalid(f"The token's '{name}' claim is not valid.")

        # An int compared with a float: exact, and no overflow for huge ints.
        if claims["exp"] > time.time() + self.max_ahead + self.leeway:
            raise errors.TokenInvalid("The token lives longer than this API accepts.")


def new_claims(
    table_name: str,
    key_claim: str,
    entity_id: object,
    lifetime_seconds: float,
) -> dict[str, t.Any]:
    """Build the claims of a fresh token.

    ``key_claim`` holds the id in its JSON form, as 0.2 wrote it; ``sub`` holds
    it as a string, as RFC 7519 asks. ``iat_us`` is the issue time in
    microseconds: "log out everywhere" compares it with the time of the
    revocation, which whole seconds in ``iat`` cannot order.
    """
    now_us = time.time_ns() // 1000
    now = now_us // 1_000_000
    json_id = entity_id if isinstance(entity_id, (int, str)) else str(entity_id)

    return {
        "table_name": table_name,
        key_claim: json_id,
        "sub": str(json_id),
        "iat": now,
        "iat_us": now_us,
        "exp": now + int(lifetime_seconds),
        "jti": uuid.uuid4().hex,
    }


def check_custom_claims(
    claims: t.Mapping[str, t.Any], id_claims: t.Iterable[str]
) -> dict[str, t.Any]:
    """Check the custom claims an app adds to a token and return a copy.

    :raises UsageError: when a name is one of the library's claims or the
        entity's id claim, or a value is not JSON.
    """
    if not isinstance(claims, t.Mapping):
        raise errors.UsageError(
            f"claims= takes a mapping of claim names to JSON values, got {claims!r}."
        )

    taken = RESERVED_CLAIMS.union(id_claims)

    for name, value in claims.items():
        if not isinstance(name, str) or not name:
            raise errors.UsageError(f"Claim names must be strings, got {name!r}.")

        if name in taken:
            raise errors.UsageError(
                f"The custom claim {name!r} would overwrite one the library"
                f" writes itself ({', '.join(sorted(taken))}); rename it."
            )

        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise errors.UsageError(
                f"The custom claim {name!r} is {type(value).__name__}, which is"
                " not JSON; use strings, numbers, booleans, lists and dicts."
            ) from None

    return dict(claims)


def _make_pyjwt() -> jwt.PyJWT:
    codec = jwt.PyJWT()
    jws = getattr(codec, "_jws", None)

    # PyJWT < 2.10 has no per-instance JWS object, and neither warns about key
    # length nor is there anything to replace.
    if jws is not None:
        for name in HMAC_ALGORITHMS:
            jws.unregister_algorithm(name)
            jws.register_algorithm(name, hmac_algorithm(name))

        # Never in an allow-list of ours; removed all the same.
        jws.unregister_algorithm("none")

    return codec


def _lone_secret(secret: str | bytes | None, algorithm: str) -> KeyRing:
    key = None if secret is None else Key(None, algorithm, secret, secret)
    keys = [] if key is None else [key]
    return KeyRing(keys, key, lone_key_takes_any=True)


def _unknown_key() -> errors.TokenInvalid:
    return errors.TokenInvalid("The token names a key this API does not know.")


def _describe(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token has no '{exc.claim}' claim."

    if isinstance(exc, jwt.ImmatureSignatureError):
        return "The token is not valid yet."

    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "The token is signed with an algorithm this API does not accept."

    if isinstance(exc, jwt.InvalidAudienceError):
        return "The token is meant for another audience."

    if isinstance(exc, jwt.InvalidIssuerError):
        return "The token comes from another issuer."

    return "The token is not valid."
