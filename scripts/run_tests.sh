#!/usr/bin/env bash
# Set up .venv with the test extras (first time only) and run the whole test suite.
# usage: bash scripts/run_tests.sh [pytest args...]
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh" test,plot
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python -m pytest "$@"
