#!/usr/bin/env bash
# Refresh constraints.txt: the exact version of every package govbot and all its extras install,
# resolved afresh from pyproject.toml (newest releases within its bounds). scripts/test.sh and
# the README's install commands install through it, so that every machine tests the same set.
# Run inside the project's virtual environment after changing a dependency, and commit the
# result; review the diff like code.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check 'uv>=0.5,<1'
# --universal: one file for every platform and Python >= 3.11 (markers where they differ).
python -m uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
  --quiet --custom-compile-command scripts/lock.sh --output-file constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) packages pinned"
