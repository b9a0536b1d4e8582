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

# raw_flags ARGS...: the --model of ARGS (default sentiment) -> its dataset flags, one per line
# (sentiment: --aclimdb_path --glove_path; ner: --data_path --pretrained_path). The scripts' positional
# dataset arguments fill them in order.
raw_flags() {
    local model=sentiment prev=""
    for a in "$@"; do [ "$prev" = --model ] && model="$a"; prev="$a"; done
    "$PYTHON" -c 'import sys; from lstm_ms.tasks import get_task; print("\n".join("--" + k for k in get_task(sys.argv[1]).raw_keys))' "$model" \
        || { echo "error: --model: unknown model '$model'" >&2; return 2; }
}

# dataset_args ARGS...: split ARGS into the leading positional dataset paths and the flags after them.
# Sets DATA (the model's dataset flags, e.g. --aclimdb_path A --glove_path G, filled in order), NPOS (how
# many positional paths), NFLAGS (how many dataset flags the model has) and REST (the --key value flags).
dataset_args() {
    local positional=()
    while [ $# -gt 0 ] && [[ "$1" != --* ]]; do positional+=("$1"); shift; done
    REST=("$@")
    local flags; flags=$(raw_flags "$@") || return 2
    DATA=(); NPOS=${#positional[@]}; NFLAGS=0
    for f in $flags; do [ $NFLAGS -lt $NPOS ] && DATA+=("$f" "${positional[$NFLAGS]}"); NFLAGS=$((NFLAGS + 1)); done
    DATASET_USAGE=$(echo $flags | tr a-z- A-Z_ | sed 's/__//g')
}

# train_main TARGET ARGS...: [DEVICE_ID] DATASET_PATH... [--key value ...] (DEVICE_ID for GPU and Ascend
# only). Preprocessing runs first and is skipped when up to date.
train_main() {
    local target="$1"; shift
    local lower; lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
    local device=()
    if [ "$target" != CPU ]; then
        [ $# -ge 1 ] && [[ "$1" =~ ^[0-9]+$ ]] || { echo "usage: bash scripts/run_train_$lower.sh DEVICE_ID DATASET_PATH... [--key value ...]" >&2; return 2; }
        export DEVICE_ID="$1"; device=(--device_id "$1"); shift
    fi
    dataset_args "$@" || return 2
    if [ "$NPOS" -lt 1 ] || [ "$NPOS" -gt "$NFLAGS" ]; then
        echo "usage: bash scripts/run_train_$lower.sh ${device:+DEVICE_ID }$DATASET_USAGE [--key value ...]" >&2; return 2
    fi
    run_logged "${LOG_DIR:-.}/train_$lower.log" "$PYTHON" "$REPO/train.py" --device_target "$target" "${device[@]}" \
        --preprocess true "${DATA[@]}" "${REST[@]}"
}

# eval_main TARGET ARGS...: [DEVICE_ID] DATASET_PATH... CKPT_FILE [--key value ...]
#                        or [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...] (already preprocessed)
eval_main() {
    local target="$1"; shift
    local lower; lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
    local device=() positional=()
    while [ $# -gt 0 ] && [[ "$1" != --* ]]; do positional+=("$1"); shift; done
    if [ "${#positional[@]}" -ge 1 ] && [[ "${positional[0]}" =~ ^[0-9]+$ ]] && [ ! -e "${positional[0]}" ]; then
        export DEVICE_ID="${positional[0]}"; device=(--device_id "${positional[0]}"); positional=("${positional[@]:1}")
    fi
    local n=${#positional[@]}
    if [ "$n" -lt 2 ]; then
        echo "usage: bash scripts/run_eval_$lower.sh [DEVICE_ID] DATASET_PATH... CKPT_FILE [--key value ...]" >&2
        echo "   or: bash scripts/run_eval_$lower.sh [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...]" >&2; return 2
    fi
    local ckpt="${positional[$((n - 1))]}" data=()
    if [ "$n" -eq 2 ] && [ -f "${positional[0]}/meta.json" ]; then
        data=(--preprocess false --preprocess_path "${positional[0]}")
    else
        local flags i=0; flags=$(raw_flags "$@") || return 2
        for f in $flags; do [ $i -lt $((n - 1)) ] && data+=("$f" "${positional[$i]}"); i=$((i + 1)); done
        data=(--preprocess true "${data[@]}")
    fi
    run_logged "${LOG_DIR:-.}/eval_$lower.log" "$PYTHON" "$REPO/eval.py" --device_target "$target" "${device[@]}" \
        "${data[@]}" --ckpt_file "$ckpt" "$@"
}

# msrun_main WORKER_NUM ARGS...: run train.py on WORKER_NUM local workers through msrun with the
# caller's interpreter, wait for all, and name the first failing worker's log.
msrun_main() {
    local target="$1" workers="$2"; shift 2
    local lower; lower=$(echo "$target" | tr '[:upper:]' '[:lower:]')
    dataset_args "$@" || return 2
    if ! [[ "$workers" =~ ^[1-9][0-9]*$ ]] || [ "$NPOS" -lt 1 ] || [ "$NPOS" -gt "$NFLAGS" ]; then
        echo "usage: bash scripts/run_distribute_train_$lower.sh $( [ "$target" = CPU ] && echo WORKER_NUM || echo DEVICE_NUM ) $DATASET_USAGE [--key value ...]" >&2
        return 2
    fi
    local data=("${DATA[@]}"); set -- "${REST[@]}"
    local msrun_cmd=()
    if command -v msrun >/dev/null 2>&1; then msrun_cmd=(msrun)
    elif "$PYTHON" -c "import mindspore.parallel.cluster.run" >/dev/null 2>&1; then msrun_cmd=("$PYTHON" -m mindspore.parallel.cluster.run)
    else echo "error: msrun: not found (it comes with MindSpore >= 2.3; install mindspore in $PYTHON's environment)" >&2; return 2; fi
    # msrun starts every worker as `python ...` from PATH: make that this very interpreter.
    local shim; shim=$(mktemp -d)
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$(command -v "$PYTHON")" > "$shim/python"  # exec keeps its venv
    chmod +x "$shim/python"
    export PATH="$shim:$PATH"
    local log_dir="${LOG_DIR:-.}/msrun_log"
    rm -rf "$log_dir"
    # preprocess once, before the workers start; they then read the same MindRecord files
    run_logged "${LOG_DIR:-.}/preprocess_$lower.log" "$PYTHON" "$REPO/train.py" --device_target "$target" \
        --preprocess true --preprocess_only "${data[@]}" "$@" || return $?
    local port="${MS_MASTER_PORT:-$(( 20000 + RANDOM % 20000 ))}"
    echo "starting $workers $target workers with msrun (master 127.0.0.1:$port); worker logs: $log_dir/worker_<rank>.log"
    set +e
    "${msrun_cmd[@]}" --worker_num="$workers" --local_worker_num="$workers" --master_addr=127.0.0.1 \
        --master_port="$port" --log_dir="$log_dir" --join=True --cluster_time_out="${CLUSTER_TIME_OUT:-300}" \
        "$REPO/train.py" --device_target "$target" --distribute true --preprocess false \
        "${data[@]}" "$@" > "${LOG_DIR:-.}/msrun_$lower.log" 2>&1
    local status=$?
    set -e
    rm -rf "$shim"
    if [ $status -ne 0 ]; then
        local bad=""
        for f in "$log_dir"/worker_*.log; do
            if grep -q "^error: \|Traceback\|Error" "$f" 2>/dev/null; then bad="$f"; break; fi
        done
        echo "error: ${bad:-$log_dir}: a worker failed (msrun exit status $status); see that log" >&2
        [ -n "$bad" ] && grep -m1 "^error: " "$bad" >&2 || true
        return "$status"
    fi
    grep -h "^done;\|parameter digest" "$log_dir"/worker_*.log || true
    echo "all $workers workers finished; worker logs in $log_dir"
}

# rank_table_main RANK_TABLE_FILE DATASET_PATH... [--key value ...]: the Ascend way, one process per
# device of this host's server in the table (SERVER_ID names it when the table has several servers and
# the host's addresses do not pick one), with the table's RANK_ID and DEVICE_ID, RANK_TABLE_FILE and
# RANK_SIZE (all devices of the table; config: models/<model>/config_ascend_8p.yaml); waits for every
# process and returns the worst exit status, naming the failing rank's log.
rank_table_main() {
    local table_arg="${1:-}"; [ $# -ge 1 ] && shift
    dataset_args "$@" || return 2
    if [ -z "$table_arg" ] || [[ "$table_arg" == --* ]] || [ "$NPOS" -lt 1 ] || [ "$NPOS" -gt "$NFLAGS" ]; then
        echo "usage: bash scripts/run_distribute_train_ascend.sh RANK_TABLE_FILE $DATASET_USAGE [--key value ...]" >&2
        return 2
    fi
    [ -f "$table_arg" ] || { echo "error: $table_arg: rank table file not found" >&2; return 2; }
    local table; table="$(cd "$(dirname "$table_arg")" && pwd)/$(basename "$table_arg")"
    local data=() i
    for ((i = 0; i < ${#DATA[@]}; i += 2)); do  # absolute paths: every rank runs in its own folder
        data+=("${DATA[$i]}" "$(cd "$(dirname "${DATA[$((i + 1))]}")" 2>/dev/null && pwd)/$(basename "${DATA[$((i + 1))]}")")
    done
    set -- "${REST[@]}"
    # RANK_SIZE=<n>, SERVER_ID=<this host's server>, then "<rank_id> <device_id>" per local rank
    local plan size server line rank device ranks=() devices=()
    plan=$("$PYTHON" -m lstm_ms.core.rank_table "$table") || return 2
    { read -r line; size=${line#RANK_SIZE=}; read -r line; server=${line#SERVER_ID=}
      while read -r rank device; do ranks+=("$rank"); devices+=("$device"); done; } <<< "$plan"
    export RANK_TABLE_FILE="$table" RANK_SIZE="$size"
    local model=sentiment prev=""
    for a in "$@"; do [ "$prev" = --model ] && model="$a"; prev="$a"; done
    local work="$PWD" config="$REPO/models/$model/config_ascend_8p.yaml"
    [ -f "$config" ] || config="$REPO/models/$model/config_ascend.yaml"
    local common=(--device_target Ascend --config_path "$config" "${data[@]}"
                  --preprocess_path "$work/preprocess" --ckpt_path "$work/ckpt" "$@")
    echo "this host is server $server of the rank table: ranks ${ranks[*]} on device ids ${devices[*]} (RANK_SIZE $size)"
    run_logged "$work/preprocess_ascend.log" "$PYTHON" "$REPO/train.py" "${common[@]}" --preprocess true --preprocess_only || return $?
    local pids=() k r
    for ((k = 0; k < ${#ranks[@]}; k++)); do
        r=${ranks[$k]}
        mkdir -p "$work/train_parallel$r"
        (cd "$work/train_parallel$r" && export RANK_ID="$r" DEVICE_ID="${devices[$k]}" \
            && echo "rank $RANK_ID: DEVICE_ID=$DEVICE_ID RANK_SIZE=$RANK_SIZE server $server" > log.txt \
            && exec "$PYTHON" "$REPO/train.py" "${common[@]}" --device_id "$DEVICE_ID" --distribute true \
                    --preprocess false >> log.txt 2>&1) &
        pids+=($!)
    done
    echo "started ${#ranks[@]} Ascend processes (rank table $table); logs: train_parallel<rank>/log.txt"
    local worst=0 status
    for ((k = 0; k < ${#ranks[@]}; k++)); do
        r=${ranks[$k]}; status=0; wait "${pids[$k]}" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "error: $work/train_parallel$r/log.txt: rank $r failed with exit status $status" >&2
            [ "$worst" -eq 0 ] && worst=$status
        fi
    done
    return "$worst"
}
