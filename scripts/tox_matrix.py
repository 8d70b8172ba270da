"""Run tox, then sum the run up; scripts/test.sh runs this with .venv's Python.

    python scripts/tox_matrix.py [arguments of "tox run"...]

Runs ``tox run`` in this process with a ``--result-json`` file, then prints one
line per environment that ran and a closing line ``tox: N passed, N failed``.
An environment whose commands run pytest counts its tests, read from pytest's
own closing summary line (errors count as failed). Any other environment (lint,
typing, docs) counts as one check, passed or failed. These count as one failed
check each, whatever tox said:

* a pytest environment without a pytest summary (it broke before the end),
* a pytest environment in which no test passed (nothing ran, or all skipped),
* an environment that tox calls failed although pytest did not,
* a run in which no environment ran at all (every interpreter missing),
* a run stopped by SIGINT or SIGTERM.

Exits with tox's status, or 1 when tox passed but the summary found a failure.

SIGTERM stops tox as Ctrl+C does: tox interrupts the running command (SIGINT,
then SIGTERM and SIGKILL after the timeouts tox.ini sets), so that pytest stops
the servers it started, and still writes its result. SIGINT works even when
this process was started with it ignored (a background job of a script).
"""

from __future__ import annotations

import json
import re
import signal
import sys
import tempfile
import typing as t
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

#: Pytest's closing line, with or without its ``=`` rules (``-q``):
#: ``== 3 failed, 1072 passed, 2 skipped in 97.74s (0:01:37) ==``.
SUMMARY = re.compile(
    r"^=*\s*(?P<counts>(?:\d+ [a-z]+(?:, )?)+|no tests ran) in [\d.]+s\b.*$",
    re.MULTILINE,
)
COUNT = re.compile(r"(\d+) ([a-z]+)")


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    #: Not a test run: the environment counts as one check.
    check: bool = False
    notes: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped


def runs_pytest(command: t.Any) -> bool:
    return "pytest" in " ".join(map(str, command)) if command else False


def pytest_counts(output: str) -> Tally | None:
    """The counts of pytest's last closing line in ``output``, if any."""
    lines = SUMMARY.findall(output)

    if not lines:
        return None

    counts: dict[str, int] = {}

    for number, word in COUNT.findall(lines[-1]):
        counts[word] = counts.get(word, 0) + int(number)

    return Tally(
        passed=counts.get("passed", 0),
        failed=counts.get("failed", 0)
        + counts.get("error", 0)
        + counts.get("errors", 0),
        skipped=counts.get("skipped", 0),
    )


def tally_env(result: dict[str, t.Any], commands: list[dict[str, t.Any]]) -> Tally:
    tally = Tally()
    success = bool(result.get("success"))
    pytest_runs = [run for run in commands if runs_pytest(run.get("command"))]

    if not pytest_runs:
        tally.check = True

        if success:
            tally.passed = 1
        else:
            tally.failed = 1
            tally.notes.append(f"exit code {result.get('exit_code')}")

        return tally

    for run in pytest_runs:
        counts = pytest_counts(run.get("output") or "")

        if counts is None:
            tally.failed += 1
            tally.notes.append("pytest gave no summary")
            continue

        tally.add(counts)

    if tally.passed == 0:
        tally.failed += 1
        tally.notes.append("no test passed: nothing ran or everything skipped")

    if not success and tally.failed == 0:  # pytest passed, something else did not
        tally.failed = 1
        tally.notes.append(f"exit code {result.get('exit_code')}")

    return tally


def summarize(
    report: dict[str, t.Any], interrupted: bool = False
) -> tuple[list[str], Tally]:
    lines: list[str] = []
    total = Tally()
    ran = 0

    for name, env in report.get("testenvs", {}).items():
        result = env.get("result")

        if not result:  # not asked for in this run, or the packaging env
            continue

        if result.get("skipped"):
            lines.append(f"{name}: skipped (no interpreter)")
            continue

        ran += 1
        tally = tally_env(result, env.get("test", []))
        total.add(tally)
        status = "FAIL" if tally.failed or not result.get("success") else "OK"
        counts = f"{tally.passed} passed, {tally.failed} failed"

        if tally.skipped:
            counts += f", {tally.skipped} skipped"

        if tally.check:
            counts = "one check"

        notes = "".join(f"; {note}" for note in tally.notes)
        duration = float(result.get("duration") or 0)
        lines.append(f"{name}: {status}, {counts}{notes} ({duration:.0f}s)")

    if interrupted:
        total.failed += 1
        lines.append("interrupted: the run did not finish")
    elif ran == 0:
        total.failed += 1
        lines.append("no environment ran: nothing was tested")

    return lines, total


#: Set when SIGINT or SIGTERM stopped the run.
interrupted = False


def _interrupt(signum: int, frame: FrameType | None) -> None:
    global interrupted
    interrupted = True
    raise KeyboardInterrupt


def run_tox(args: list[str]) -> int:
    from tox.run import run

    try:
        run(["run", *args])
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else 1

    return 0


def main(args: list[str]) -> int:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)

    with tempfile.TemporaryDirectory(prefix="tox-matrix-") as directory:
        result_file = Path(directory) / "result.json"
        status = run_tox(["--result-json", str(result_file), *args])

        if not result_file.is_file():
            print(f"tox: 0 passed, 1 failed (tox wrote no result; exit code {status})")
            return status or 1

        report = json.loads(result_file.read_text(encoding="utf-8"))

    lines, total = summarize(report, interrupted)
    print("\nscripts/test.sh: environments run:")

    for line in lines:
        print(f"  {line}")

    print(f"tox: {total.passed} passed, {total.failed} failed", flush=True)

    if status == 0 and total.failed:
        return 1

    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
