"""Every known attack on JWT verification, each its own test: all are 401,
none is a 500, and the protected view never runs."""

from __future__ import annotations

import datetime
import time
import typing as t

import pytest

from .conftest import (
    DROP,
    SECRET,
    KeySetServer,
    SecurityApp,
    assert_refused,
    b64,
    claims,
    hs_token,
    private_key,
    private_pem,
    public_jwk,
    public_pem,
    raw_token,
)

MakeApp = t.Callable[..., SecurityApp]


def refused(app: SecurityApp, token: str, error: str | None = None) -> None:
    ran = len(app.ran)

    assert_refused(app.get_me(token), 401, error)
    assert len(app.ran) == ran, "the protected view ran"


@pytest.fixture
def rs_app(make_app: MakeApp) -> SecurityApp:
    return make_app(
        JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PRIVATE_KEY=private_pem("rsa")
    )


@pytest.fixture
def ring_app(make_app: MakeApp) -> SecurityApp:
    return make_app(
        JWT_ROUTER_KEYS=[
            {"kid": "current", "secret": SECRET},
            {"kid": "retired", "secret": "r" * 64},
        ]
    )


def test_the_fixtures_accept_a_good_token(
    hs_app: SecurityApp, rs_app: SecurityApp, ring_app: SecurityApp
) -> None:
    # Each refusal below is only meaningful if the same app takes a good token.
    for app in (hs_app, rs_app, ring_app):
        assert app.get_me(app.token(3)).json == {"id": 3, "name": "user-3"}

    assert hs_app.get_me(hs_token({"alg": "HS256"}, claims())).status_code == 200


# -- alg ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", ""])
def test_alg_none(hs_app: SecurityApp, alg: str) -> None:
    header = b64(f'{{"alg":"{alg}","typ":"JWT"}}'.encode())
    unsigned = f"{header}.{b64(b'{}')}"
    payload = b64(raw_body(claims()))

    refused(hs_app, f"{header}.{payload}.")
    refused(hs_app, f"{header}.{payload}")
    refused(hs_app, unsigned + ".")


def raw_body(value: dict[str, t.Any]) -> bytes:
    import json

    return json.dumps(value).encode()


@pytest.mark.parametrize("hash_name", ["sha384", "sha512"])
def test_token_signed_with_another_hmac_algorithm(
    hs_app: SecurityApp, hash_name: str
) -> None:
    alg = {"sha384": "HS384", "sha512": "HS512"}[hash_name]
    token = hs_token({"alg": alg, "typ": "JWT"}, claims(), SECRET, hash_name)

    refused(hs_app, token, "token_invalid")


def test_token_claiming_hs256_on_an_hs512_app(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_ALGORITHM="HS512")

    refused(app, hs_token({"alg": "HS256"}, claims()), "token_invalid")


def test_alg_missing_or_not_a_string(hs_app: SecurityApp) -> None:
    refused(hs_app, hs_token({"typ": "JWT"}, claims()))
    refused(hs_app, hs_token({"alg": ["HS256"]}, claims()))
    refused(hs_app, hs_token({"alg": None}, claims()))


def test_algorithm_confusion_hmac_signed_with_the_public_key(
    rs_app: SecurityApp,
) -> None:
    # The classic: an RS256 verifier that let the token pick HS256 would use
    # the public key, which anyone has, as the HMAC secret.
    kid = rs_app.app.extensions["flask_jwt_router"].ready().codec.keys.current.kid
    public = public_pem("rsa")

    for header in ({"alg": "HS256"}, {"alg": "HS256", "kid": kid}):
        refused(rs_app, hs_token(header, claims(), public))
        refused(rs_app, hs_token(header, claims(), public.strip()))


def test_algorithm_confusion_on_a_key_ring_with_both_kinds(make_app: MakeApp) -> None:
    # A ring migrating from HS256 to RS256 holds both; each kid keeps its own
    # algorithm, so an HS256 token naming the RSA kid is refused.
    app = make_app(
        JWT_ROUTER_KEYS=[
            {"kid": "rsa", "algorithm": "RS256", "private_key": private_pem("rsa")},
            {"kid": "old", "algorithm": "HS256", "secret": SECRET},
        ]
    )

    assert app.get_me(app.token()).status_code == 200
    refused(app, hs_token({"alg": "HS256", "kid": "rsa"}, claims(), public_pem("rsa")))
    refused(app, hs_token({"alg": "HS256", "kid": "rsa"}, claims(), SECRET))
    rsa_signed_old = raw_token(
        claims(), private_key("rsa"), "RS256", headers={"kid": "old"}
    )
    refused(app, rsa_signed_old)


