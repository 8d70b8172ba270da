"""Algorithms, keys and the key ring: what startup accepts and refuses, and
that tokens round-trip with each configuration."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import typing as t
import warnings
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from flask_jwt_router import ConfigurationError, InsecureKeyWarning, UsageError

from .conftest import (
    KEY_KIND,
    OTHER_SECRET,
    SECRET,
    SecurityApp,
    assert_refused,
    claims,
    hs_token,
    private_key,
    private_pem,
    public_pem,
    raw_token,
)

MakeApp = t.Callable[..., SecurityApp]


def key_config(algorithm: str, number: int = 0) -> dict[str, t.Any]:
    if algorithm.startswith("HS"):
        return {"JWT_ROUTER_ALGORITHM": algorithm}

    return {
        "JWT_ROUTER_ALGORITHM": algorithm,
        "JWT_ROUTER_PRIVATE_KEY": private_pem(KEY_KIND[algorithm], number),
    }


ALL_ALGORITHMS = ["HS256", "HS384", "HS512", *KEY_KIND]


# -- every algorithm ---------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALL_ALGORITHMS)
def test_every_algorithm_signs_and_verifies(make_app: MakeApp, algorithm: str) -> None:
    app = make_app(**key_config(algorithm))
    token = app.token(4)

    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert app.get_me(token).json == {"id": 4, "name": "user-4"}


@pytest.mark.parametrize("algorithm", list(KEY_KIND))
def test_asymmetric_tokens_verify_with_the_public_key_alone(
    make_app: MakeApp, algorithm: str
) -> None:
    issuer = make_app(**key_config(algorithm))
    verifier = make_app(
        JWT_ROUTER_ALGORITHM=algorithm,
        JWT_ROUTER_PUBLIC_KEY=public_pem(KEY_KIND[algorithm]),
    )
    token = issuer.token(2)

    assert verifier.get_me(token).json["id"] == 2
    # And a third party with only the public key can verify it too.
    decoded = jwt.decode(token, public_pem(KEY_KIND[algorithm]), algorithms=[algorithm])
    assert decoded["id"] == 2

    with verifier.app.app_context(), pytest.raises(UsageError, match="only verifies"):
        verifier.jwt_routes.create_token(entity_id=1, table_name="users")


def test_ed448_keys_work_with_eddsa(make_app: MakeApp) -> None:
    app = make_app(
        JWT_ROUTER_ALGORITHM="EdDSA", JWT_ROUTER_PRIVATE_KEY=private_pem("ed448")
    )

    assert app.get_me(app.token()).status_code == 200


def test_algorithm_name_is_case_insensitive(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_ALGORITHM="hs512")

    assert jwt.get_unverified_header(app.token())["alg"] == "HS512"


@pytest.mark.parametrize("value", ["none", "HS1", "RS128", "ES256K", 256, ""])
def test_unknown_algorithm_fails_at_startup(make_app: MakeApp, value: object) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_ALGORITHM must be one"):
        make_app(JWT_ROUTER_ALGORITHM=value)


def test_keys_from_pem_files(make_app: MakeApp, tmp_path: Path) -> None:
    private_file = tmp_path / "private.pem"
    public_file = tmp_path / "public.pem"
    private_file.write_text(private_pem("p256"))
    public_file.write_text(public_pem("p256"))

    issuer = make_app(JWT_ROUTER_ALGORITHM="ES256", JWT_ROUTER_PRIVATE_KEY=private_file)
    verifier = make_app(
        JWT_ROUTER_ALGORITHM="ES256", JWT_ROUTER_PUBLIC_KEY=str(public_file)
    )

    assert verifier.get_me(issuer.token()).status_code == 200


def test_pem_as_bytes(make_app: MakeApp) -> None:
    app = make_app(
        JWT_ROUTER_ALGORITHM="RS256",
        JWT_ROUTER_PRIVATE_KEY=private_pem("rsa").encode(),
        JWT_ROUTER_PUBLIC_KEY=public_pem("rsa").encode(),
    )

    assert app.get_me(app.token()).status_code == 200


def test_missing_key_file_names_the_setting_and_path(
    make_app: MakeApp, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.pem"

    with pytest.raises(ConfigurationError) as caught:
        make_app(JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PRIVATE_KEY=str(missing))

    assert "JWT_ROUTER_PRIVATE_KEY" in str(caught.value)
    assert str(missing) in str(caught.value)


# -- keys that do not fit ------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        ("RS256", "p256"),
        ("RS256", "ed25519"),
        ("PS384", "p384"),
        ("ES256", "rsa"),
        ("ES256", "p384"),
        ("ES384", "p256"),
        ("ES512", "p256"),
        ("EdDSA", "rsa"),
        ("EdDSA", "p256"),
    ],
)
def test_key_that_does_not_fit_the_algorithm(
    make_app: MakeApp, algorithm: str, kind: str
) -> None:
    pem = private_pem(kind)

    with pytest.raises(ConfigurationError, match=f"does not fit|fits {algorithm}"):
        make_app(JWT_ROUTER_ALGORITHM=algorithm, JWT_ROUTER_PRIVATE_KEY=pem)

    with pytest.raises(ConfigurationError):
        make_app(JWT_ROUTER_ALGORITHM=algorithm, JWT_ROUTER_PUBLIC_KEY=public_pem(kind))


def test_rsa_key_shorter_than_2048_bits_fails(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="1024-bit RSA key"):
        make_app(
            JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PRIVATE_KEY=private_pem("rsa1024")
        )


def test_public_key_given_as_private_and_back(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="holds a public key"):
        make_app(JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PRIVATE_KEY=public_pem("rsa"))

    with pytest.raises(ConfigurationError, match="holds a private key"):
        make_app(JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PUBLIC_KEY=private_pem("rsa"))


def test_public_key_that_is_not_the_private_keys_half(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="not the public half"):
        make_app(
            JWT_ROUTER_ALGORITHM="RS256",
            JWT_ROUTER_PRIVATE_KEY=private_pem("rsa"),
            JWT_ROUTER_PUBLIC_KEY=public_pem("rsa", 1),
        )


def test_pem_key_used_as_hmac_secret_fails(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="asymmetric key"):
        make_app(SECRET_KEY=public_pem("rsa"))

    with pytest.raises(ConfigurationError, match="asymmetric key"):
        make_app(JWT_ROUTER_SECRET_KEY=private_pem("p256"))


def test_asymmetric_settings_with_an_hmac_algorithm_fail(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_PRIVATE_KEY is set"):
        make_app(JWT_ROUTER_PRIVATE_KEY=private_pem("rsa"))


def test_secret_with_an_asymmetric_algorithm_fails(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_SECRET_KEY is set"):
        make_app(
            JWT_ROUTER_ALGORITHM="RS256",
            JWT_ROUTER_SECRET_KEY=SECRET,
            JWT_ROUTER_PRIVATE_KEY=private_pem("rsa"),
        )


def test_asymmetric_algorithm_without_a_key_fails(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="no key is configured"):
        make_app(JWT_ROUTER_ALGORITHM="ES256")


def test_asymmetric_app_needs_no_secret_key(make_app: MakeApp) -> None:
    app = make_app(SECRET_KEY=None, **key_config("ES256"))

    assert app.get_me(app.token()).status_code == 200


def test_missing_cryptography_is_reported_at_startup() -> None:
    # A child interpreter in which 'cryptography' cannot be imported, as on a
    # machine where the extra was not installed.
    script = """
