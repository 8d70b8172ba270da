"""CPU cost per request of flask-jwt-router against no auth and a minimal guard.

Three copies of the same Flask-SQLAlchemy app run in one process:

(a) ``none``: no authentication at all;
(b) ``minimal``: a hand-written ``before_request`` guard that looks the
    matched ``(rule, method)`` up in a dict of public routes, runs
    ``jwt.decode(token, key, algorithms=["HS256"])`` and
    ``db.session.get(User, id)``, and puts the row on ``g``;
(c) ``ours``: ``JwtRoutes(app, entity_models=[User])``.

Each is measured on a protected route with a valid token, a public route and
a refused request (no token), with 10 and 1,000 whitelist entries, each entry
a real route of the app. Requests are direct WSGI calls with prebuilt
environs, the same for every variant. The variants take turns within each
round, in a rotating order; the script reports CPU microseconds per request
(``time.process_time_ns``) as the median and the best of the rounds, and the
ratios of the medians. Then ``create_token`` is compared with ``jwt.encode``.

    python benchmarks/bench.py            # about a minute
    python benchmarks/bench.py --quick    # a smoke run, numbers meaningless
    python benchmarks/bench.py --profile  # cProfile of (c), per scenario
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import io
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import typing as t
import uuid
from importlib.metadata import PackageNotFoundError, version

import jwt
import sqlalchemy
from flask import Flask, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.test import EnvironBuilder

from flask_jwt_router import JwtRoutes

SECRET = "benchmark-secret-" + "k" * 47
API = "/api"
SIZES = (10, 1000)
VARIANTS = ("none", "minimal", "ours")
LABELS = {"none": "(a) none", "minimal": "(b) minimal", "ours": "(c) ours"}
KINDS = ("protected", "public", "refused")
EXPIRE_SECONDS = 30 * 86400

#: Targets from the issue: the ratio of (c) to a baseline, at most.
TARGETS = {
    ("protected", "minimal"): 1.15,
    ("public", "none"): 1.10,
    ("refused", "none"): 1.10,
}
CREATE_TOKEN_TARGET = 1.25

Environ = dict[str, t.Any]
WsgiApp = t.Callable[[Environ, t.Any], t.Iterable[bytes]]


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
#: One instance serves every (c) app, as in a factory-built app.
jwt_routes = JwtRoutes()


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sqlalchemy.String(80))


# -- the apps --------------------------------------------------------------


def whitelist(size: int) -> list[tuple[str, str]]:
    """``size`` entries, each the path of a real route; the measured one last."""
    entries = []

    for index in range(size - 1):
        if index % 2:
            entries.append(("GET", f"/items{index}/<int:item_id>"))
        else:
            entries.append(("POST", f"/forms{index}"))

    entries.append(("GET", "/courses"))
    return entries


def me() -> t.Any:
    user = g.get("users")
    return jsonify(user=None if user is None else user.id)


def courses() -> t.Any:
    return jsonify(courses=["CS101", "CS220", "CS310"])


def filler(**kwargs: t.Any) -> t.Any:
    return jsonify(ok=True)


def build_app(variant: str, size: int, database_uri: str) -> Flask:
    app = Flask(f"bench_{variant}_{size}", static_folder=None)
    entries = whitelist(size)
    app.config.update(
        SECRET_KEY=SECRET,
        SQLALCHEMY_DATABASE_URI=database_uri,
        JWT_ROUTER_API_NAME=API,
        WHITE_LIST_ROUTES=entries,
    )
    db.init_app(app)

    for index, (method, path) in enumerate(entries[:-1]):
        app.add_url_rule(API + path, f"filler{index}", filler, methods=[method])

    app.add_url_rule(API + "/courses", "courses", courses)
    app.add_url_rule(API + "/me", "me", me)

    if variant == "ours":
        jwt_routes.init_app(app, entity_models=[User])
    elif variant == "minimal":
        install_minimal_guard(app, entries)

    return app


def install_minimal_guard(app: Flask, entries: list[tuple[str, str]]) -> None:
    """The guard a developer would write by hand, with nothing extra."""
    public = {(API + path, method): True for method, path in entries}

    @app.before_request
    def guard() -> t.Any:
        rule = request.url_rule

        if rule is None or public.get((rule.rule, request.method)):
            return None

        header = request.headers.get("Authorization", "")

        if not header.startswith("Bearer "):
            return jsonify(error="token_missing"), 401

        try:
            claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return jsonify(error="invalid_token"), 401

        user = db.session.get(User, claims["id"])

        if user is None:
            return jsonify(error="unknown_user"), 401

        g.users = user
        return None


# -- measuring -------------------------------------------------------------


def _ignore_start(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
    return None


def call(app: WsgiApp, environ: Environ) -> tuple[str, bytes]:
    """One request, returning the status line and the body."""
    seen: list[str] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        seen.append(status)

    result = app(dict(environ), start_response)

    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)

        if close is not None:
            close()

    return seen[0], body


def timed(app: WsgiApp, environ: Environ, count: int) -> float:
    """CPU microseconds per request over ``count`` requests."""
    copy = environ.copy
    start = _ignore_start
    gc.collect()
    gc.disable()

    try:
        begin = time.process_time_ns()

        for _ in range(count):
            result = app(copy(), start)

            for _chunk in result:
                pass

            result.close()  # type: ignore[attr-defined]

        elapsed = time.process_time_ns() - begin
    finally:
        gc.enable()

    return elapsed / count / 1000


def timed_call(function: t.Callable[[], object], count: int) -> float:
    """CPU microseconds per call of ``function``."""
    gc.collect()
    gc.disable()

    try:
        begin = time.process_time_ns()

        for _ in range(count):
            function()

        elapsed = time.process_time_ns() - begin
    finally:
        gc.enable()

    return elapsed / count / 1000


@dataclasses.dataclass
class Scenario:
    kind: str
    size: int
    #: variant -> (wsgi app, environ)
    cases: dict[str, tuple[WsgiApp, Environ]]
    samples: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def median(self, variant: str) -> float:
        return statistics.median(self.samples[variant])

    def best(self, variant: str) -> float:
        return min(self.samples[variant])


def environ_for(kind: str, token: str) -> Environ:
    if kind == "public":
        builder = EnvironBuilder(path=API + "/courses")
    elif kind == "protected":
        builder = EnvironBuilder(
            path=API + "/me", headers=[("Authorization", f"Bearer {token}")]
        )
    else:
        builder = EnvironBuilder(path=API + "/me")

    try:
        return builder.get_environ()
    finally:
        builder.close()


EXPECTED = {
    # kind -> variant -> status
    "protected": {"none": "200 OK", "minimal": "200 OK", "ours": "200 OK"},
    "public": {"none": "200 OK", "minimal": "200 OK", "ours": "200 OK"},
    "refused": {
        "none": "200 OK",
        "minimal": "401 UNAUTHORIZED",
        "ours": "401 UNAUTHORIZED",
    },
}


def build_scenarios(database_uri: str) -> tuple[list[Scenario], Flask]:
    scenarios = []
    token_app: Flask | None = None

    for size in SIZES:
        apps = {variant: build_app(variant, size, database_uri) for variant in VARIANTS}

        with apps["ours"].app_context():
            if token_app is None:
                db.create_all()
                db.session.add(User(id=1, name="Ada"))
                db.session.commit()
                token_app = apps["ours"]

            token = jwt_routes.create_token(entity_id=1, table_name="users")

        for kind in KINDS:
            environ = environ_for(kind, token)
            cases: dict[str, tuple[WsgiApp, Environ]] = {
                variant: (apps[variant].wsgi_app, environ) for variant in VARIANTS
            }
            scenario = Scenario(kind, size, cases)
            check(scenario)
            scenarios.append(scenario)

    assert token_app is not None
    return scenarios, token_app


def check(scenario: Scenario) -> None:
    """Every variant answers what it should before anything is timed."""
    for variant, (app, environ) in scenario.cases.items():
        status, body = call(app, environ)
        expected = EXPECTED[scenario.kind][variant]

        if status != expected:
            raise SystemExit(
                f"{scenario.kind}/{scenario.size}/{variant}: got {status},"
                f" expected {expected}: {body[:200]!r}"
            )

        if scenario.kind == "protected" and variant != "none":
            assert b'"user":1' in body.replace(b" ", b""), body


def measure(scenarios: list[Scenario], rounds: int, count: int) -> None:
    # One untimed pass warms every cache the first requests fill.
    for scenario in scenarios:
        for app, environ in scenario.cases.values():
            timed(app, environ, count)

    for round_index in range(rounds):
        shift = round_index % len(VARIANTS)
        order = VARIANTS[shift:] + VARIANTS[:shift]

        for scenario in scenarios:
            for variant in order:
                app, environ = scenario.cases[variant]
                sample = timed(app, environ, count)
                scenario.samples.setdefault(variant, []).append(sample)


def measure_tokens(app: Flask, rounds: int, count: int) -> dict[str, list[float]]:
    def raw_claims() -> dict[str, t.Any]:
        now_us = time.time_ns() // 1000
        now = now_us // 1_000_000
        return {
            "table_name": "users",
            "id": 1,
            "sub": "1",
            "iat": now,
            "iat_us": now_us,
            "exp": now + EXPIRE_SECONDS,
            "jti": uuid.uuid4().hex,
        }

    def raw_fresh() -> str:
        return jwt.encode(raw_claims(), SECRET, algorithm="HS256")

    prebuilt = raw_claims()

    def raw_prebuilt() -> str:
        return jwt.encode(prebuilt, SECRET, algorithm="HS256")

    def ours() -> str:
        return jwt_routes.create_token(entity_id=1, table_name="users")

    functions = {"raw": raw_fresh, "raw_prebuilt": raw_prebuilt, "ours": ours}
    samples: dict[str, list[float]] = {name: [] for name in functions}

    with app.app_context():
        # The baseline must sign the same claim names as create_token.
        mine = jwt.decode(ours(), SECRET, algorithms=["HS256"])
        theirs = jwt.decode(raw_fresh(), SECRET, algorithms=["HS256"])

        if mine.keys() != theirs.keys():
            raise SystemExit(
                f"create_token() writes the claims {sorted(mine)}, the raw baseline"
                f" {sorted(theirs)}: update raw_claims() in {__file__}."
            )

        for function in functions.values():
            timed_call(function, count)

        for round_index in range(rounds):
            names = list(functions)
            shift = round_index % len(names)

            for name in names[shift:] + names[:shift]:
                samples[name].append(timed_call(functions[name], count))

    return samples


# -- reporting -------------------------------------------------------------


def verdict(ratio: float, limit: float) -> str:
    return f"target <= {limit:.2f}: {'met' if ratio <= limit else 'MISSED'}"


def report(
    scenarios: list[Scenario], tokens: dict[str, list[float]], out: t.TextIO
) -> None:
    width = 18
    header = f"{'scenario':<12}{'entries':>8}  " + "".join(
        f"{LABELS[variant]:>{width}}" for variant in VARIANTS
    )
    out.write("\nCPU microseconds per request, median / best of the rounds\n\n")
    out.write(header + "\n")
    out.write("-" * len(header) + "\n")

    for scenario in scenarios:
        cells = "".join(
            f"{f'{scenario.median(v):.1f} / {scenario.best(v):.1f}':>{width}}"
            for v in VARIANTS
        )
        out.write(f"{scenario.kind:<12}{scenario.size:>8}  {cells}\n")

    out.write(
        "\nRatios of (c) to (a) and (b): medians (bests in brackets), and what"
        " (c) adds\n\n"
    )

    for scenario in scenarios:
        parts = []

        for base, name in (("none", "c/a"), ("minimal", "c/b")):
            ratio = scenario.median("ours") / scenario.median(base)
            best = scenario.best("ours") / scenario.best(base)
            extra = scenario.median("ours") - scenario.median(base)
            text = f"{name} {ratio:.2f} ({best:.2f}) {extra:+.1f} us"
            limit = TARGETS.get((scenario.kind, base))

            if limit is not None:
                text += f" [{verdict(ratio, limit)}]"

            parts.append(text)

        out.write(f"{scenario.kind:<12}{scenario.size:>6}  " + "   ".join(parts) + "\n")

    out.write("\nGrowth from 10 to 1,000 entries, median (best in brackets)\n\n")
    by_key = {(s.kind, s.size): s for s in scenarios}

    for kind in KINDS:
        small, large = by_key[(kind, SIZES[0])], by_key[(kind, SIZES[1])]
        parts = []

        for variant in VARIANTS:
            ratio = large.median(variant) / small.median(variant)
            best = large.best(variant) / small.best(variant)
            parts.append(f"{variant} x{ratio:.2f} ({best:.2f})")

        out.write(f"{kind:<12}" + "   ".join(parts) + "\n")

    raw, prebuilt, ours = (
        statistics.median(tokens[name]) for name in ("raw", "raw_prebuilt", "ours")
    )
    ratio = ours / raw
    out.write("\nIssuing a token, CPU microseconds per call, median / best\n\n")

    for name, label in (
        ("ours", "create_token()"),
        ("raw", "jwt.encode, claims built per call"),
        ("raw_prebuilt", "jwt.encode, claims built once"),
    ):
        values = tokens[name]
        out.write(f"{label:<36}{statistics.median(values):>8.1f} / {min(values):.1f}\n")

    out.write(
        f"\ncreate_token/raw {ratio:.2f} [{verdict(ratio, CREATE_TOKEN_TARGET)}]"
        f"   create_token/raw_prebuilt {ours / prebuilt:.2f}\n"
    )


def profile(scenarios: list[Scenario], count: int, out: t.TextIO) -> None:
    """Print where (c) spends its time in each scenario of the largest size."""
    for scenario in scenarios:
        if scenario.size != SIZES[-1]:
            continue

        app, environ = scenario.cases["ours"]
        profiler = cProfile.Profile()
        profiler.enable()

        for _ in range(count):
            call(app, environ)

        profiler.disable()
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats("tottime").print_stats(18)
        out.write(f"\n== profile of (c) ours, {scenario.kind}, {scenario.size}\n")
        out.write(buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (15)")
    parser.add_argument("--requests", type=int, help="requests per sample (300)")
    parser.add_argument("--profile", action="store_true", help="cProfile of (c)")
    parser.add_argument(
        "--no-revocation",
        action="store_true",
        help="leave out the revocation rows (bench_revocation.py)",
    )
    args = parser.parse_args(argv)

    rounds = args.rounds or (2 if args.quick else 15)
    count = args.requests or (10 if args.quick else 300)
    out = sys.stdout

    out.write(
        f"Python {platform.python_version()}, Flask {version('flask')},"
        f" PyJWT {version('pyjwt')} (cryptography {_optional('cryptography')}),"
        f" SQLAlchemy {version('sqlalchemy')},"
        f" {os.cpu_count()} CPUs; {rounds} rounds x {count} requests\n"
    )

    with tempfile.TemporaryDirectory() as folder:
        database_uri = f"sqlite:///{os.path.join(folder, 'bench.sqlite')}"
        started = time.perf_counter()
        scenarios, token_app = build_scenarios(database_uri)
        measure(scenarios, rounds, count)
        tokens = measure_tokens(token_app, rounds, count * 4)
        report(scenarios, tokens, out)

        if args.profile:
            profile(scenarios, count * 4, out)

        for app in _apps(scenarios):
            with app.app_context():
                db.engine.dispose()

    if not args.no_revocation:
        # The protected route with revocation off, in memory and on Redis,
        # as ratios to off; see bench_revocation.py.
        out.write("\nRevocation, ")
        out.flush()
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bench_revocation import main as revocation

        revocation(["--rounds", str(rounds), "--requests", str(count)])

    out.write(f"\nwall time {time.perf_counter() - started:.1f} s\n")
    return 0


def _optional(name: str) -> str:
    # PyJWT vets HMAC keys with cryptography when it is installed, which
    # makes every raw jwt.encode and jwt.decode dearer.
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _apps(scenarios: list[Scenario]) -> list[Flask]:
    found: dict[int, Flask] = {}

    for scenario in scenarios:
        for wsgi_app, _ in scenario.cases.values():
            app = wsgi_app.__self__  # type: ignore[attr-defined]
            found[id(app)] = app

    return list(found.values())


if __name__ == "__main__":
    sys.exit(main())
