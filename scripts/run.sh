#!/usr/bin/env bash
# Set up (if needed), build the index from corpus/ on first run, and start the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec python3 app.py "$@"
