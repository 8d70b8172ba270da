"""The route policy: which rule and method needs a token."""

from __future__ import annotations

import enum
import logging
import re
import typing as t

if t.TYPE_CHECKING:
    from flask import Flask
    from werkzeug.routing import Rule

    from .settings import RouteEntry

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


class Access(enum.Enum):
    """What the guard does for one rule and method."""

    #: A valid token is required.
    PROTECTED = "protected"
    #: No token is required (a whitelist entry).
    PUBLIC = "public"
    #: The library does not touch the request at all.
    IGNORED = "ignored"
    #: A static file.
    STATIC = "static"
    #: Flask answers OPTIONS for the view itself.
    AUTOMATIC_OPTIONS = "automatic_options"
    #: The view answers OPTIONS itself: a CORS preflight passes, anything
    #: else needs a token.
    PREFLIGHT_ONLY = "preflight_only"


#: Decisions that let a request through without reading a token.
OPEN = frozenset({Access.PUBLIC, Access.IGNORED, Access.STATIC})


class _Shape(t.NamedTuple):
    # The path with each placeholder replaced by "<>" and no trailing slash,
    # and the converter of each placeholder (None: any converter).
    skeleton: str
    converters: tuple[str | None, ...]


def _shape(path: str, typed: bool) -> _Shape:
    converters: list[str | None] = []

    def erase(match: re.Match[str]) -> str:
        name = match["converter"]

        if name is None and typed:
            name = "default"

        converters.append("string" if name == "default" else name)
        return "<>"

    skeleton = _PLACEHOLDER.sub(erase, path)

    if len(skeleton) > 1:
        skeleton = skeleton.rstrip("/")

    return _Shape(skeleton, tuple(converters))


def _converters_match(entry: _Shape, rule: _Shape) -> bool:
    return all(
        wanted is None or wanted == actual
        for wanted, actual in zip(entry.converters, rule.converters, strict=True)
    )


class _EntryIndex:
    """Route entries indexed by the shape of their path."""

    def __init__(self, entries: t.Iterable[RouteEntry]) -> None:
        self._by_skeleton: dict[str, list[tuple[_Shape, RouteEntry]]] = {}

        for entry in entries:
            shape = _shape(entry.path, typed=False)
            self._by_skeleton.setdefault(shape.skeleton, []).append((shape, entry))

    def matches(
        self, rule_shape: _Shape, methods: t.Container[str]
    ) -> list[RouteEntry]:
        candidates = self._by_skeleton.get(rule_shape.skeleton, ())

        return [
            entry
            for shape, entry in candidates
            if entry.method in methods and _converters_match(shape, rule_shape)
        ]

    def __iter__(self) -> t.Iterator[RouteEntry]:
        for candidates in self._by_skeleton.values():
            for _, entry in candidates:
                yield entry


class _RulePolicy(t.NamedTuple):
    rule: Rule
    #: Method to decision; a method not listed is PROTECTED.
    methods: dict[str, Access]


class RoutePolicy:
    """Answers, per request, what a matched rule and method need.

    Each rule is compiled once, so a request costs one dict lookup whatever
    the size of the whitelist.
    """

    def __init__(
        self,
        app: Flask,
        white_list: t.Sequence[RouteEntry],
        ignored: t.Sequence[RouteEntry],
    ) -> None:
        self._public = _EntryIndex(white_list)
        self._ignored = _EntryIndex(ignored)
        self._static_endpoints = _static_endpoints(app)
        self._rules: dict[int, _RulePolicy] = {}
        self.matched: set[RouteEntry] = set()

        for rule in app.url_map.iter_rules():
            self._compile(rule)

    def access(self, rule: Rule, method: str) -> Access:
        policy = self._rules.get(id(rule))

        if policy is None or policy.rule is not rule:
            policy = self._compile(rule)

        return policy.methods.get(method, Access.PROTECTED)

    def unmatched(self) -> list[RouteEntry]:
        """Whitelist and ignore entries that match no rule of the app."""
        entries = [*self._public, *self._ignored]
        return [entry for entry in entries if entry not in self.matched]

    def _compile(self, rule: Rule) -> _RulePolicy:
        methods: dict[str, Access] = {}

        if rule.endpoint in self._static_endpoints:
            for method in rule.methods or ():
                methods[method] = Access.STATIC
        else:
            self._apply(rule, methods)

        policy = _RulePolicy(rule, methods)
        self._rules[id(rule)] = policy
        return policy

    def _apply(self, rule: Rule, methods: dict[str, Access]) -> None:
        shape = _shape(rule.rule, typed=True)
        allowed: t.AbstractSet[str] = rule.methods or frozenset()

        for access, index in (
            (Access.PUBLIC, self._public),
            (Access.IGNORED, self._ignored),
        ):
            for entry in index.matches(shape, allowed):
                self.matched.add(entry)
                methods[entry.method] = access

        # HEAD follows GET unless the config names HEAD itself.
        if "GET" in methods and "HEAD" not in methods:
            methods["HEAD"] = methods["GET"]

        if "OPTIONS" not in methods:
            automatic = getattr(rule, "provide_automatic_options", False)
            methods["OPTIONS"] = (
                Access.AUTOMATIC_OPTIONS if automatic else Access.PREFLIGHT_ONLY
            )


def _static_endpoints(app: Flask) -> frozenset[str]:
    endpoints = set()

    if app.has_static_folder:
        endpoints.add("static")

    for name, blueprint in app.blueprints.items():
        if blueprint.has_static_folder:
            endpoints.add(f"{name}.static")

    # Nested blueprints register under their dotted names as well.
    return frozenset(
        endpoint for endpoint in endpoints if endpoint in app.view_functions
    )


def warn_unmatched(policy: RoutePolicy) -> None:
    """Log one warning per config entry that matches no rule."""
    for entry in policy.unmatched():
        logger.warning(
            "%s matches no route of the app; check the method and path.", entry
        )
