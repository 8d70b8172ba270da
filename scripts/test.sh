#!/usr/bin/env bash
# Run the whole test matrix of tox.ini, one environment after the other:
#
#   bash scripts/test.sh                       # every environment
#   bash scripts/test.sh -e py311 -- -k demo   # arguments go to "tox run"
#
# Creates .venv with python3 when it is missing and installs tox into it (only
# when it is not there yet). When pyenv is installed, exports PYENV_VERSION
# naming each of its Pythons 3.10 to 3.13, so that tox finds them; tox skips
# the py3XX environments of the Pythons that are missing. Ends with one line per
# environment and the closing line "tox: N passed, N failed", and exits with
# tox's status, or 1 when tox passed but an environment ran no test or none ran
# at all (see scripts/tox_matrix.py).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.venv
python="$venv/bin/python"

if [ ! -x "$python" ]; then
    echo "scripts/test.sh: creating $venv with $(python3 --version)" >&2

    if ! python3 -m venv "$venv"; then
        rm -rf "$venv"
        echo "scripts/test.sh: 'python3 -m venv' failed; on Debian or Ubuntu" \
            "install python3-venv (apt-get install python3-venv) and run this again." >&2
        exit 1
    fi
fi

if ! "$python" -c 'import sys, tox; sys.exit(int(tox.__version__.split(".")[0]) < 4)' \
    2>/dev/null; then
    echo "scripts/test.sh: installing tox into $venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check 'tox>=4'
fi

if command -v pyenv >/dev/null 2>&1; then
    versions=()

    for minor in 3.10 3.11 3.12 3.13; do
        # The newest patch release pyenv has of this minor version, if any.
        version="$(pyenv versions --bare --skip-aliases 2>/dev/null |
            grep -E "^${minor}\.[0-9]+$" | sort -t. -k3,3n | tail -n 1 || true)"

        if [ -n "$version" ]; then
            versions+=("$version")
        fi
    done

    if [ "${#versions[@]}" -gt 0 ]; then
        PYENV_VERSION="$(IFS=:; echo "${versions[*]}")"
        export PYENV_VERSION
        echo "scripts/test.sh: PYENV_VERSION=$PYENV_VERSION" >&2
    fi
fi

# Runs "tox run" with these arguments and prints the summary; exec, so that a
# TERM sent to this script reaches tox_matrix.py, which stops tox cleanly.
exec "$python" scripts/tox_matrix.py "$@"
