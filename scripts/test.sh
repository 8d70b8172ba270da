#!/usr/bin/env bash
# Run the test suite: bash scripts/test.sh [pytest arguments...]
#
# Creates .venv with python3 when it is missing, installs the project with its
# extras and requirements/test.txt (again only when those files change), then
# runs pytest and exits with pytest's exit code.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="sqlalchemy,flask-sqlalchemy,peewee,pony,redis,crypto"
venv=.venv
python="$venv/bin/python"
stamp="$venv/.jwt-router-test-deps"

if [ ! -x "$python" ]; then
    echo "scripts/test.sh: creating $venv" >&2
    python3 -m venv "$venv"
fi

wanted="$(
    {
        echo "$extras"
        "$python" --version
        cat pyproject.toml setup.py requirements/test.txt
    } | sha256sum | cut -d' ' -f1
)"

if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    echo "scripts/test.sh: installing dependencies into $venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check \
        -e ".[$extras]" -r requirements/test.txt
    echo "$wanted" >"$stamp"
fi

exec "$python" -m pytest "$@"
