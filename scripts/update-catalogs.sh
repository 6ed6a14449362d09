#!/usr/bin/env bash
# Re-extract user-facing strings, merge them into locales/*/messages.po and compile the .mo
# files. Translate new empty msgstr entries in locales/km/LC_MESSAGES/messages.po, then run
# this script again to compile them.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F babel.cfg --no-default-keywords -k _ --no-location --sort-output \
  --project govbot --copyright-holder "govbot developers" -o locales/messages.pot . >/dev/null
pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching >/dev/null
pybabel compile -d locales -D messages
