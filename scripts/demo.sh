#!/usr/bin/env bash
# Serve the school demo on 127.0.0.1: create .venv if missing, install the
# package with Flask-SQLAlchemy, reset and seed the SQLite database, run.
#
#   bash scripts/demo.sh            # http://127.0.0.1:5000
#   PORT=8000 bash scripts/demo.sh  # another port
#   PYTHON=python3.12 bash scripts/demo.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
PORT="${PORT:-5000}"
APP="examples/demo/school"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "demo.sh: needs Python 3.10 or newer as '$PYTHON' (set PYTHON=...)." >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $("$PYTHON" --version)"

    if ! "$PYTHON" -m venv .venv; then
        rm -rf .venv
        echo "demo.sh: '$PYTHON -m venv' failed; on Debian or Ubuntu install" \
            "python3-venv (apt-get install python3-venv) and run this again." >&2
        exit 1
    fi
fi

echo "Installing flask-jwt-router with the flask-sqlalchemy extra into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -e ".[flask-sqlalchemy]"

.venv/bin/flask --app "$APP" seed

echo "Serving the demo on http://127.0.0.1:$PORT (Ctrl+C stops it)"
exec .venv/bin/flask --app "$APP" run --host 127.0.0.1 --port "$PORT"
