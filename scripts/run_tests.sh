#!/usr/bin/env bash
# Set up .venv with the test extras (first time only) and run the whole test suite.
# usage: bash scripts/run_tests.sh [pytest args...]
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh" test,plot
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Two workers (pytest-xdist): MindSpore compiles graphs on one thread, so a second test process keeps the
# other core busy; a file's tests stay on one worker (tests/conftest.py). LSTM_MS_TEST_WORKERS=0: one process.
workers="${LSTM_MS_TEST_WORKERS:-2}"
if [ "$workers" = 0 ]; then exec python -m pytest "$@"; fi
exec python -m pytest -n "$workers" --dist loadgroup "$@"
