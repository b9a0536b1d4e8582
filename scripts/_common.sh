# Shared by the scripts in this folder: source it, do not run it.
# Sets REPO to the repository root; `run_logged LOG cmd...` runs cmd with its output to the console
# and to LOG, and returns cmd's own exit status.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
PYTHON="${PYTHON:-python3}"
if [ -n "${VIRTUAL_ENV:-}" ]; then PYTHON="$VIRTUAL_ENV/bin/python"
elif [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"; fi

run_logged() {
    local log="$1"; shift
    mkdir -p "$(dirname "$log")"
    echo "[$(date '+%F %T')] $*" | tee "$log"
    set +e
    "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    set -e
    echo "exit status $status; log: $log"
    return "$status"
}

usage_if() {  # usage_if CONDITION-RESULT "usage text"
    if [ "$1" != 0 ]; then echo "usage: $2" >&2; exit 2; fi
}

# train_main TARGET ARGS...: [DEVICE_ID] ACLIMDB_PATH GLOVE_PATH [--key value ...]
# (DEVICE_ID for GPU and Ascend only). Preprocessing runs first and is skipped when up to date.
train_main() {
    local target="$1"; shift
    local lower; lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
    local device=()
    if [ "$target" != CPU ]; then
        [ $# -ge 1 ] && [[ "$1" =~ ^[0-9]+$ ]] || { echo "usage: bash scripts/run_train_$lower.sh DEVICE_ID ACLIMDB_PATH GLOVE_PATH [--key value ...]" >&2; return 2; }
        export DEVICE_ID="$1"; device=(--device_id "$1"); shift
    fi
    if [ $# -lt 2 ] || [[ "$1" == --* ]] || [[ "$2" == --* ]]; then
        echo "usage: bash scripts/run_train_$lower.sh ${device:+DEVICE_ID }ACLIMDB_PATH GLOVE_PATH [--key value ...]" >&2; return 2
    fi
    local aclimdb="$1" glove="$2"; shift 2
    run_logged "${LOG_DIR:-.}/train_$lower.log" "$PYTHON" "$REPO/train.py" --device_target "$target" "${device[@]}" \
        --preprocess true --aclimdb_path "$aclimdb" --glove_path "$glove" "$@"
}

# eval_main TARGET ARGS...: [DEVICE_ID] ACLIMDB_PATH GLOVE_PATH CKPT_FILE [--key value ...]
#                        or [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...] (already preprocessed)
eval_main() {
    local target="$1"; shift
    local lower; lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
    local device=() positional=()
    while [ $# -gt 0 ] && [[ "$1" != --* ]]; do positional+=("$1"); shift; done
    if [ "${#positional[@]}" -ge 1 ] && [[ "${positional[0]}" =~ ^[0-9]+$ ]] && [ ! -e "${positional[0]}" ]; then
        export DEVICE_ID="${positional[0]}"; device=(--device_id "${positional[0]}"); positional=("${positional[@]:1}")
    fi
    local data=()
    case "${#positional[@]}" in
        3) data=(--preprocess true --aclimdb_path "${positional[0]}" --glove_path "${positional[1]}") ;;
        2) data=(--preprocess false --preprocess_path "${positional[0]}") ;;
        *) echo "usage: bash scripts/run_eval_$lower.sh [DEVICE_ID] ACLIMDB_PATH GLOVE_PATH CKPT_FILE [--key value ...]" >&2
           echo "   or: bash scripts/run_eval_$lower.sh [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...]" >&2; return 2 ;;
    esac
    local ckpt="${positional[${#positional[@]}-1]}"
    run_logged "${LOG_DIR:-.}/eval_$lower.log" "$PYTHON" "$REPO/eval.py" --device_target "$target" "${device[@]}" \
        "${data[@]}" --ckpt_file "$ckpt" "$@"
}
