"""Publishing the app's public keys, and verifying against another service's
published keys served from 127.0.0.1 by a server the test starts."""

from __future__ import annotations

import typing as t

import jwt
import pytest

from flask_jwt_router import ConfigurationError

from .conftest import (
    SECRET,
    KeySetServer,
    SecurityApp,
    assert_refused,
    claims,
    private_key,
    private_pem,
    public_jwk,
    public_pem,
    raw_token,
)

MakeApp = t.Callable[..., SecurityApp]
PATH = "/.well-known/jwks.json"


def ring_config() -> dict[str, t.Any]:
    return {
        "JWT_ROUTER_ALGORITHM": "RS256",
        "JWT_ROUTER_JWKS_PATH": PATH,
        "JWT_ROUTER_KEYS": [
            {"kid": "new", "private_key": private_pem("rsa", 0)},
            {"kid": "old", "public_key": public_pem("rsa", 1)},
            {"kid": "ec", "algorithm": "ES256", "private_key": private_pem("p256")},
            {"kid": "hmac", "algorithm": "HS256", "secret": SECRET},
        ],
    }


# -- the endpoint -------------------------------------------------------------------


def test_endpoint_publishes_every_public_key_and_no_secret(make_app: MakeApp) -> None:
    app = make_app(**ring_config())
    response = app.client.get(PATH)

    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    keys = {jwk["kid"]: jwk for jwk in response.json["keys"]}
    assert set(keys) == {"new", "old", "ec"}
    assert keys["new"]["alg"] == "RS256" and keys["ec"]["alg"] == "ES256"
    assert all(jwk["use"] == "sig" for jwk in keys.values())

    body = response.get_data(as_text=True)
    private_members = ('"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', '"k"')
    assert not any(member in body for member in private_members)
    assert jwt.utils.base64url_encode(SECRET.encode()).decode() not in body


def test_endpoint_keys_verify_the_apps_tokens(make_app: MakeApp) -> None:
    app = make_app(**ring_config())
    token = app.token(6)
    key_set = jwt.PyJWKSet.from_dict(app.client.get(PATH).json)
    kid = jwt.get_unverified_header(token)["kid"]

    assert kid == "new"
    payload = jwt.decode(token, key_set[kid], algorithms=["RS256"])
    assert payload["id"] == 6


