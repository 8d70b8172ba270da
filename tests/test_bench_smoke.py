"""The benchmark script runs to the end in quick mode; no timing is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("flask_sqlalchemy")

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_quick_run_prints_every_ratio() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout

    for kind in ("protected", "public", "refused"):
        for size in (10, 1000):
            line = re.search(rf"^{kind}\s+{size}\s+c/a [\d.]+ .*c/b [\d.]+", out, re.M)
            assert line is not None, f"no ratio line for {kind}/{size}:\n{out}"

    assert re.search(r"^create_token/raw [\d.]+", out, re.M), out
    assert "Growth from 10 to 1,000 entries" in out
    assert re.search(r"^memory\s+[\d.]+us .* [\d.]+x$", out, re.M), out
