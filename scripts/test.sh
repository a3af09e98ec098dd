#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The UI tests drive Debian's Chromium with Playwright (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -q && $SUDO apt-get install -y -q chromium
fi
exec python3 -m pytest -q -p no:cacheprovider "$@"
