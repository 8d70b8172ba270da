"""The token codec keeps the key PyJWT prepared; keys never mix up."""

from __future__ import annotations

import jwt
import pytest

from flask_jwt_router import BadSignature
from flask_jwt_router.settings import build_settings
from flask_jwt_router.tokens import TokenCodec, new_claims

KEY_A = "a" * 64
KEY_B = "b" * 64
PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"
    "-----END PUBLIC KEY-----\n"
)


def codec(key: str) -> TokenCodec:
    return TokenCodec(build_settings({"SECRET_KEY": key}))


def claims() -> dict[str, object]:
    return new_claims("users", "id", 7, 3600)


def test_each_codec_signs_with_its_own_key() -> None:
    first, second = codec(KEY_A), codec(KEY_B)
    token_a = first.encode(claims())
    token_b = second.encode(claims())

    assert first.decode(token_a)["id"] == 7
    assert second.decode(token_b)["id"] == 7

    with pytest.raises(BadSignature):
        second.decode(token_a)

    with pytest.raises(BadSignature):
        first.decode(token_b)


def test_a_new_key_object_is_prepared_again() -> None:
    signer = codec(KEY_A)
    old_token = signer.encode(claims())
    signer.key = KEY_B

    with pytest.raises(BadSignature):
        signer.decode(old_token)

    assert jwt.decode(signer.encode(claims()), KEY_B, algorithms=["HS256"])["id"] == 7


def test_an_asymmetric_key_is_refused_every_time() -> None:
    signer = codec(PEM)

    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError):
            signer.encode(claims())
