#!/usr/bin/env bash
# Set up a virtualenv and the reference data the tests need, then run them. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[test,local]'
# The tests' reference data (GitHub's REST description and GraphQL schema, webhook payloads, the SARIF
# multitool) from pinned npm packages into .refdata/, once; here so that a failed install is said before
# any test runs.
python -m tests.fakes.refdata
exec python -m pytest "$@"
