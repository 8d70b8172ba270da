"""Encoding and decoding of tokens: claims layout, algorithm pinning, expiry."""

from __future__ import annotations

import json
import time
import typing as t
import uuid

import jwt
from jwt.algorithms import HMACAlgorithm

from . import errors

if t.TYPE_CHECKING:
    from .settings import Settings

#: Claims the library writes itself; custom claims may not reuse these names.
RESERVED_CLAIMS = frozenset(
    {"table_name", "sub", "iat", "exp", "jti", "nbf", "iat_us", "typ", "fam"}
)

_HMAC_HASHES = {
    "HS256": HMACAlgorithm.SHA256,
    "HS384": HMACAlgorithm.SHA384,
    "HS512": HMACAlgorithm.SHA512,
}


class _CheckedOnceHMAC(HMACAlgorithm):
    # PyJWT warns about a short HMAC key on every encode and decode. The length
    # is checked once, at startup, by the extension; a per-request warning
    # would be noise at best and, under ``-W error``, a 500.
    def check_key_length(self, key: bytes) -> str | None:
        return None

    # PyJWT vets and converts the key on every encode and decode (PEM, SSH,
    # DER and JWK checks: about a third of the cost of signing a token). The
    # codec always passes the same key object, so the result is kept.
    def __init__(self, hash_alg: t.Any) -> None:
        super().__init__(hash_alg)
        self._prepared: tuple[str | bytes, bytes] | None = None

    def prepare_key(self, key: str | bytes) -> bytes:
        prepared = self._prepared

        if prepared is not None and prepared[0] is key:
            return prepared[1]

        key_bytes = super().prepare_key(key)
        self._prepared = (key, key_bytes)
        return key_bytes


class TokenCodec:
    """Signs and verifies tokens for one app with its settings."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.algorithm
        self.algorithms = [settings.algorithm]
        self.key = settings.secret_key
        self.leeway = settings.leeway.total_seconds()
        self.max_bytes = settings.max_token_bytes
        self._options: dict[str, t.Any] = {"require": ["exp"]}
        self._jwt = _make_pyjwt(settings.algorithm)

    def encode(self, claims: dict[str, t.Any]) -> str:
        """Sign ``claims`` with the app's key and algorithm."""
        return self._jwt.encode(claims, self.key, algorithm=self.algorithm)

    def decode(self, token: str) -> dict[str, t.Any]:
        """Verify ``token`` and return its claims.

        :raises AuthError: a subclass naming why the token was refused.
        """
        if len(token) > self.max_bytes:
            raise errors.TokenMalformed("The token is longer than this API accepts.")

        try:
            claims = self._jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                options=t.cast(t.Any, self._options),
                leeway=self.leeway,
            )
        except jwt.ExpiredSignatureError:
            raise errors.TokenExpired() from None
        except jwt.InvalidSignatureError:
            raise errors.BadSignature() from None
        except jwt.DecodeError:
            raise errors.TokenMalformed() from None
        except jwt.InvalidTokenError as exc:
            raise errors.TokenInvalid(_describe(exc)) from None
        except (ValueError, TypeError, OverflowError):
            # PyJWT rejects almost every malformed input with DecodeError; this
            # catches the odd value that slips through to the standard library.
            raise errors.TokenMalformed() from None

        return claims


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


def _make_pyjwt(algorithm: str) -> jwt.PyJWT:
    codec = jwt.PyJWT()
    jws = getattr(codec, "_jws", None)

    # PyJWT < 2.10 has no per-instance JWS object and never warns about key
    # length, so there is nothing to replace there.
    if jws is not None and algorithm in _HMAC_HASHES:
        jws.unregister_algorithm(algorithm)
        jws.register_algorithm(algorithm, _CheckedOnceHMAC(_HMAC_HASHES[algorithm]))

    return codec


def _describe(exc: jwt.InvalidTokenError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"The token has no '{exc.claim}' claim."

    if isinstance(exc, jwt.ImmatureSignatureError):
        return "The token is not valid yet."

    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "The token is signed with an algorithm this API does not accept."

    if isinstance(exc, jwt.InvalidAudienceError):
        return "The token is meant for another audience."

    return "The token is not valid."