# -- keys named in the header ----------------------------------------------------


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_header_url_is_never_fetched(
    rs_app: SecurityApp, key_set_server: KeySetServer, member: str
) -> None:
    # The attacker publishes their own key and points the token at it.
    key_set_server.document = {
        "keys": [public_jwk("rsa", 1, "attacker", "RS256")],
    }
    token = raw_token(
        claims(),
        private_key("rsa", 1),
        "RS256",
        headers={member: key_set_server.url(), "kid": "attacker"},
    )
    token_without_kid = raw_token(
        claims(), private_key("rsa", 1), "RS256", headers={member: key_set_server.url()}
    )

    refused(rs_app, token)
    refused(rs_app, token_without_kid)
    assert key_set_server.hits == []


def test_header_embedded_jwk_is_never_trusted(rs_app: SecurityApp) -> None:
    jwk = public_jwk("rsa", 1, "attacker", "RS256")
    token = raw_token(claims(), private_key("rsa", 1), "RS256", headers={"jwk": jwk})

    refused(rs_app, token, "bad_signature")


def test_header_x5c_certificate_is_never_trusted(rs_app: SecurityApp) -> None:
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    attacker = private_key("rsa", 1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(attacker.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(attacker, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    x5c = [base64.b64encode(der).decode("ascii")]
    token = raw_token(claims(), attacker, "RS256", headers={"x5c": x5c})

    refused(rs_app, token, "bad_signature")


# -- kid ----------------------------------------------------------------------


KIDS = {
    "path_traversal": "../../../../../../dev/null",
    "path_traversal_encoded": "..%2F..%2F..%2Fetc%2Fpasswd",
    "absolute_path": "/etc/passwd",
    "sql_injection": "x' UNION SELECT 'secret' --",
    "sql_injection_or": "' OR '1'='1",
    "huge": "k" * 4000,
    "nul_byte": "current\x00",
    "shell": "$(touch /tmp/pwned)",
}


@pytest.mark.parametrize("kid", KIDS.values(), ids=KIDS.keys())
def test_kid_not_in_the_ring(ring_app: SecurityApp, kid: str) -> None:
    # Signed with the real current secret: only the kid is wrong, and a kid
    # that is not in the ring is refused whatever it contains.
    refused(ring_app, hs_token({"alg": "HS256", "kid": kid}, claims()), "token_invalid")


@pytest.mark.parametrize("kid", KIDS.values(), ids=KIDS.keys())
def test_kid_on_an_app_without_kids(hs_app: SecurityApp, kid: str) -> None:
    refused(hs_app, hs_token({"alg": "HS256", "kid": kid}, claims()), "token_invalid")


@pytest.mark.parametrize("kid", [1, 1.5, True, ["current"], {"a": "b"}])
def test_kid_not_a_string(ring_app: SecurityApp, kid: object) -> None:
    refused(ring_app, hs_token({"alg": "HS256", "kid": kid}, claims()))


def test_kid_empty_string(ring_app: SecurityApp, hs_app: SecurityApp) -> None:
    for app in (ring_app, hs_app):
        refused(app, hs_token({"alg": "HS256", "kid": ""}, claims()))


# -- crit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "HS256", "crit": ["x-must-understand"], "x-must-understand": 1},
        {"alg": "HS256", "crit": ["x-must-understand"]},
        {"alg": "HS256", "crit": ["b64"], "b64": False},
        {"alg": "HS256", "crit": []},
        {"alg": "HS256", "crit": "exp"},
        {"alg": "HS256", "crit": [1]},
    ],
    ids=["unknown", "unknown-absent", "b64-false", "empty", "string", "not-string"],
)
def test_crit_with_unknown_extensions(
    hs_app: SecurityApp, ring_app: SecurityApp, header: dict[str, t.Any]
) -> None:
    refused(hs_app, hs_token(header, claims()))
    refused(ring_app, hs_token({**header, "kid": "current"}, claims()))


# -- structure ------------------------------------------------------------------


def test_tampered_payload_with_the_original_signature(hs_app: SecurityApp) -> None:
    header, _, signature = hs_app.token(1).split(".")
    forged_payload = b64(raw_body(claims(2)))

    refused(hs_app, f"{header}.{forged_payload}.{signature}", "bad_signature")


def test_tampered_header_with_the_original_signature(hs_app: SecurityApp) -> None:
    _, payload, signature = hs_app.token(1).split(".")
    header = b64(b'{"alg":"HS256","typ":"JWT","x":1}')

    refused(hs_app, f"{header}.{payload}.{signature}", "bad_signature")


@pytest.mark.parametrize("count", [1, 2, 4, 5, 20])
def test_wrong_segment_count(hs_app: SecurityApp, count: int) -> None:
    parts = hs_app.token().split(".")
    segments = (parts * 7)[:count]

    refused(hs_app, ".".join(segments))
    refused(hs_app, "." * (count - 1))


@pytest.mark.parametrize(
    "damage",
    [
        lambda h, p, s: (h + "!", p, s),
        lambda h, p, s: (h, p + "*", s),
        lambda h, p, s: (h, p, s + "$"),
        lambda h, p, s: (h, p[:-1] + "=", s),
        lambda h, p, s: (h, p, s + "==="),
        lambda h, p, s: (h + "A", p, s),
        lambda h, p, s: (h, p.replace("e", "+").replace("a", "/"), s),
        lambda h, p, s: (h, p + "\u00e9", s),
    ],
    ids=[
        "bang",
        "star",
        "dollar",
        "padding",
        "overpadded",
        "odd",
        "std-alphabet",
        "é",
    ],
)
def test_bad_base64(
    hs_app: SecurityApp, damage: t.Callable[..., tuple[str, ...]]
) -> None:
    header, payload, signature = hs_app.token().split(".")

    refused(hs_app, ".".join(damage(header, payload, signature)))


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"{'single': 'quotes'}",
        b'{"a": 1',
        b"\xff\xfe\x00",
        b"",
        b"[" * 5000,
    ],
    ids=["text", "single-quotes", "truncated", "binary", "empty", "deep-nesting"],
)
def test_non_json_payload(hs_app: SecurityApp, payload: bytes) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, payload))