def test_endpoint_is_public_and_cacheable(make_app: MakeApp) -> None:
    app = make_app(**ring_config(), JWT_ROUTER_JWKS_MAX_AGE=120)
    first = app.client.get(PATH)

    assert first.headers["Cache-Control"] == "public, max-age=120"
    etag = first.headers["ETag"]
    assert etag

    again = app.client.get(PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""

    head = app.client.head(PATH)
    assert head.status_code == 200
    assert app.client.post(PATH).status_code == 405


def test_endpoint_can_be_protected(make_app: MakeApp) -> None:
    app = make_app(**ring_config(), JWT_ROUTER_JWKS_PUBLIC=False)

    assert_refused(app.client.get(PATH), 401, "token_missing")
    authorized = app.client.get(
        PATH, headers={"Authorization": f"Bearer {app.token()}"}
    )
    assert authorized.status_code == 200


def test_endpoint_path_is_configurable(make_app: MakeApp) -> None:
    app = make_app(**{**ring_config(), "JWT_ROUTER_JWKS_PATH": "/auth/keys"})

    assert app.client.get("/auth/keys").status_code == 200
    assert app.client.get(PATH).status_code == 404


def test_endpoint_is_off_by_default(make_app: MakeApp) -> None:
    config = ring_config()
    del config["JWT_ROUTER_JWKS_PATH"]
    app = make_app(**config)

    assert app.client.get(PATH).status_code == 404


def test_endpoint_with_only_hmac_keys_fails_at_startup(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="HMAC secrets are never published"):
        make_app(JWT_ROUTER_JWKS_PATH=PATH)


def test_endpoint_path_set_after_init_app_fails_clearly(make_app: MakeApp) -> None:
    config = ring_config()
    del config["JWT_ROUTER_JWKS_PATH"]
    app = make_app(**config)
    app.app.config["JWT_ROUTER_JWKS_PATH"] = PATH

    with pytest.raises(ConfigurationError, match="before calling"):
        app.client.get("/public")


@pytest.mark.parametrize("path", ["jwks.json", 5, ""])
def test_endpoint_path_is_validated(make_app: MakeApp, path: object) -> None:
    with pytest.raises(ConfigurationError, match="JWT_ROUTER_JWKS_PATH"):
        make_app(**{**ring_config(), "JWT_ROUTER_JWKS_PATH": path})


# -- verifying with a remote key set ------------------------------------------


def remote_config(server: KeySetServer, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "SECRET_KEY": None,
        "JWT_ROUTER_ALGORITHM": "RS256",
        "JWT_ROUTER_JWKS_URL": server.url(),
        **extra,
    }


def issued(kid: str, number: int = 0, **claim_values: t.Any) -> str:
    return raw_token(
        claims(**claim_values), private_key("rsa", number), "RS256", {"kid": kid}
    )


def test_remote_key_set_verifies_and_is_cached(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(**remote_config(key_set_server))

    for user_id in (1, 2, 3):
        assert app.get_me(issued("a", id=user_id)).json["id"] == user_id

    assert len(key_set_server.hits) == 1


def test_remote_key_set_from_the_apps_own_endpoint(make_app: MakeApp) -> None:
    # Service A publishes, service B verifies: here both in one process, B
    # fetching A's key set through a real HTTP server.
    issuer = make_app(**ring_config())
    document = issuer.client.get(PATH).json
    server = KeySetServer()

    try:
        server.document = document
        verifier = make_app(**remote_config(server))
        assert verifier.get_me(issuer.token(9)).json["id"] == 9
    finally:
        server.stop()


def test_remote_unknown_kid_refreshes_at_most_once_per_interval(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(**remote_config(key_set_server))

    assert app.get_me(issued("a")).status_code == 200

    # A flood of tokens naming unknown kids right after a fetch costs none:
    # the set is fetched again only once the minimum interval (30 s) passed.
    for index in range(20):
        assert_refused(app.get_me(issued(f"unknown-{index}", 1)), 401, "token_invalid")

    assert len(key_set_server.hits) == 1


def test_remote_rotation_is_picked_up(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(
        **remote_config(key_set_server, JWT_ROUTER_JWKS_MIN_REFRESH_SECONDS=0.001)
    )

    assert app.get_me(issued("a")).status_code == 200

    key_set_server.document = {
        "keys": [
            public_jwk("rsa", 1, "b", "RS256"),
            public_jwk("rsa", 0, "a", "RS256"),
        ]
    }
    assert app.get_me(issued("b", 1)).status_code == 200
    assert app.get_me(issued("a")).status_code == 200


def test_remote_down_before_any_fetch_is_503(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.status = 500
    app = make_app(**remote_config(key_set_server))

    response = app.get_me(issued("a"))

    assert_refused(response, 503, "key_set_unavailable")
    assert response.headers["Retry-After"]


def test_remote_down_after_a_fetch_keeps_the_held_keys(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(
        **remote_config(
            key_set_server,
            JWT_ROUTER_JWKS_CACHE_SECONDS=0.001,
            JWT_ROUTER_JWKS_MIN_REFRESH_SECONDS=0.001,
        )
    )
    assert app.get_me(issued("a")).status_code == 200

    key_set_server.status = 503
    key_set_server.document = {"error": "down"}

    assert app.get_me(issued("a", id=2)).json["id"] == 2
    assert len(key_set_server.hits) >= 2


@pytest.mark.parametrize(
    "document",
    [
        "not an object",
        {"no": "keys"},
        {"keys": "nope"},
        {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "a", "alg": "HS256"}]},
    ],
    ids=["string", "no-keys", "keys-not-list", "symmetric"],
)
def test_remote_key_set_that_is_not_usable(
    make_app: MakeApp, key_set_server: KeySetServer, document: object
) -> None:
    key_set_server.document = document
    app = make_app(**remote_config(key_set_server))

    response = app.get_me(hs_token_for_kid("a"))

    assert response.status_code in (401, 503)
    assert app.ran == []


def hs_token_for_kid(kid: str) -> str:
    from .conftest import hs_token

    return hs_token({"alg": "HS256", "kid": kid}, claims(), "secret")


def test_remote_keys_for_another_algorithm_or_too_weak_are_ignored(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    private_weak = private_key("rsa1024")
    weak = {
        **public_jwk("rsa1024", 0, "weak", "RS256"),
    }
    key_set_server.document = {
        "keys": [
            public_jwk("p256", 0, "ec", "ES256"),
            weak,
            {**public_jwk("rsa", 0, "enc", "RS256"), "use": "enc"},
            public_jwk("rsa", 0, "good", "RS256"),
            "garbage",
            {"kid": "broken", "kty": "RSA", "n": "!!", "e": "AQAB"},
        ]
    }
    app = make_app(**remote_config(key_set_server))

    assert app.get_me(issued("good")).status_code == 200
    ec_token = raw_token(claims(), private_key("p256"), "ES256", {"kid": "ec"})
    assert_refused(app.get_me(ec_token))
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        weak_token = raw_token(claims(), private_weak, "RS256", {"kid": "weak"})
    assert_refused(app.get_me(weak_token))
    assert_refused(app.get_me(issued("enc")))
    assert_refused(app.get_me(issued("broken")))


def test_remote_tokens_need_a_kid(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(**remote_config(key_set_server))
    token = raw_token(claims(), private_key("rsa"), "RS256")

    assert_refused(app.get_me(token), 401, "token_invalid")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://auth.example.com/jwks.json", "plain http"),
        ("http://10.0.0.1/jwks.json", "plain http"),
        ("ftp://127.0.0.1/jwks.json", "https://"),
        ("/jwks.json", "https://"),
        (5, "https://"),
    ],
)
def test_remote_url_is_validated(make_app: MakeApp, url: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(JWT_ROUTER_ALGORITHM="RS256", JWT_ROUTER_JWKS_URL=url)


def test_remote_key_set_needs_an_asymmetric_algorithm(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match="only asymmetric"):
        make_app(JWT_ROUTER_JWKS_URL="https://auth.example.com/jwks.json")


def test_local_keys_and_a_remote_key_set_together(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    key_set_server.document = {"keys": [public_jwk("rsa", 1, "partner", "RS256")]}
    app = make_app(
        JWT_ROUTER_ALGORITHM="RS256",
        JWT_ROUTER_PRIVATE_KEY=private_pem("rsa", 0),
        JWT_ROUTER_JWKS_URL=key_set_server.url(),
    )

    assert app.get_me(app.token(1)).json["id"] == 1
    assert key_set_server.hits == []  # local kid: no fetch
    assert app.get_me(issued("partner", 1, id=2)).json["id"] == 2
    assert len(key_set_server.hits) == 1


def test_remote_key_set_cold_start_from_many_threads_fetches_once(
    make_app: MakeApp, key_set_server: KeySetServer
) -> None:
    import threading

    key_set_server.document = {"keys": [public_jwk("rsa", 0, "a", "RS256")]}
    app = make_app(**remote_config(key_set_server))
    app.client.get("/public")  # finish setting up; no key is fetched for this
    statuses: list[int] = []
    barrier = threading.Barrier(12, timeout=30)

    def call(user_id: int) -> None:
        client = app.app.test_client()
        token = issued("a", id=user_id)
        barrier.wait()
        response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=call, args=(i % 5 + 1,)) for i in range(12)]

    for thread in threads:
        thread.start()

    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * 12
    assert len(key_set_server.hits) == 1
