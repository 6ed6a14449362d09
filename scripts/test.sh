#!/usr/bin/env bash
# The project's one test command (README "Quickstart"; .ci/run calls exactly this).
# It installs everything the tests need into the active Python environment, at the versions
# pinned in constraints.txt (refreshed by scripts/lock.sh), then checks lint, catalogs and the
# whole suite. Run it inside a virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
ruff check .
python -m pytest "$@"