import sys
sys.modules["cryptography"] = None
from flask import Flask
from flask_jwt_router import ConfigurationError, JwtRoutes
app = Flask("x")
app.config.update(JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_PRIVATE_KEY="k.pem")
try:
    JwtRoutes(app)
except ConfigurationError as exc:
    print("ERROR", exc)
app = Flask("y")
app.config["SECRET_KEY"] = "s" * 32
JwtRoutes(app)
print("HS256 OK")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "ERROR" in done.stdout
    assert "cryptography" in done.stdout
    assert "flask-jwt-router[crypto]" in done.stdout
    assert "HS256 OK" in done.stdout


# -- short secrets: one warning, at startup ----------------------------------------


@pytest.mark.parametrize(("algorithm", "needed"), [("HS256", 32), ("HS512", 64)])
def test_short_secret_warns_once_at_startup(
    make_app: MakeApp, algorithm: str, needed: int
) -> None:
    short = "s" * (needed - 1)

    with pytest.warns(InsecureKeyWarning, match=f"at least {needed} bytes") as caught:
        app = make_app(SECRET_KEY=short, JWT_ROUTER_ALGORITHM=algorithm)

    assert len(caught) == 1
    assert short not in str(caught[0].message)

    # No warning on any request (filterwarnings=error would turn one into a
    # failure here), nor when the token is made.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = app.token()
        for _ in range(3):
            assert app.get_me(token).status_code == 200
            assert_refused(app.get_me(token + "x"))


