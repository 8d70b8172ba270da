"""Fixtures of the security tests: apps on SQLite, keys of every kind, and a
forge for tokens of any shape (raw PyJWT and hand-built segments)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
import typing as t

import jwt
import pytest
from flask import Flask, g
from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.pool import StaticPool

from flask_jwt_router import JwtRoutes

#: Long enough for HS512 (64 bytes).
SECRET = "security-suite-secret-" + "0123456789abcdef" * 3
OTHER_SECRET = "another-secret-entirely-" + "fedcba9876543210" * 3
USER_COUNT = 20


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def user_name(user_id: int) -> str:
    return f"user-{user_id}"


class SecurityApp:
    """A protected app, its extension, a client, and a record of the views
    that ran."""

    def __init__(self, config: dict[str, t.Any], init: bool = True) -> None:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        Base.metadata.create_all(engine)
        self.session = scoped_session(sessionmaker(engine))
        self.session.add_all(
            User(id=i, name=user_name(i)) for i in range(1, USER_COUNT + 1)
        )
        self.session.commit()

        self.app = Flask("security_app")
        self.app.config.update(TESTING=True, WHITE_LIST_ROUTES=[("GET", "/public")])
        self.app.config.update(config)
        self.ran: list[str] = []
        self.jwt_routes = JwtRoutes(session=self.session)
        self._routes()

        if init:
            self.init()

        self.client = self.app.test_client()

    def init(self) -> None:
        self.jwt_routes.init_app(self.app, entity_models=[User])

    def _routes(self) -> None:
        app = self.app

        @app.get("/me")
        def me() -> dict[str, t.Any]:
            self.ran.append("me")
            return {"id": g.users.id, "name": g.users.name}

        @app.get("/public")
        def public() -> dict[str, t.Any]:
            return {"public": True}

    def token(self, user_id: int = 1) -> str:
        with self.app.app_context():
            return self.jwt_routes.create_token(entity_id=user_id, table_name="users")

    def get_me(self, token: str | None, **kwargs: t.Any) -> t.Any:
        headers = kwargs.pop("headers", {})

        if token is not None:
            headers["Authorization"] = f"Bearer {token}"

        return self.client.get("/me", headers=headers, **kwargs)


@pytest.fixture
def make_app() -> t.Callable[..., SecurityApp]:
    def make(init: bool = True, **config: t.Any) -> SecurityApp:
        if "SECRET_KEY" not in config:
            config["SECRET_KEY"] = SECRET

        return SecurityApp(config, init=init)

    return make


@pytest.fixture
def hs_app(make_app: t.Callable[..., SecurityApp]) -> SecurityApp:
    """The default configuration: HS256 with SECRET_KEY."""
    return make_app()


def assert_refused(response: t.Any, code: int = 401, error: str | None = None) -> None:
    """A JSON refusal with ``WWW-Authenticate``, the status and error asked for."""
    assert response.status_code == code, response.get_data(as_text=True)
    assert response.is_json
    assert "WWW-Authenticate" in response.headers

    if error is not None:
        assert response.json["error"] == error


# -- keys --------------------------------------------------------------------


def private_key(kind: str, number: int = 0) -> t.Any:
    """A private key object of ``kind``; ``number`` tells keys of one kind
    apart. Cached: RSA generation is slow."""
    return _private_key(kind, number)


@functools.cache
def _private_key(kind: str, number: int) -> t.Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if kind.startswith("rsa"):
        bits = int(kind[3:] or 2048)
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)

    curves = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1}

    if kind in curves:
        return ec.generate_private_key(curves[kind]())

    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()

    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()

    raise ValueError(kind)


def private_pem(kind: str, number: int = 0) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        private_key(kind, number)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


def public_pem(kind: str, number: int = 0) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        private_key(kind, number)
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode("ascii")
    )


#: The key kind each asymmetric algorithm takes.
KEY_KIND = {
    **{f"{family}{bits}": "rsa" for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": "p256",
    "ES384": "p384",
    "ES512": "p521",
    "EdDSA": "ed25519",
}


# -- forging tokens ------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def json_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value

    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def hs_token(
    header: object,
    payload: object,
    secret: str | bytes = SECRET,
    hash_name: str = "sha256",
) -> str:
    """A token of any header and payload (dict, list, raw bytes) with a valid
    HMAC signature over exactly those bytes."""
    signing_input = f"{b64(json_bytes(header))}.{b64(json_bytes(payload))}"
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, signing_input.encode("ascii"), hash_name).digest()
    return f"{signing_input}.{b64(digest)}"


def claims(user_id: int = 1, **extra: t.Any) -> dict[str, t.Any]:
    """Claims of a well-formed token for ``user_id``; ``extra`` overrides."""
    now = int(time.time())
    base: dict[str, t.Any] = {
        "table_name": "users",
        "id": user_id,
        "sub": str(user_id),
        "iat": now,
        "exp": now + 3600,
    }
    base.update(extra)
    return {name: value for name, value in base.items() if value is not _DROP}


#: Pass as a claim value to leave the claim out.
_DROP = object()
DROP: t.Any = _DROP


def raw_token(
    payload: dict[str, t.Any],
    key: t.Any = SECRET,
    algorithm: str = "HS256",
    headers: dict[str, t.Any] | None = None,
) -> str:
    """A token signed by PyJWT itself, outside the library."""
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- a key set server on 127.0.0.1 ----------------------------------------------


class KeySetServer:
    """Serves a JWK Set (or any body) from 127.0.0.1 and counts the requests.

    Started and stopped by the test that uses it; ``document`` and ``status``
    may be changed while it runs.
    """

    def __init__(self) -> None:
        import http.server
        import threading

        self.document: object = {"keys": []}
        self.status = 200
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                owner.hits.append(self.path)
                body = json_bytes(owner.document)
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: t.Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()

    def url(self, path: str = "/jwks.json") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def key_set_server() -> t.Iterator[KeySetServer]:
    server = KeySetServer()

    try:
        yield server
    finally:
        server.stop()


def public_jwk(kind: str, number: int, kid: str, algorithm: str) -> dict[str, t.Any]:
    """The public JWK of ``private_key(kind, number)``."""
    from jwt.algorithms import get_default_algorithms

    alg = get_default_algorithms()[algorithm]
    jwk = alg.to_jwk(private_key(kind, number).public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}
