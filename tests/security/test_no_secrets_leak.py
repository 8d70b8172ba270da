"""No token, key or secret ever appears in a log line, a response or an
error message: every refusal is made with all logs captured, then searched."""

from __future__ import annotations

import logging
import time
import typing as t

import pytest

from flask_jwt_router import ConfigurationError

from .conftest import (
    SECRET,
    KeySetServer,
    SecurityApp,
    b64,
    claims,
    hs_token,
    private_key,
    private_pem,
    public_jwk,
    raw_token,
)

MakeApp = t.Callable[..., SecurityApp]


def needles(*texts: str) -> list[str]:
    """What must never be seen: each text, and the longest lines of PEMs."""
    found = []

    for text in texts:
        found.append(text)

        if "-----BEGIN" in text:
            body = [line for line in text.splitlines() if "-----" not in line]
            found.extend(line for line in body if len(line) >= 40)

    return found


def attempts(
    app: SecurityApp, secret: str
) -> list[tuple[str, str | None, dict[str, t.Any]]]:
    """(token, header value, query) of one request per kind of refusal."""
    good = app.token(1)
    header, payload, signature = good.split(".")
    now = int(time.time())

    tokens = {
        "expired": hs_token({"alg": "HS256"}, claims(exp=now - 3600), secret),
        "bad_signature": ".".join((header, b64(b'{"id": 2}'), signature)),
        "other_key": hs_token({"alg": "HS256"}, claims(), "k" * 64),
        "alg_none": ".".join((b64(b'{"alg":"none"}'), payload, "")),
        "malformed": good[:-5] + "!!!!!",
        "unknown_kid": hs_token({"alg": "HS256", "kid": "who"}, claims(), secret),
        "unknown_entity": hs_token({"alg": "HS256"}, claims(999), secret),
        "bad_id": hs_token({"alg": "HS256"}, claims(id={"a": 1}), secret),
        "table": hs_token({"alg": "HS256"}, claims(table_name="admins"), secret),
        "future": hs_token({"alg": "HS256"}, claims(nbf=now + 999), secret),
        "too_long": good + "A" * 9000,
        "string_exp": hs_token({"alg": "HS256"}, claims(exp="x"), secret),
        "crit": hs_token({"alg": "HS256", "crit": ["zz"], "zz": 1}, claims(), secret),
    }
    requests: list[tuple[str, str | None, dict[str, t.Any]]] = []

    for token in tokens.values():
        requests.append((token, f"Bearer {token}", {}))
        requests.append((token, None, {"auth": token}))

    # Two different tokens at once, and schemes that are not Bearer.
    requests.append((good, f"Bearer {good}", {"auth": tokens["expired"]}))
    requests.append((good, f"Basic {good}", {}))
    requests.append((good, f"Token {good}", {}))
    requests.append((good, f"Bearer {good} {good}", {}))
    return requests


def refuse_everything(
    app: SecurityApp, secret: str, caplog: pytest.LogCaptureFixture
) -> str:
    """Make every refusal with every logger captured; return all that was seen."""
    seen: list[str] = []

    with caplog.at_level(logging.DEBUG):
        for _, header, query in attempts(app, secret):
            headers = {} if header is None else {"Authorization": header}
            response = app.client.get("/me", headers=headers, query_string=query)

            assert 400 <= response.status_code < 500
            seen.append(response.get_data(as_text=True))
            seen.extend(f"{name}: {value}" for name, value in response.headers.items())

        # update_token on a public route with a bad token, too.
        response = app.client.get(
            "/refresh", headers={"Authorization": f"Bearer {app.token()}x"}
        )
        assert response.status_code == 401
        seen.append(response.get_data(as_text=True))

    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(str(record.exc_info) for record in caplog.records if record.exc_info)
    return "\n".join(seen)


def add_refresh_route(app: SecurityApp) -> None:
    app.app.config["WHITE_LIST_ROUTES"].append(("GET", "/refresh"))

    @app.app.get("/refresh")
    def refresh() -> str:
        return app.jwt_routes.update_token(entity_id=1)


def test_hmac_refusals_leak_nothing(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(init=False)
    add_refresh_route(app)
    app.init()
    good = app.token(1)

    seen = refuse_everything(app, SECRET, caplog)

    for token, _, _ in attempts(app, SECRET):
        assert token not in seen
        assert token.split(".")[-1] not in seen or not token.split(".")[-1]

    for needle in needles(SECRET, good, good.split(".")[2]):
        assert needle not in seen


def test_asymmetric_refusals_leak_nothing(
    make_app: MakeApp,
    caplog: pytest.LogCaptureFixture,
    key_set_server: KeySetServer,
) -> None:
    pem = private_pem("rsa")
    key_set_server.document = {"keys": [public_jwk("rsa", 1, "partner", "RS256")]}
    app = make_app(
        init=False,
        JWT_ROUTER_ALGORITHM="RS256",
        JWT_ROUTER_PRIVATE_KEY=pem,
        JWT_ROUTER_JWKS_URL=key_set_server.url(),
    )
    add_refresh_route(app)
    app.init()
    partner_token = raw_token(claims(), private_key("rsa", 1), "RS256", {"kid": "x"})

    seen = refuse_everything(app, SECRET, caplog)

    with caplog.at_level(logging.DEBUG):
        app.get_me(partner_token)

    seen += "\n".join(record.getMessage() for record in caplog.records)

    for needle in needles(pem, partner_token, SECRET):
        assert needle not in seen


def test_database_failure_leaks_no_password(
    caplog: pytest.LogCaptureFixture, dedicated_postgres: t.Any
) -> None:
    from .test_database_faults import PostgresApp

    app = PostgresApp(dedicated_postgres.url, scoped=False)

    try:
        dedicated_postgres.stop()

        with caplog.at_level(logging.DEBUG):
            response = app.get_me()

        assert response.status_code == 503
        seen = response.get_data(as_text=True) + "\n".join(
            record.getMessage() for record in caplog.records
        )
        assert caplog.records, "the failure should be logged"
        assert dedicated_postgres.password not in seen
        assert app.token not in seen
    finally:
        app.engine.dispose()


@pytest.mark.parametrize(
    "config",
    [
        {"SECRET_KEY": private_pem("rsa")},
        {"JWT_ROUTER_ALGORITHM": "ES256", "JWT_ROUTER_PRIVATE_KEY": private_pem("rsa")},
        {"JWT_ROUTER_ALGORITHM": "RS256", "JWT_ROUTER_PUBLIC_KEY": private_pem("rsa")},
        {"SECRET_KEY": "tiny-secret", "JWT_ROUTER_STRICT_KEYS": True},
        {"JWT_ROUTER_KEYS": [{"kid": "a", "secret": "tiny-secret", "bad": 1}]},
        {"JWT_ROUTER_KEYS": [{"kid": "a", "algorithm": "RS256", "secret": SECRET}]},
        {"JWT_ROUTER_PRIVATE_KEY": private_pem("p256")},
    ],
    ids=[
        "pem-as-secret",
        "wrong-family",
        "private-as-public",
        "short",
        "ring",
        "ring-2",
        "hs-pem",
    ],
)
def test_configuration_errors_leak_no_key(
    make_app: MakeApp, config: dict[str, t.Any]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(**config)

    message = str(caught.value)
    secrets = [value for value in _strings(config) if len(value) >= 8]

    for value in secrets:
        for needle in needles(value):
            assert needle not in message


def _strings(value: object) -> t.Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
