"""The route policy: which rule and method needs a token."""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import typing as t

from .errors import ConfigurationError

if t.TYPE_CHECKING:
    from flask import Flask
    from werkzeug.routing import Rule

    from .decorators import Mark
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
    #: A token is optional: the view runs anonymously without one, and a bad
    #: one is refused.
    OPTIONAL = "optional"
    #: A token is optional, and a bad one is treated as no token at all.
    OPTIONAL_LENIENT = "optional_lenient"


#: Decisions that let a request through without reading a token.
OPEN = frozenset({Access.PUBLIC, Access.IGNORED, Access.STATIC})

#: Decisions that run the view anonymously when no token comes.
OPTIONAL_TOKEN = frozenset({Access.OPTIONAL, Access.OPTIONAL_LENIENT})

#: Where decorators leave their marks on a view function, view class or
#: blueprint; read when the rules are compiled.
MARKS_ATTR = "__jwt_router_marks__"

# Where config lists and decorators disagree, the strictest meaning wins.
_STRICTNESS = {
    Access.IGNORED: 0,
    Access.PUBLIC: 1,
    Access.OPTIONAL_LENIENT: 2,
    Access.OPTIONAL: 3,
    Access.PROTECTED: 4,
}


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the guard does for one rule and method, and why."""

    access: Access
    #: Table names whose tokens may use the route; ``None``: any entity.
    entities: frozenset[str] | None = None
    #: What decided it, for the route map: config entries and decorators.
    reasons: tuple[str, ...] = ()
    #: Disagreements between config and decorators, settled by the stricter
    #: meaning.
    conflicts: tuple[str, ...] = ()


class _Vote(t.NamedTuple):
    # What one config entry or decorator says about one method of a rule.
    access: Access | None
    entities: frozenset[str] | None
    reason: str


_DEFAULT = Decision(Access.PROTECTED, reasons=("default",))


class _Shape(t.NamedTuple):
    # The path with each placeholder replaced by "<>", and the converter of
    # each placeholder (None: any converter).
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
    return _Shape(skeleton, tuple(converters))


def check_entry_path(path: str, source: str) -> None:
    """Refuse a config path whose placeholders Flask could not have written.

    :raises ConfigurationError: naming the entry and the expected form.
    """
    rest = _PLACEHOLDER.sub("", path)

    if "<" in rest or ">" in rest:
        raise ConfigurationError(
            f"{source} has the path {path!r}, whose placeholder is malformed;"
            " write it as the route's rule does, such as '<int:user_id>' or"
            " '<user_id>'."
        )


def _toggle_slash(skeleton: str) -> str:
    return skeleton[:-1] if skeleton.endswith("/") else skeleton + "/"


def _converters_match(entry: _Shape, rule: _Shape) -> bool:
    return all(
        wanted is None or wanted == actual
        for wanted, actual in zip(entry.converters, rule.converters, strict=True)
    )


class _EntryIndex:
    """Route entries indexed by the shape of their path."""

    def __init__(
        self, entries: t.Iterable[RouteEntry], rule_skeletons: t.Container[str]
    ) -> None:
        self._by_skeleton: dict[str, list[tuple[_Shape, RouteEntry]]] = {}

        for entry in entries:
            shape = _shape(entry.path, typed=False)
            skeleton = shape.skeleton
            toggled = _toggle_slash(skeleton)

            # "/register" for a rule "/register/" (or the other way round)
            # means that rule, but only when the app has no rule spelled
            # exactly as the entry: then the entry means that one alone.
            if skeleton not in rule_skeletons and toggled in rule_skeletons:
                shape = shape._replace(skeleton=toggled)

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
    methods: dict[str, Decision]


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
        *,
        entity_tables: t.Collection[str] | None = None,
    ) -> None:
        skeletons = {
            _shape(rule.rule, typed=True).skeleton for rule in app.url_map.iter_rules()
        }
        self._public = _EntryIndex(white_list, skeletons)
        self._ignored = _EntryIndex(ignored, skeletons)
        self._static_endpoints = _static_endpoints(app)
        self._view_functions = app.view_functions
        self._blueprint_marks = _blueprint_marks(app)
        self._entity_tables = entity_tables
        self._rules: dict[int, _RulePolicy] = {}
        self.matched: set[RouteEntry] = set()
        #: Entries that matched a typed placeholder with an untyped one, such
        #: as ``<uid>`` for ``<int:uid>``; the ``check`` command reports them.
        self.wildcards: list[tuple[RouteEntry, Rule]] = []

        for rule in app.url_map.iter_rules():
            self._compile(rule)

    def access(self, rule: Rule, method: str) -> Access:
        return self.decision(rule, method).access

    def decision(self, rule: Rule, method: str) -> Decision:
        """What ``method`` on ``rule`` needs, and what decided it."""
        policy = self._rules.get(id(rule))

        if policy is None or policy.rule is not rule:
            policy = self._compile(rule)

        return policy.methods.get(method, _DEFAULT)

    def unmatched(self) -> list[RouteEntry]:
        """Whitelist and ignore entries that match no rule of the app."""
        entries = [*self._public, *self._ignored]
        return [entry for entry in entries if entry not in self.matched]

    def _compile(self, rule: Rule) -> _RulePolicy:
        methods: dict[str, Decision] = {}

        if rule.endpoint in self._static_endpoints:
            static = Decision(Access.STATIC, reasons=("static files",))

            for method in rule.methods or ():
                methods[method] = static
        else:
            self._apply(rule, methods)

        policy = _RulePolicy(rule, methods)
        self._rules[id(rule)] = policy
        return policy

    def _apply(self, rule: Rule, methods: dict[str, Decision]) -> None:
        votes: dict[str, list[_Vote]] = {}
        automatic = getattr(rule, "provide_automatic_options", False)
        allowed: t.AbstractSet[str] = rule.methods or frozenset()

        self._vote_config(rule, allowed, votes)

        # HEAD follows GET unless the config names HEAD itself.
        if "GET" in votes and "HEAD" in allowed and "HEAD" not in votes:
            votes["HEAD"] = list(votes["GET"])

        # Flask answers automatic OPTIONS itself: decorators leave it alone.
        view_methods = allowed - {"OPTIONS"} if automatic else allowed
        self._vote_marks(rule, view_methods, votes)

        for method, method_votes in votes.items():
            methods[method] = self._decide(rule, method, method_votes)

        if "GET" in methods and "HEAD" not in methods:
            methods["HEAD"] = methods["GET"]

        options = methods.get("OPTIONS")

        if options is None:
            access = Access.AUTOMATIC_OPTIONS if automatic else Access.PREFLIGHT_ONLY
            reason = (
                "Flask answers OPTIONS" if automatic else "the view answers OPTIONS"
            )
            methods["OPTIONS"] = Decision(access, reasons=(reason,))
        elif options.access is Access.PROTECTED:
            # A view answering OPTIONS itself still lets a real preflight pass.
            methods["OPTIONS"] = dataclasses.replace(
                options, access=Access.PREFLIGHT_ONLY
            )

    def _vote_config(
        self, rule: Rule, allowed: t.AbstractSet[str], votes: dict[str, list[_Vote]]
    ) -> None:
        shape = _shape(rule.rule, typed=True)

        for access, index in (
            (Access.PUBLIC, self._public),
            (Access.IGNORED, self._ignored),
        ):
            for entry in index.matches(shape, allowed):
                self.matched.add(entry)
                votes.setdefault(entry.method, []).append(
                    _Vote(access, None, str(entry))
                )

                if _is_wildcard(_shape(entry.path, typed=False), shape):
                    self.wildcards.append((entry, rule))

    def _vote_marks(
        self,
        rule: Rule,
        view_methods: t.AbstractSet[str],
        votes: dict[str, list[_Vote]],
    ) -> None:
        for mark, where in self._marks(rule.endpoint):
            self._check_tables(mark, where)
            wanted = view_methods if mark.methods is None else mark.methods

            for method in view_methods & wanted:
                votes.setdefault(method, []).append(
                    _Vote(mark.access, mark.entities, f"{mark.label} on {where}")
                )

    def _marks(self, endpoint: str) -> t.Iterator[tuple[Mark, str]]:
        view = self._view_functions.get(endpoint)

        for target in (view, getattr(view, "view_class", None)):
            for mark in getattr(target, MARKS_ATTR, ()):
                yield mark, f"view {endpoint!r}"

        # Every enclosing blueprint counts: "a.b.view" is in "a.b" and "a".
        name = endpoint

        while "." in name:
            name = name.rpartition(".")[0]

            for mark in self._blueprint_marks.get(name, ()):
                yield mark, f"blueprint {name!r}"

    def _check_tables(self, mark: Mark, where: str) -> None:
        if mark.entities is None or self._entity_tables is None:
            return

        unknown = sorted(mark.entities - set(self._entity_tables))

        if unknown:
            known = ", ".join(repr(name) for name in self._entity_tables) or "none"
            raise ConfigurationError(
                f"{mark.label} on {where} names {', '.join(map(repr, unknown))},"
                f" which is not a registered entity table (known: {known}). Use"
                " the table names of the models in entity_models= or ENTITY_MODELS."
            )

    def _decide(self, rule: Rule, method: str, votes: list[_Vote]) -> Decision:
        levels = {vote.access for vote in votes if vote.access is not None}
        access = max(levels, key=_STRICTNESS.__getitem__, default=Access.PROTECTED)
        entities = None
        conflicts = []

        for vote in votes:
            if vote.entities is not None:
                entities = (
                    vote.entities if entities is None else entities & vote.entities
                )

        if entities is not None and not entities:
            raise ConfigurationError(
                f"{method} {rule.rule}: the entity scopes of"
                f" {' and '.join(vote.reason for vote in votes)} leave no entity"
                " table that may use the route; give them a table in common."
            )

        if len(levels) > 1:
            said = "; ".join(
                f"{vote.reason} says {vote.access.value}"
                for vote in votes
                if vote.access is not None
            )
            conflicts.append(f"{said}: the stricter {access.value!r} applies")

        if entities is not None and access in (Access.PUBLIC, Access.IGNORED):
            conflicts.append(
                f"an entity scope makes the route need a token, although"
                f" it is {access.value}: 'protected' applies"
            )
            access = Access.PROTECTED

        for conflict in conflicts:
            logger.warning("%s %s: %s.", method, rule.rule, conflict)

        return Decision(
            access,
            entities,
            tuple(vote.reason for vote in votes),
            tuple(conflicts),
        )


def _is_wildcard(entry: _Shape, rule: _Shape) -> bool:
    # An untyped placeholder stood for a converter other than the default.
    return any(
        wanted is None and actual != "string"
        for wanted, actual in zip(entry.converters, rule.converters, strict=True)
    )


def _blueprint_marks(app: Flask) -> dict[str, tuple[Mark, ...]]:
    # Registered names, dotted for nested blueprints and renamed ones included.
    marks = {}

    for name, blueprint in app.blueprints.items():
        found = getattr(blueprint, MARKS_ATTR, ())

        if found:
            marks[name] = tuple(found)

    return marks


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
