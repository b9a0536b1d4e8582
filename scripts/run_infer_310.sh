#!/usr/bin/env bash
# Inference on exported MINDIR: preprocess -> infer -> postprocess.
# usage: bash scripts/run_infer_310.sh MINDIR_PATH DATASET_PATH [NEED_PREPROCESS y|n] [DEVICE_TARGET] [DEVICE_ID]
#   DEVICE_TARGET: Ascend310 (default) or Ascend -> the C++ app in ascend310_infer/ (built on first use
#                  against the MindSpore Lite package in LITE_HOME; see ascend310_infer/README.md);
#                  CPU or GPU -> the Python runner (lstm_ms.engine.mindir_runner), same files in and out.
# For the C++ app, LITE_HOME (or MS_LITE_HOME) is the unpacked MindSpore Lite cloud-inference package:
# its library folders go on LD_LIBRARY_PATH before the app runs.
# Writes ./preprocess_Result, ./result_Files, ./time_Result, ./acc.log, ./acc.json and a log per step
# in the current folder; exits with the status of the first step that failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
if [ $# -lt 2 ] || [ $# -gt 5 ]; then
    echo "usage: bash scripts/run_infer_310.sh MINDIR_PATH DATASET_PATH [NEED_PREPROCESS y|n] [DEVICE_TARGET] [DEVICE_ID]" >&2
    exit 2
fi
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
[ -f "$1" ] || { echo "error: $1: MINDIR file not found" >&2; exit 2; }
MINDIR=$(abspath "$1")
DATASET="$2"
NEED_PREPROCESS="${3:-y}"
TARGET="${4:-Ascend310}"
DEVICE_ID="${5:-0}"
case "$NEED_PREPROCESS" in y|Y|n|N) ;; *) echo "error: NEED_PREPROCESS must be y or n, got '$NEED_PREPROCESS'" >&2; exit 2 ;; esac
case "$TARGET" in Ascend310|Ascend|CPU|GPU) ;; *) echo "error: DEVICE_TARGET must be Ascend310, Ascend, CPU or GPU, got '$TARGET'" >&2; exit 2 ;; esac
SIDECAR="${MINDIR%.mindir}.json"
[ -f "$SIDECAR" ] || { echo "error: $SIDECAR: sidecar of the MINDIR not found (export.py writes it)" >&2; exit 2; }
MODEL=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"])' "$SIDECAR")
# where the graph runs, by its recurrent ops (export.py reads them from the MINDIR); older sidecars: CPU
GRAPH=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("graph_target", "CPU"))' "$SIDECAR")
case "$TARGET:$GRAPH" in
    Ascend310:CPU|Ascend:CPU)
        echo "error: $MINDIR: exported for CPU/GPU (its LSTM op has no Ascend mapping); export for Ascend: python export.py --export_target Ascend ..." >&2; exit 2 ;;
    CPU:Ascend|GPU:Ascend)
        echo "error: $MINDIR: exported for Ascend (DynamicRNN/DynamicGRUV2 run on Ascend only); run it with DEVICE_TARGET Ascend310 or Ascend, or export without --export_target Ascend" >&2; exit 2 ;;
esac
app="$REPO/ascend310_infer/out/main"
if [ "$TARGET" = Ascend310 ] || [ "$TARGET" = Ascend ]; then
    # before any step runs: the C++ app needs the MindSpore Lite package, to build and to run
    source "$REPO/ascend310_infer/lite_env.sh"
    LITE_HOME="${LITE_HOME:-${MS_LITE_HOME:-}}"
    if [ -n "$LITE_HOME" ]; then
        LITE_PROBLEM="$(lite_package_problem "$LITE_HOME")"
        [ -z "$LITE_PROBLEM" ] || { echo "error: $LITE_PROBLEM" >&2; exit 2; }
        LITE_HOME="$(cd "$LITE_HOME" && pwd)"
        export LITE_HOME
        LITE_LIBS="$(lite_library_path "$LITE_HOME")"
        export LD_LIBRARY_PATH="${LITE_LIBS}${LD_LIBRARY_PATH:+${LITE_LIBS:+:}$LD_LIBRARY_PATH}"
    elif [ ! -x "$app" ]; then
        echo "error: LITE_HOME: not set and $app not built; download the MindSpore Lite cloud-inference package $(lite_package_name), unpack it and export LITE_HOME=<the unpacked folder> (see ascend310_infer/README.md)" >&2
        exit 2
    fi  # else: a built app with LITE_HOME unset runs with the caller's LD_LIBRARY_PATH
fi
echo "model $MODEL, MINDIR $MINDIR, data $DATASET, target $TARGET (device $DEVICE_ID)"

if [[ "$NEED_PREPROCESS" =~ ^[yY]$ ]]; then
    run_logged ./preprocess.log "$PYTHON" "$REPO/preprocess.py" --model "$MODEL" --mindir_file "$MINDIR" \
        --dataset_path "$DATASET" --result_path ./preprocess_Result
fi
rm -rf ./result_Files ./time_Result
mkdir -p ./result_Files ./time_Result
if [ "$TARGET" = CPU ] || [ "$TARGET" = GPU ]; then
    run_logged ./infer.log "$PYTHON" -m lstm_ms.engine.mindir_runner --mindir_path "$MINDIR" \
        --input_path ./preprocess_Result --result_path ./result_Files --time_path ./time_Result \
        --device_target "$TARGET" --device_id "$DEVICE_ID"
else
    if [ ! -x "$app" ]; then
        run_logged ./build.log bash "$REPO/ascend310_infer/build.sh"
    fi
    run_logged ./infer.log "$app" --mindir_path="$MINDIR" --input_path=./preprocess_Result \
        --result_path=./result_Files --time_path=./time_Result --device_target="$TARGET" --device_id="$DEVICE_ID"
fi
run_logged ./postprocess.log "$PYTHON" "$REPO/postprocess.py" --model "$MODEL" --mindir_file "$MINDIR" \
    --result_path ./result_Files --label_path ./preprocess_Result/label_ids.npy --metrics_file ./acc.json