@pytest.mark.parametrize(
    "header", [b"not json", b"[]", b'"HS256"', b"null", b"{" * 3000], ids=str
)
def test_non_json_or_non_object_header(hs_app: SecurityApp, header: bytes) -> None:
    refused(hs_app, hs_token(header, claims()))


@pytest.mark.parametrize(
    "payload",
    [[claims()], ["users", 1], "users:1", 1, 1.5, True, None],
    ids=["array-of-claims", "array", "string", "int", "float", "true", "null"],
)
def test_payload_that_is_not_an_object(hs_app: SecurityApp, payload: object) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, payload))


# -- exp, nbf, iat ----------------------------------------------------------------


def test_exp_missing(hs_app: SecurityApp) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=DROP)), "token_invalid")
    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=None)), "token_invalid")


@pytest.mark.parametrize("exp", ["tomorrow", "9999999999", "", "1e10"])
def test_exp_a_string(hs_app: SecurityApp, exp: str) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=exp)))


def test_exp_a_float(hs_app: SecurityApp) -> None:
    in_an_hour = time.time() + 3600.5

    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=in_an_hour)), "token_invalid")


@pytest.mark.parametrize("exp", [True, [2**40], {"t": 2**40}], ids=str)
def test_exp_of_another_type(hs_app: SecurityApp, exp: object) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=exp)))


@pytest.mark.parametrize(
    "exp",
    [2**53, 2**63, 2**64 + 1, 10**30, 10**300],
    ids=["2^53", "2^63", "2^64", "1e30", "1e300"],
)
def test_exp_absurdly_large(hs_app: SecurityApp, exp: int) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(exp=exp)), "token_invalid")


@pytest.mark.parametrize("exp", ["1e400", "Infinity", "NaN", "-Infinity", "1" * 5000])
def test_exp_numbers_json_should_not_hold(hs_app: SecurityApp, exp: str) -> None:
    body = raw_body(claims(exp=0)).replace(b'"exp": 0', f'"exp": {exp}'.encode())

    refused(hs_app, hs_token({"alg": "HS256"}, body))


def test_exp_beyond_the_max_lifetime(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_MAX_LIFETIME=3600, JWT_ROUTER_ACCESS_EXPIRES=600)
    now = int(time.time())

    assert (
        app.get_me(hs_token({"alg": "HS256"}, claims(exp=now + 3600))).status_code
        == 200
    )
    refused(app, hs_token({"alg": "HS256"}, claims(exp=now + 7200)), "token_invalid")


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_nbf_and_iat_in_the_future_beyond_leeway(make_app: MakeApp, claim: str) -> None:
    app = make_app(JWT_ROUTER_LEEWAY=5)
    now = int(time.time())

    refused(
        app, hs_token({"alg": "HS256"}, claims(**{claim: now + 60})), "token_invalid"
    )
    refused(app, hs_token({"alg": "HS256"}, claims(**{claim: now + 10**12})))
    # Within the leeway, a clock a little ahead is forgiven.
    assert (
        app.get_me(hs_token({"alg": "HS256"}, claims(**{claim: now + 2}))).status_code
        == 200
    )


