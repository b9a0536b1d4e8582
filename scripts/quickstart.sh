#!/usr/bin/env bash
# The main job end to end on generated sample data, from a fresh machine:
# set up .venv -> sample aclImdb + GloVe -> preprocess -> train -> eval -> export MINDIR (verified by
# loading it back) -> MINDIR inference through the CPU leg of scripts/run_infer_310.sh -> predict.py.
# Outputs under ./quickstart_out. A few minutes on 2 CPU cores.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO/scripts/setup_env.sh" plot
set -euo pipefail
OUT="${QUICKSTART_OUT:-$PWD/quickstart_out}"
mkdir -p "$OUT"
cd "$OUT"
export LOG_DIR="$OUT"
start=$(date +%s)
python -m lstm_ms.cli.sample --model sentiment --out "$OUT/sample_data"
# The sample is small and its reviews short: 10 epochs, warm-up + cosine LR, gradient clipping.
bash "$REPO/scripts/run_train_cpu.sh" "$OUT/sample_data/aclImdb" "$OUT/sample_data/glove" \
    --num_epochs 10 --dynamic_lr true --lr_adjust_epoch 10 --clip_norm 1.0 --progress false
bash "$REPO/scripts/run_eval_cpu.sh" "$OUT/sample_data/aclImdb" "$OUT/sample_data/glove" "$OUT/ckpt/lstm-best.ckpt"
python "$REPO/export.py" --ckpt_file "$OUT/ckpt/lstm-best.ckpt" --file_name "$OUT/lstm" --file_format MINDIR
python -m lstm_ms.cli.plot "$OUT/ckpt" || echo "(plot skipped)"
# The CPU leg of the Ascend 310 deployment: test split -> bins -> MINDIR runner -> accuracy.
mkdir -p "$OUT/infer"
(cd "$OUT/infer" && bash "$REPO/scripts/run_infer_310.sh" "$OUT/lstm.mindir" "$OUT/sample_data/aclImdb" y CPU 0)
python "$REPO/predict.py" --mindir_file "$OUT/lstm.mindir" "A wonderful, moving film. Brilliant!" "Awful and boring, a waste of time."
echo "quickstart done in $(( $(date +%s) - start )) s: checkpoints in $OUT/ckpt, MINDIR $OUT/lstm.mindir"
echo "MINDIR inference accuracy on the sample test split: $(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$OUT/infer/acc.json")"
