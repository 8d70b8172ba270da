"""scripts/tox_matrix.py sums a tox run up honestly: the closing line counts
every test and check, and a run that tests nothing does not pass."""

from __future__ import annotations

import importlib.util
import sys
import typing as t
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "tox_matrix.py"


@pytest.fixture(scope="module")
def matrix() -> t.Any:
    spec = importlib.util.spec_from_file_location("tox_matrix", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def env(
    success: bool = True, *commands: tuple[str, str], skipped: bool = False
) -> t.Any:
    return {
        "result": {
            "success": success,
            "exit_code": 0 if success else 1,
            "duration": 1.5,
            "skipped": skipped,
        },
        "test": [
            {"command": command.split(), "output": output, "retcode": 0}
            for command, output in commands
        ],
    }


PYTEST = "/x/.tox/py311/bin/python -m pytest"


def test_pytest_counts_and_checks_add_up(matrix: t.Any) -> None:
    report = {
        "testenvs": {
            ".pkg": {},
            "py311": env(
                False,
                (
                    PYTEST,
                    "...\n== 2 failed, 90 passed, 3 skipped, 1 error in 9.1s ==\n",
                ),
            ),
            "py312": env(
                True, (PYTEST, "....\n94 passed, 1 warning in 12.04s (0:00:12)\n")
            ),
            "py310": env(True, skipped=True),
            "lint": env(False, ("ruff check .", "E501")),
            "typing": env(True, ("mypy", "Success")),
            "noorm": {},
        }
    }

    lines, total = matrix.summarize(report)

    assert (total.passed, total.failed, total.skipped) == (90 + 94 + 1, 3 + 1, 3)
    assert "py310: skipped (no interpreter)" in lines
    assert any(line.startswith("lint: FAIL, one check") for line in lines)
    assert any(line.startswith("py311: FAIL, 90 passed, 3 failed") for line in lines)
    assert not any(line.startswith("noorm") for line in lines)


@pytest.mark.parametrize(
    "output",
    [
        "== 12 skipped in 0.3s ==\n",
        "== no tests ran in 0.01s ==\n",
        "ImportError while loading conftest\n",
    ],
)
def test_a_test_env_that_passes_nothing_fails(matrix: t.Any, output: str) -> None:
    report = {"testenvs": {"peewee": env(True, (PYTEST, output))}}

    lines, total = matrix.summarize(report)

    assert total.passed == 0
    assert total.failed >= 1
    assert lines[0].startswith("peewee: FAIL")


def test_a_run_where_no_env_ran_fails(matrix: t.Any) -> None:
    report = {
        "testenvs": {name: env(True, skipped=True) for name in ("py310", "py313")}
    }

    lines, total = matrix.summarize(report)

    assert (total.passed, total.failed) == (0, 1)
    assert lines[-1] == "no environment ran: nothing was tested"


def test_pytest_passing_inside_a_failed_env_still_fails(matrix: t.Any) -> None:
    report = {"testenvs": {"py311": env(False, (PYTEST, "== 5 passed in 1s ==\n"))}}

    _, total = matrix.summarize(report)

    assert (total.passed, total.failed) == (5, 1)


def test_an_interrupted_run_fails(matrix: t.Any) -> None:
    report = {"testenvs": {"py311": env(True, skipped=True)}}

    lines, total = matrix.summarize(report, interrupted=True)

    assert (total.passed, total.failed) == (0, 1)
    assert lines[-1] == "interrupted: the run did not finish"
