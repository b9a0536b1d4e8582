#!/usr/bin/env bash
# Evaluate on GPU.  usage: bash scripts/run_eval_gpu.sh [DEVICE_ID] ACLIMDB_PATH GLOVE_PATH CKPT_FILE [--key value ...]
#                  or: bash scripts/run_eval_gpu.sh [DEVICE_ID] PREPROCESS_PATH CKPT_FILE [--key value ...]
# (log: ./eval_gpu.log; metrics JSON beside the checkpoint)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
eval_main GPU "$@"
