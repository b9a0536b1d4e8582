#!/usr/bin/env bash
# Data-parallel training on WORKER_NUM CPU processes of this machine (msrun, loopback).
# usage: bash scripts/run_distribute_train_cpu.sh WORKER_NUM DATASET_PATH... [--key value ...]
#   DATASET_PATH...: sentiment ACLIMDB_PATH GLOVE_PATH; ner and seq2seq DATA_PATH (--model NAME picks the model)
# Logs: ./preprocess_cpu.log, ./msrun_cpu.log, ./msrun_log/worker_<rank>.log; checkpoints from rank 0 only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
msrun_main CPU "$@"
