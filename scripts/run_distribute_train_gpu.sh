#!/usr/bin/env bash
# Data-parallel training on DEVICE_NUM GPUs of this machine (msrun, NCCL).
# usage: bash scripts/run_distribute_train_gpu.sh DEVICE_NUM ACLIMDB_PATH GLOVE_PATH [--key value ...]
# Logs: ./preprocess_gpu.log, ./msrun_gpu.log, ./msrun_log/worker_<rank>.log; checkpoints from rank 0 only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
msrun_main GPU "$@"