def test_secret_of_the_hash_length_does_not_warn(make_app: MakeApp) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_app(SECRET_KEY="s" * 32)


def test_strict_keys_turn_the_warning_into_an_error(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_STRICT_KEYS"):
        make_app(SECRET_KEY="short", JWT_ROUTER_STRICT_KEYS=True)


def test_short_secret_in_a_ring_warns_naming_the_entry(make_app: MakeApp) -> None:
    with pytest.warns(InsecureKeyWarning, match=r"JWT_ROUTER_KEYS\[1\]"):
        make_app(
            JWT_ROUTER_KEYS=[
                {"kid": "a", "secret": SECRET},
                {"kid": "b", "secret": "x"},
            ]
        )


def test_jwt_router_secret_key_wins_over_secret_key(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_SECRET_KEY=OTHER_SECRET)
    token = app.token()

    jwt.decode(token, OTHER_SECRET, algorithms=["HS256"])
    assert_refused(app.get_me(hs_token({"alg": "HS256"}, claims(), SECRET)))


def test_keys_set_after_init_app_are_honoured(make_app: MakeApp) -> None:
    app = make_app()
    app.app.config["JWT_ROUTER_SECRET_KEY"] = OTHER_SECRET

    token = app.token()

    jwt.decode(token, OTHER_SECRET, algorithms=["HS256"])
    assert app.get_me(token).status_code == 200


def test_keys_are_prepared_once_per_app(make_app: MakeApp) -> None:
    app = make_app(**key_config("RS256"))
    state = app.app.extensions["flask_jwt_router"]
    ring_at_init = state.keys[1]

    app.get_me(app.token())

    assert state.ready().codec.keys is ring_at_init
    assert not isinstance(ring_at_init.current.signing_key, (str, bytes))


# -- 0.2 tokens ----------------------------------------------------------------------


def test_02_token_verifies_under_the_default_config(hs_app: SecurityApp) -> None:
    token = raw_token({"table_name": "users", "id": 5, "exp": int(time.time()) + 60})

    assert "kid" not in jwt.get_unverified_header(token)
    assert hs_app.get_me(token).json == {"id": 5, "name": "user-5"}


def test_default_tokens_carry_no_kid(hs_app: SecurityApp) -> None:
    assert jwt.get_unverified_header(hs_app.token()) == {"alg": "HS256", "typ": "JWT"}


def test_key_id_for_a_single_key(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_KEY_ID="2025-06")

    assert jwt.get_unverified_header(app.token())["kid"] == "2025-06"
    legacy = raw_token({"table_name": "users", "id": 5, "exp": int(time.time()) + 60})
    assert app.get_me(legacy).status_code == 200
    other = hs_token({"alg": "HS256", "kid": "2025-01"}, claims())
    assert_refused(app.get_me(other), 401, "token_invalid")


def test_asymmetric_single_key_is_named_by_its_thumbprint(make_app: MakeApp) -> None:
    app = make_app(**key_config("ES256"))
    kid = jwt.get_unverified_header(app.token())["kid"]

    # RFC 7638 thumbprint, computed here independently.
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(
        private_key("p256").public_key(), as_dict=True
    )
    import base64
    import hashlib
    import json

    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    assert kid == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# -- the key ring ---------------------------------------------------------------------


def test_ring_current_key_signs_and_retired_keys_verify(make_app: MakeApp) -> None:
    old = make_app(JWT_ROUTER_KEYS=[{"kid": "2025-01", "secret": OTHER_SECRET}])
    old_token = old.token(2)
    new = make_app(
        JWT_ROUTER_KEYS=[
            {"kid": "2025-06", "secret": SECRET},
            {"kid": "2025-01", "secret": OTHER_SECRET},
        ]
    )

    assert jwt.get_unverified_header(new.token())["kid"] == "2025-06"
    assert new.get_me(new.token(1)).json["id"] == 1
    assert new.get_me(old_token).json["id"] == 2

    # Once the retired key leaves the ring, its tokens are refused.
    after = make_app(JWT_ROUTER_KEYS=[{"kid": "2025-06", "secret": SECRET}])
    assert_refused(after.get_me(old_token), 401, "token_invalid")
    assert after.get_me(new.token(3)).json["id"] == 3


def test_ring_current_key_id_chooses_the_signer(make_app: MakeApp) -> None:
    app = make_app(
        JWT_ROUTER_KEYS=[
            {"kid": "next", "secret": OTHER_SECRET},
            {"kid": "now", "secret": SECRET},
        ],
        JWT_ROUTER_CURRENT_KEY_ID="now",
    )

    assert jwt.get_unverified_header(app.token())["kid"] == "now"


def test_ring_current_key_must_exist_and_sign(make_app: MakeApp) -> None:
    ring = [
        {"kid": "a", "algorithm": "RS256", "public_key": public_pem("rsa")},
        {"kid": "b", "secret": SECRET},
    ]

    with pytest.raises(ConfigurationError, match="cannot sign"):
        make_app(JWT_ROUTER_KEYS=ring, JWT_ROUTER_CURRENT_KEY_ID="a")

    with pytest.raises(ConfigurationError, match="not the kid of any"):
        make_app(JWT_ROUTER_KEYS=ring, JWT_ROUTER_CURRENT_KEY_ID="c")


def test_ring_entry_without_kid_verifies_02_tokens(make_app: MakeApp) -> None:
    app = make_app(
        SECRET_KEY="flask-session-secret-that-differs-" + "x" * 30,
        JWT_ROUTER_KEYS=[
            {"kid": "2025-06", "secret": OTHER_SECRET},
            {"secret": SECRET},
        ],
    )
    legacy = raw_token({"table_name": "users", "id": 7, "exp": int(time.time()) + 60})

    assert app.get_me(legacy).json["id"] == 7
    assert jwt.get_unverified_header(app.token())["kid"] == "2025-06"


def test_ring_without_a_kidless_entry_refuses_kidless_tokens(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_KEYS=[{"kid": "2025-06", "secret": SECRET}])
    legacy = raw_token({"table_name": "users", "id": 7, "exp": int(time.time()) + 60})

    assert_refused(app.get_me(legacy), 401, "token_invalid")


def test_ring_migrating_from_hs256_to_rs256(make_app: MakeApp) -> None:
    old = make_app()
    old_token = old.token(3)
    app = make_app(
        JWT_ROUTER_ALGORITHM="RS256",
        JWT_ROUTER_KEYS=[
            {"kid": "rsa-1", "private_key": private_pem("rsa")},
            {"algorithm": "HS256", "secret": SECRET},
        ],
    )

    assert app.get_me(old_token).json["id"] == 3
    assert jwt.get_unverified_header(app.token())["alg"] == "RS256"
    assert app.get_me(app.token(4)).json["id"] == 4


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ("not a list", "must be a list"),
        ({"kid": "a"}, "must be a list"),
        ([], "is empty"),
        (["a"], "must be a dict"),
        ([{"kid": "a", "secret": SECRET, "privat_key": "x"}], "unknown fields"),
        ([{"kid": "a", "secret": SECRET}, {"kid": "a", "secret": SECRET}], "kid 'a'"),
        ([{"secret": SECRET}, {"secret": OTHER_SECRET}], "have no kid"),
        ([{"kid": "a"}], "needs a 'secret'"),
        ([{"kid": "a", "secret": ""}], "non-empty"),
        ([{"kid": "", "secret": SECRET}], "non-empty printable"),
        ([{"kid": 5, "secret": SECRET}], "non-empty printable"),
        ([{"kid": "a", "algorithm": "RS256", "secret": SECRET}], "'private_key'"),
        ([{"kid": "a", "algorithm": "XX1", "secret": SECRET}], r"\['algorithm'\]"),
    ],
)
def test_ring_misconfigurations(make_app: MakeApp, ring: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(JWT_ROUTER_KEYS=ring)


def test_ring_and_single_key_settings_together_fail(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="Both JWT_ROUTER_KEYS and"):
        make_app(
            JWT_ROUTER_KEYS=[{"kid": "a", "secret": SECRET}],
            JWT_ROUTER_SECRET_KEY=OTHER_SECRET,
        )


def test_ring_entry_key_file(make_app: MakeApp, tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_text(private_pem("ed25519"))
    app = make_app(
        JWT_ROUTER_ALGORITHM="EdDSA",
        JWT_ROUTER_KEYS=[{"kid": "ed", "private_key": os.fspath(path)}],
    )

    assert app.get_me(app.token()).status_code == 200


# -- iss, aud, lifetimes --------------------------------------------------------


def test_issuer_and_audience_are_written_and_required(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_ISSUER="https://auth.test", JWT_ROUTER_AUDIENCE="orders")
    token = app.token()
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience="orders")

    assert payload["iss"] == "https://auth.test"
    assert payload["aud"] == "orders"
    assert app.get_me(token).status_code == 200


def test_audience_list(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_AUDIENCE=["orders", "admin"])
    token = app.token()

    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="admin")["aud"] == [
        "orders",
        "admin",
    ]
    assert app.get_me(token).status_code == 200
    # A token naming any one of the accepted audiences is taken.
    assert (
        app.get_me(hs_token({"alg": "HS256"}, claims(aud="admin"))).status_code == 200
    )
    assert (
        app.get_me(hs_token({"alg": "HS256"}, claims(aud=["x", "orders"]))).status_code
        == 200
    )
    assert_refused(app.get_me(hs_token({"alg": "HS256"}, claims(aud="x"))))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JWT_ROUTER_ISSUER", ""),
        ("JWT_ROUTER_ISSUER", 5),
        ("JWT_ROUTER_AUDIENCE", []),
        ("JWT_ROUTER_AUDIENCE", ["a", 1]),
        ("JWT_ROUTER_AUDIENCE", 5),
        ("JWT_ROUTER_ACCESS_EXPIRES", 0),
        ("JWT_ROUTER_ACCESS_EXPIRES", "1h"),
        ("JWT_ROUTER_ACCESS_EXPIRES", float("inf")),
        ("JWT_ROUTER_ACCESS_EXPIRES", float("nan")),
        ("JWT_ROUTER_MAX_LIFETIME", float("inf")),
        ("JWT_ROUTER_MAX_LIFETIME", -5),
        ("JWT_ROUTER_LEEWAY", -1),
    ],
)
def test_claim_settings_are_validated(
    make_app: MakeApp, name: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        make_app(**{name: value}).token()


@pytest.mark.parametrize("value", [timedelta(minutes=15), 900, 900.0])
def test_access_expires_as_timedelta_or_seconds(
    make_app: MakeApp, value: object
) -> None:
    app = make_app(JWT_ROUTER_ACCESS_EXPIRES=value)
    payload = jwt.decode(app.token(), SECRET, algorithms=["HS256"])

    assert payload["exp"] - payload["iat"] == 900


def test_expire_days_still_works(make_app: MakeApp) -> None:
    app = make_app(JWT_EXPIRE_DAYS=2)
    payload = jwt.decode(app.token(), SECRET, algorithms=["HS256"])

    assert payload["exp"] - payload["iat"] == 2 * 86400


def test_access_expires_and_expire_days_together_fail(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="Both JWT_ROUTER_ACCESS_EXPIRES"):
        make_app(JWT_ROUTER_ACCESS_EXPIRES=60, JWT_EXPIRE_DAYS=1).token()


def test_lifetime_longer_than_the_max_fails(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_MAX_LIFETIME"):
        make_app(JWT_ROUTER_MAX_LIFETIME=timedelta(hours=1)).token()

    app = make_app(JWT_ROUTER_MAX_LIFETIME=3600, JWT_ROUTER_ACCESS_EXPIRES=600)
    app.jwt_routes.set_exp(expire_days=1)

    with pytest.raises(UsageError, match="JWT_ROUTER_MAX_LIFETIME"):
        app.token()


def test_expired_token_within_and_beyond_leeway(make_app: MakeApp) -> None:
    app = make_app(JWT_ROUTER_LEEWAY=30)
    now = int(time.time())

    within = hs_token({"alg": "HS256"}, claims(exp=now - 10))
    beyond = hs_token({"alg": "HS256"}, claims(exp=now - 60))

    assert app.get_me(within).status_code == 200
    assert_refused(app.get_me(beyond), 401, "token_expired")
