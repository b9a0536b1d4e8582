#!/usr/bin/env bash
# Evaluate on CPU.  usage: bash scripts/run_eval_cpu.sh [DEVICE_ID] ACLIMDB_PATH GLOVE_PATH CKPT_FILE [--key value ...]
#                  or: bash scripts/run_eval_cpu.sh [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...]
# (log: ./eval_cpu.log; metrics JSON beside the checkpoint)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
eval_main CPU "$@"
