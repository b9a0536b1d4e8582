#!/usr/bin/env bash
# Data-parallel training on the Ascend devices of a rank table (config_ascend_8p.yaml).
# usage: bash scripts/run_distribute_train_ascend.sh RANK_TABLE_FILE DATASET_PATH... [--key value ...]
#   DATASET_PATH...: sentiment ACLIMDB_PATH GLOVE_PATH; ner and seq2seq DATA_PATH (--model NAME picks the model)
# Logs: ./preprocess_ascend.log, ./train_parallel<rank>/log.txt; checkpoints from rank 0 in ./ckpt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
rank_table_main "$@"
