#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1 (free port, temp dir, as the `postgres` OS user when
# run as root) and prints its URL; Ctrl-C stops it and deletes its data.
# The test suite does the same by itself (tests/central/conftest.py); this is for trying
# `gig-central serve --database URL` by hand.
# Usage: deploy/postgres-test.sh        (installs Debian's postgresql first if it is missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  "$here/setup-system.sh" --test
fi
cd "$here/.."
python="${PYTHON:-.venv/bin/python}"
exec "$python" -m central.pgcluster
