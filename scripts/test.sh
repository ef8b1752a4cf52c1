#!/usr/bin/env bash
# Set up a virtualenv with everything the tests need, then run them. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[test,local]'
exec python -m pytest "$@"
