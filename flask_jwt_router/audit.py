"""The route map of an app and the checks made for CI."""

from __future__ import annotations

import dataclasses
import typing as t

from .routing import Access

if t.TYPE_CHECKING:
    from flask import Flask

    from .routing import RoutePolicy

#: The order methods are listed in, most common first.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclasses.dataclass(frozen=True)
class RouteInfo:
    """The policy of one method of one URL rule.

    .. versionadded:: 1.0
    """

    rule: str
    method: str
    endpoint: str
    #: One of the :class:`~flask_jwt_router.routing.Access` values, such as
    #: ``"protected"`` or ``"public"``.
    policy: str
    #: Table names whose tokens may use it; ``None``: any entity.
    entities: tuple[str, ...] | None
    #: The config entries and decorators that decided it, or ``"default"``.
    decided_by: tuple[str, ...]
    #: Disagreements between them, settled by the stricter meaning.
    conflicts: tuple[str, ...]
    subdomain: str | None = None
    host: str | None = None

    def as_dict(self) -> dict[str, t.Any]:
        """A JSON-ready dict, as ``flask jwt-router routes --json`` prints."""
        data = dataclasses.asdict(self)
        data["entities"] = None if self.entities is None else list(self.entities)
        data["decided_by"] = list(self.decided_by)
        data["conflicts"] = list(self.conflicts)
        return data


@dataclasses.dataclass(frozen=True)
class Finding:
    """Something ``flask jwt-router check`` fails on.

    .. versionadded:: 1.0
    """

    #: ``"unmatched-entry"``, ``"converter-wildcard"``, ``"view-options"`` or
    #: ``"conflict"``.
    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def route_map(app: Flask) -> list[RouteInfo]:
    """Every rule and method of ``app`` with its policy and what decided it.

    Builds the extension's runtime if no request has done it yet, so it
    raises :class:`~flask_jwt_router.ConfigurationError` on a bad config.

    .. versionadded:: 1.0
    """
    policy = _policy(app)
    routes = []

    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        for method in _methods(rule.methods or ()):
            decision = policy.decision(rule, method)
            entities = decision.entities

            routes.append(
                RouteInfo(
                    rule=rule.rule,
                    method=method,
                    endpoint=rule.endpoint,
                    policy=decision.access.value,
                    entities=None if entities is None else tuple(sorted(entities)),
                    decided_by=decision.reasons,
                    conflicts=decision.conflicts,
                    subdomain=rule.subdomain or None,
                    host=rule.host or None,
                )
            )

    return routes


def check_routes(app: Flask) -> list[Finding]:
    """What ``flask jwt-router check`` reports; an empty list passes.

    - a whitelist or ignore entry that matches no rule;
    - a rule made public or ignored by an entry whose placeholder has no
      converter while the rule's has one (``<uid>`` for ``<int:uid>``);
    - a view that answers OPTIONS itself, so OPTIONS requests other than a
      CORS preflight need a token;
    - config and decorators that disagree about a rule.

    .. versionadded:: 1.0
    """
    policy = _policy(app)
    routes = route_map(app)
    findings = [
        Finding(
            "unmatched-entry",
            f"{entry} matches no route of the app; fix the method or path,"
            " or remove it.",
        )
        for entry in policy.unmatched()
    ]

    seen = set()

    for entry, rule in policy.wildcards:
        if (entry, id(rule)) in seen:
            continue

        seen.add((entry, id(rule)))
        findings.append(
            Finding(
                "converter-wildcard",
                f"{entry} makes {rule.rule} open with a placeholder that names no"
                " converter; write the path exactly as the rule does.",
            )
        )

    for route in routes:
        if route.method == "OPTIONS" and route.policy == Access.PREFLIGHT_ONLY.value:
            findings.append(
                Finding(
                    "view-options",
                    f"{route.rule} ({route.endpoint}) answers OPTIONS itself: a"
                    " CORS preflight passes, any other OPTIONS request needs a"
                    " token. Let Flask answer OPTIONS, or make it public.",
                )
            )

        for conflict in route.conflicts:
            findings.append(
                Finding("conflict", f"{route.method} {route.rule}: {conflict}.")
            )

    return findings


def _policy(app: Flask) -> RoutePolicy:
    from .extension import EXTENSION_KEY

    state = app.extensions.get(EXTENSION_KEY)

    if state is None:
        from .errors import UsageError

        raise UsageError(
            "flask-jwt-router is not set up on this app; call JwtRoutes(app) or"
            " jwt_routes.init_app(app) first."
        )

    return t.cast("RoutePolicy", state.ready().policy)


def _methods(methods: t.Iterable[str]) -> list[str]:
    def order(method: str) -> tuple[int, str]:
        known = method in _METHOD_ORDER
        return (_METHOD_ORDER.index(method) if known else len(_METHOD_ORDER), method)

    return sorted(methods, key=order)