@pytest.mark.parametrize("claim", ["nbf", "iat"])
@pytest.mark.parametrize("value", ["0", 1.5, True, [1], {"a": 1}], ids=str)
def test_nbf_and_iat_of_the_wrong_type(
    hs_app: SecurityApp, claim: str, value: object
) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(**{claim: value})))


# -- claims of the wrong types ------------------------------------------------------


@pytest.mark.parametrize(
    "table_name",
    [["users"], {"users": 1}, 1, None, "", "USERS", "users ", "users\x00"],
    ids=str,
)
def test_table_name_of_the_wrong_type_or_value(
    hs_app: SecurityApp, table_name: object
) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(table_name=table_name)))


@pytest.mark.parametrize(
    "entity_id",
    [{"id": 1}, [1], "1 OR 1=1", "abc", 1.0, True, None, 2**64, "", "1" * 30],
    ids=str,
)
def test_entity_id_of_the_wrong_type(hs_app: SecurityApp, entity_id: object) -> None:
    token = hs_token({"alg": "HS256"}, claims(id=entity_id, sub=DROP))

    refused(hs_app, token)


def test_sub_of_the_wrong_type(hs_app: SecurityApp) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(id=DROP, sub=1)))
    refused(hs_app, hs_token({"alg": "HS256"}, claims(id=DROP, sub=["1"])))


def test_deleted_entity(hs_app: SecurityApp) -> None:
    refused(hs_app, hs_token({"alg": "HS256"}, claims(999)), "unknown_entity")


# -- size and bytes -------------------------------------------------------------


def test_token_over_the_size_limit_is_refused_before_decoding(
    make_app: MakeApp,
) -> None:
    app = make_app(JWT_ROUTER_MAX_TOKEN_BYTES=1024)
    # Correctly signed: only its size is wrong.
    big = hs_token({"alg": "HS256"}, claims(padding="p" * 2000))

    response = app.get_me(big)

    assert_refused(response, 401, "token_malformed")
    assert "longer" in response.json["message"]
    assert app.ran == []


def test_header_value_of_10_kb(hs_app: SecurityApp) -> None:
    huge = "a" * 10 * 1024

    refused(hs_app, huge, "token_malformed")
    refused(hs_app, f"{huge}.{huge}.{huge}", "token_malformed")
    assert_refused(hs_app.client.get("/me", headers={"Authorization": huge}), 401)
    assert_refused(hs_app.client.get("/me", query_string={"auth": huge}), 401)
    other = hs_app.client.get("/me", headers={"X-Anything": huge})
    assert_refused(other, 401, "token_missing")


@pytest.mark.parametrize(
    "value",
    [
        "Bearer \xff\xfe\xfd",
        "Bearer \u00e9\u00e8.\u00e0.\u00fc",
        "Bearer eyJ\xa0abc.def.ghi",
        "\xffBearer abc",
        "Bearer " + "\x80" * 100,
    ],
    ids=["ff-fe", "accents", "nbsp", "before-scheme", "high-bytes"],
)
def test_header_with_non_ascii_bytes(hs_app: SecurityApp, value: str) -> None:
    assert_refused(hs_app.client.get("/me", headers={"Authorization": value}), 401)
    assert hs_app.ran == []


def test_non_ascii_in_the_query_token(hs_app: SecurityApp) -> None:
    response = hs_app.client.get("/me?auth=%FF%FE.%C3%A9.%00")

    assert_refused(response, 401)
    assert hs_app.ran == []


def test_valid_token_with_trailing_garbage(hs_app: SecurityApp) -> None:
    token = hs_app.token()

    for suffix in ("x", ".", "..", "=", "\x00", " x"):
        response = hs_app.client.get(
            "/me", headers={"Authorization": f"Bearer {token}{suffix}"}
        )
        assert_refused(response, 401)

    assert hs_app.ran == []


def test_token_for_another_audience_or_issuer(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_ISSUER="https://auth.test", JWT_ROUTER_AUDIENCE="orders")
    good = claims(iss="https://auth.test", aud="orders")

    assert app.get_me(hs_token({"alg": "HS256"}, good)).status_code == 200

    for bad in (
        claims(iss="https://evil.test", aud="orders"),
        claims(iss="https://auth.test", aud="billing"),
        claims(iss="https://auth.test", aud=["billing", "admin"]),
        claims(aud="orders"),
        claims(iss="https://auth.test"),
        claims(iss=["https://auth.test"], aud="orders"),
        claims(iss="https://auth.test", aud=[1]),
    ):
        refused(app, hs_token({"alg": "HS256"}, bad), "token_invalid")


def test_audience_claim_on_an_app_without_audience(hs_app: SecurityApp) -> None:
    # RFC 7519 4.1.3: a token for a named audience is not for us.
    refused(hs_app, hs_token({"alg": "HS256"}, claims(aud="someone-else")))
