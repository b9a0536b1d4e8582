#!/usr/bin/env bash
# Create (once) the project's virtual environment in .venv and install the package into it.
# usage: source scripts/setup_env.sh [EXTRAS]     e.g. EXTRAS=test,plot
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LSTM_MS_VENV:-$REPO/.venv}"
EXTRAS="${1:-}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating virtual environment $VENV"
    python3 -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
stamp="$VENV/.lstm_ms-installed${EXTRAS:+-${EXTRAS//,/-}}"
if [ ! -f "$stamp" ] || [ "$REPO/setup.cfg" -nt "$stamp" ]; then
    echo "installing lstm_ms${EXTRAS:+[$EXTRAS]} and its dependencies into $VENV (first time: several minutes)"
    find_links=()
    [ -d /opt/wheels ] && find_links=(--find-links /opt/wheels)
    python -m pip install -q --upgrade pip
    python -m pip install -q "${find_links[@]}" -e "$REPO${EXTRAS:+[$EXTRAS]}"
    touch "$stamp"
fi
set +euo pipefail
