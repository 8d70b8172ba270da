"""Importing ORMs in tests: a missing ORM fails, unless the env leaves it out.

Set ``JWT_ROUTER_TEST_NO_ORM=1`` (the tox env ``noorm``) or
``JWT_ROUTER_TEST_ORMS=peewee`` (a comma-separated list; the tox env of one
extra) to say which ORMs are absent on purpose: tests that need one of those
are skipped. Everywhere else a missing ORM is an error, never a skip.
"""

from __future__ import annotations

import importlib
import os
import types

import pytest

#: The ORM family each importable top-level package belongs to.
FAMILIES = {
    "sqlalchemy": "sqlalchemy",
    "flask_sqlalchemy": "sqlalchemy",
    "peewee": "peewee",
    "playhouse": "peewee",
    "pony": "pony",
}


def expected_orms() -> frozenset[str]:
    """The ORM families this test run must have installed."""
    if os.environ.get("JWT_ROUTER_TEST_NO_ORM") == "1":
        return frozenset()

    only = os.environ.get("JWT_ROUTER_TEST_ORMS")

    if only is None:
        return frozenset(FAMILIES.values())

    return frozenset(name.strip() for name in only.split(",") if name.strip())


def require(module: str) -> types.ModuleType:
    """Import ``module`` of an ORM; skip only if this run leaves that ORM out."""
    family = FAMILIES[module.split(".")[0]]

    if family not in expected_orms():
        return pytest.importorskip(module)

    return importlib.import_module(module)
