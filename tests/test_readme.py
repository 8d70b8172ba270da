"""The Python examples of README.md run, so that they cannot drift.

Each fenced ``python`` block runs in a fresh Python process (with
``-W error``, in a temporary directory, ``__name__`` set to ``"__readme__"``
so that ``if __name__ == "__main__":`` blocks stay quiet). A block with
``>>>`` prompts is run as a doctest. An HTML comment on the line before a
block's opening fence (blank lines allowed in between) changes that:

- ``<!-- readme-test: skip -->``: the block does not run;
- ``<!-- readme-test: continue -->``: the block runs after the previous one,
  in the same process and namespace.

docs/contributing.rst documents the same convention for README authors.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
_MARKER = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<word>[a-z-]+)\s*-->\s*$")
_PYTHON = {"python", "py", "python3", "pycon"}

_RUNNER = """
import doctest
import json
import sys

namespace = {"__name__": "__readme__"}

with open(sys.argv[1]) as file:
    blocks = json.load(file)

for block in blocks:
    # Pad with blank lines so that tracebacks name README.md's own lines.
    source = "\\n" * (block["line"] - 1) + block["code"]

    if block["doctest"]:
        name = f"README.md:{block['line']}"
        test = doctest.DocTestParser().get_doctest(
            source, namespace, name, "README.md", 0
        )
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        runner.run(test, out=sys.stderr.write, clear_globs=False)

        if runner.failures:
            sys.exit(1)
    else:
        exec(compile(source, "README.md", "exec"), namespace)
"""


@dataclasses.dataclass
class Block:
    #: Line of the first line of code, counted from 1.
    line: int
    code: str
    doctest: bool


def python_blocks(text: str) -> list[list[Block]]:
    """The README's Python blocks, grouped by the process they run in."""
    groups: list[list[Block]] = []
    lines = text.splitlines()
    marker: str | None = None
    index = 0

    while index < len(lines):
        line = lines[index]
        found = _MARKER.match(line)
        fence = _FENCE.match(line)
        index += 1

        if found:
            marker = found["word"]
            continue

        if fence is None:
            if line.strip():
                marker = None

            continue

        # Collect the block up to its closing fence, whatever its language.
        indent, mark = len(fence["indent"]), fence["fence"]
        start = index
        body = []

        while index < len(lines):
            closing = lines[index].strip()
            index += 1

            if closing.startswith(mark) and not closing.strip(mark[0]):
                break

            body.append(lines[index - 1][indent:])

        language = fence["info"].lower()

        if language not in _PYTHON or marker == "skip":
            marker = None
            continue

        code = textwrap.dedent("\n".join(body)) + "\n"
        block = Block(start + 1, code, ">>>" in code)

        if marker == "continue" and groups:
            groups[-1].append(block)
        else:
            groups.append([block])

        marker = None

    return groups


def _groups() -> list[t.Any]:
    if not README.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no README.md"))]

    groups = python_blocks(README.read_text(encoding="utf-8"))

    if not groups:
        skip = pytest.mark.skip(reason="README.md has no python blocks")
        return [pytest.param(None, marks=skip)]

    return [pytest.param(group, id=f"README.md:{group[0].line}") for group in groups]


@pytest.mark.parametrize("group", _groups())
def test_readme_example(group: list[Block], tmp_path: Path) -> None:
    (tmp_path / "blocks.json").write_text(
        json.dumps([dataclasses.asdict(block) for block in group])
    )
    (tmp_path / "runner.py").write_text(_RUNNER)
    pythonpath = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )

    result = subprocess.run(
        [sys.executable, "-W", "error", "runner.py", "blocks.json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


SAMPLE = """\
# Title

```python
a = 1
```

<!-- readme-test: continue -->
```python
assert a == 1
b = a + 1
```

<!-- readme-test: skip -->

```python
app.run()
```

```console
$ pip install flask-jwt-router
```

1. In a list:

   ```py
   >>> 1 + 1
   2
   ```

~~~python
c = 3
~~~

Some text.
<!-- readme-test: continue -->
```python
assert c == 3
```
"""


def test_blocks_are_found_and_grouped() -> None:
    groups = python_blocks(SAMPLE)

    assert [[block.line for block in group] for group in groups] == [
        [4, 9],
        [26],
        [31, 37],
    ]
    assert groups[0][0].code == "a = 1\n"
    assert groups[1][0].code.startswith(">>> 1 + 1")
    assert [block.doctest for group in groups for block in group] == [
        False,
        False,
        True,
        False,
        False,
    ]


def test_the_runner_reports_failures(tmp_path: Path) -> None:
    blocks = [
        Block(1, "x = 1\n", False),
        Block(5, ">>> x + 1\n3\n", True),
    ]
    (tmp_path / "blocks.json").write_text(
        json.dumps([dataclasses.asdict(block) for block in blocks])
    )
    (tmp_path / "runner.py").write_text(_RUNNER)

    result = subprocess.run(
        [sys.executable, "-W", "error", "runner.py", "blocks.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "README.md:5" in result.stderr and "Expected:\n    3" in result.stderr
