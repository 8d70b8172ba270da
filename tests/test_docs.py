"""The Sphinx docs build without a warning and document every config key."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "flask_jwt_router"

#: Config keys as the code spells them: 0.2's unprefixed names, and ours.
_KEY = re.compile(
    r"JWT_ROUTER_[A-Z0-9_]+|SECRET_KEY|WHITE_LIST_ROUTES|IGNORED_ROUTES"
    r"|ENTITY_MODELS|ENTITY_KEY|JWT_EXPIRE_DAYS"
)


def _need(module: str) -> None:
    # Missing tools skip a local run, never a CI run.
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is not installed; see requirements/test.txt")

        pytest.skip(f"{module} is not installed")


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    _need("sphinx")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "api.html").exists()


def config_keys() -> set[str]:
    """Every config key the package's code names."""
    keys = set()

    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _KEY.fullmatch(node.value):
                    keys.add(node.value)

    return keys


def test_every_config_key_is_documented() -> None:
    page = (DOCS / "configuration.rst").read_text()
    keys = config_keys()
    missing = sorted(key for key in keys if f"``{key}``" not in page)

    assert "WHITE_LIST_ROUTES" in keys and "JWT_ROUTER_LEEWAY" in keys
    assert not missing, f"add a row for each of {missing} to docs/configuration.rst"
