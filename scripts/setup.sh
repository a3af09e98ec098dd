#!/usr/bin/env bash
# Installs everything the project needs, idempotently (fast when already installed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# The CPU build of torch lies on local disk; install it first or pip pulls a multi-GB CUDA build.
$PY -m pip install --quiet --disable-pip-version-check torch==2.13.0
# llama-cpp-python compiles from source the first time (~8 min on 2 cores); pip caches the wheel.
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} $PY -m pip install --quiet --disable-pip-version-check -e ".[test]"
