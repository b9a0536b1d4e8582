#!/usr/bin/env bash
# Data-parallel training on the Ascend devices of a rank table (config_ascend_8p.yaml).
# usage: bash scripts/run_distribute_train_ascend.sh RANK_TABLE_FILE DATASET_PATH... [--key value ...]
#   DATASET_PATH...: sentiment ACLIMDB_PATH GLOVE_PATH; ner and seq2seq DATA_PATH (--model NAME picks the model)
# Starts one process per device of this host's server in the rank table, with the table's rank_id and
# device_id (RANK_SIZE = all devices of the table). Multi-server table: run the script on every server;
# each host finds its server_id among its addresses, or set SERVER_ID=<its server_id> to name it.
# Logs: ./preprocess_ascend.log, ./train_parallel<rank>/log.txt; checkpoints from rank 0 in ./ckpt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
rank_table_main "$@"
