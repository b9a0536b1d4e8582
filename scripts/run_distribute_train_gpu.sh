#!/usr/bin/env bash
# Data-parallel training on DEVICE_NUM GPUs of this machine (msrun, NCCL).
# usage: bash scripts/run_distribute_train_gpu.sh DEVICE_NUM DATASET_PATH... [--key value ...]
#   DATASET_PATH...: sentiment ACLIMDB_PATH GLOVE_PATH; ner and seq2seq DATA_PATH (--model NAME picks the model)
# Logs: ./preprocess_gpu.log, ./msrun_gpu.log, ./msrun_log/worker_<rank>.log; checkpoints from rank 0 only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
msrun_main GPU "$@"
