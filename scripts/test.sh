#!/usr/bin/env bash
# The project's one test command (README "Quickstart"; .ci/run calls exactly this).
# It installs everything the tests need into the active Python environment, at the versions
# pinned in constraints.txt (refreshed by scripts/lock.sh), then checks lint, catalogs and the
# whole suite. Run it inside a virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
# The console's browser tests drive Debian's Chromium (Playwright cannot download its own
# browser here) and its screenshots need Khmer fonts: install both where they are missing.
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "khmer os"; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-khmeros >/dev/null
fi
ruff check .
python -m pytest "$@"
