#!/usr/bin/env bash
# Train on Ascend.  usage: bash scripts/run_train_ascend.sh DEVICE_ID ACLIMDB_PATH GLOVE_PATH [--key value ...]
# e.g. bash scripts/run_train_ascend.sh 0 ./aclImdb ./glove        (log: ./train_ascend.log; --model NAME for other models)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
train_main Ascend "$@"
