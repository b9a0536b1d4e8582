#!/usr/bin/env bash
# Train on CPU.  usage: bash scripts/run_train_cpu.sh ACLIMDB_PATH GLOVE_PATH [--key value ...]
# e.g. bash scripts/run_train_cpu.sh ./aclImdb ./glove        (log: ./train_cpu.log; --model NAME for other models)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
train_main CPU "$@"
