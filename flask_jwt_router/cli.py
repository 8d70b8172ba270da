"""``flask jwt-router``: the route map, the CI check and minting tokens."""

from __future__ import annotations

import json
import typing as t
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from .audit import RouteInfo, check_routes, route_map
from .errors import JwtRouterError
from .settings import MAX_EXPIRE_DAYS
from .tokens import check_custom_claims

jwt_router_cli = AppGroup(
    "jwt-router", help="Audit the routes flask-jwt-router protects; mint tokens."
)

_HEADERS = ("RULE", "METHOD", "ENDPOINT", "POLICY", "DECIDED BY")


@jwt_router_cli.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def routes_command(as_json: bool) -> None:
    """List every rule and method with its policy and what decided it."""
    routes = _run(route_map)

    if as_json:
        click.echo(json.dumps([route.as_dict() for route in routes], indent=2))
        return

    rows = [_HEADERS, *(_row(route) for route in routes)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]

    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]).rstrip())


@jwt_router_cli.command("check")
def check_command() -> None:
    """Fail (exit 1) on config entries that match no rule, converter
    wildcards, views answering OPTIONS themselves and conflicting rules."""
    findings = _run(check_routes)

    for finding in findings:
        click.echo(str(finding))

    if findings:
        click.echo(f"flask-jwt-router: {len(findings)} finding(s).", err=True)
        raise SystemExit(1)

    click.echo("flask-jwt-router: no findings.")


@jwt_router_cli.command("token")
@click.argument("table_name")
@click.argument("entity_id")
@click.option(
    "--days", type=float, default=None, help="Lifetime in days (default: the app's)."
)
@click.option(
    "--claim",
    "claims",
    multiple=True,
    metavar="NAME=VALUE",
    help="A custom claim; VALUE is read as JSON when it parses, else as text.",
)
def token_command(
    table_name: str, entity_id: str, days: float | None, claims: tuple[str, ...]
) -> None:
    """Print a token for the row ENTITY_ID of TABLE_NAME."""
    from .extension import _state

    if days is not None and not 0 < days <= MAX_EXPIRE_DAYS:
        raise click.BadParameter(
            f"must be a positive number of days, at most {MAX_EXPIRE_DAYS}",
            param_hint="--days",
        )

    extra = dict(_claim(text) for text in claims)

    def mint(app: t.Any) -> str:
        state = _state()
        runtime = state.ready()
        entity = runtime.registry.require(table_name)
        lifetime = None if days is None else timedelta(days=days)
        custom = check_custom_claims(extra, entity.id_claims)
        return state.ext._sign(
            runtime, entity, entity_id, None, lifetime, custom=custom
        )

    click.echo(_run(mint))


_R = t.TypeVar("_R")


def _run(action: t.Callable[[t.Any], _R]) -> _R:
    try:
        return action(t.cast(t.Any, current_app)._get_current_object())
    except JwtRouterError as error:
        raise click.ClickException(str(error)) from None


def _row(route: RouteInfo) -> tuple[str, str, str, str, str]:
    policy = route.policy

    if route.entities is not None:
        policy += f" [{', '.join(route.entities)}]"

    if route.conflicts:
        policy += " (conflict)"

    rule = route.rule

    if route.subdomain:
        rule = f"{route.subdomain}.<domain>{rule}"
    elif route.host:
        rule = f"{route.host}{rule}"

    return (rule, route.method, route.endpoint, policy, "; ".join(route.decided_by))


def _claim(text: str) -> tuple[str, t.Any]:
    name, sep, raw = text.partition("=")

    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--claim")

    try:
        value = json.loads(raw)
    except ValueError:
        value = raw

    return name, value
