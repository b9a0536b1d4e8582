#!/usr/bin/env bash
# A model end to end on generated sample data, from a fresh machine:
# set up .venv -> sample data in the real dataset's format -> preprocess -> train -> eval -> export
# MINDIR (verified by loading it back) -> MINDIR inference through the CPU leg of
# scripts/run_infer_310.sh -> predict.py.
# usage: bash scripts/quickstart.sh [MODEL]     MODEL: sentiment (default), ner, seq2seq, ctc or deepspeech2
# Outputs under ./quickstart_out (./quickstart_out/MODEL for other models). A few minutes on 2 CPU cores.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="${1:-sentiment}"
case "$MODEL" in sentiment|ner|seq2seq|ctc|deepspeech2) ;; *) echo "usage: bash scripts/quickstart.sh [sentiment|ner|seq2seq|ctc|deepspeech2]" >&2; exit 2 ;; esac
# shellcheck disable=SC1091
source "$REPO/scripts/setup_env.sh" plot
set -euo pipefail
OUT="${QUICKSTART_OUT:-$PWD/quickstart_out}"
[ "$MODEL" = sentiment ] || OUT="$OUT/$MODEL"
mkdir -p "$OUT"
cd "$OUT"
export LOG_DIR="$OUT"
start=$(date +%s)
python -m lstm_ms.cli.sample --model "$MODEL" --out "$OUT/sample_data"
case "$MODEL" in
sentiment)
    data=("$OUT/sample_data/aclImdb" "$OUT/sample_data/glove"); ckpt="$OUT/ckpt/lstm-best.ckpt"; name=lstm
    # The sample is small and its reviews short: 10 epochs, warm-up + cosine LR, gradient clipping.
    train=(--num_epochs 10 --dynamic_lr true --lr_adjust_epoch 10 --clip_norm 1.0)
    predict=("A wonderful, moving film. Brilliant!" "Awful and boring, a waste of time.") ;;
ner)
    data=("$OUT/sample_data/ResumeNER"); ckpt="$OUT/ckpt_ner/ner-best.ckpt"; name=ner
    train=(--num_epochs 6 --learning_rate 0.01 --embed_size 32 --num_hiddens 32 --max_len 64)
    predict=("高勇，男，中国国籍，无境外居留权。") ;;
seq2seq)
    data=("$OUT/sample_data/multi30k"); ckpt="$OUT/ckpt_seq2seq/seq2seq-best.ckpt"; name=seq2seq
    # a small network for the small generated language; the default recipe is for Multi30k
    train=(--num_epochs 8 --batch_size 32 --lr_max 0.005 --lr_init 0.0005 --lr_end 0.0002 --lr_adjust_epoch 8
           --embed_size 64 --num_hiddens 128 --dropout 0.1 --max_len 24 --bucket_lengths "[12, 16]" --max_decode_len 24)
    predict=("Ein Mann fährt Fahrrad." "Die rote Katze sitzt.") ;;
ctc)
    data=("$OUT/sample_data/timit/TIMIT"); ckpt="$OUT/ckpt_ctc/ctc-best.ckpt"; name=ctc
    # the small CPU setting of the model card; the default recipe (4 x BiLSTM 384) is for TIMIT
    train=(--num_hiddens 64 --num_layers 2 --dropout 0.1 --num_epochs 12 --batch_size 8
           --bucket_lengths "[100, 150, 200]" --lr_max 0.003 --lr_adjust_epoch 12)
    predict=("$(find "$OUT/sample_data/timit/TIMIT/TEST" -name 'SI1.WAV' | sort | head -n 1)") ;;
deepspeech2)
    data=("$OUT/sample_data/an4"); ckpt="$OUT/ckpt_deepspeech2/deepspeech2-best.ckpt"; name=deepspeech2
    # the small CPU setting of tests/test_deepspeech2.py; config_an4.yaml (5 x BiLSTM 1024) is the AN4 recipe
    train=(--num_hiddens 64 --num_layers 2 --conv_channels 8 --num_epochs 8 --learning_rate 0.003 --lr_gamma 0.9
           --bucket_lengths "[150, 200]")
    predict=("$(find "$OUT/sample_data/an4/an4_dataset/test/wav" -name '*.wav' | sort | head -n 1)") ;;
esac
bash "$REPO/scripts/run_train_cpu.sh" "${data[@]}" --model "$MODEL" "${train[@]}" --progress false
bash "$REPO/scripts/run_eval_cpu.sh" "${data[@]}" "$ckpt" --model "$MODEL"
python "$REPO/export.py" --model "$MODEL" --ckpt_file "$ckpt" --file_name "$OUT/$name" --file_format MINDIR
python -m lstm_ms.cli.plot "$(dirname "$ckpt")" || echo "(plot skipped)"
# The CPU leg of the Ascend 310 deployment: test split -> bins -> MINDIR runner -> metrics.
mkdir -p "$OUT/infer"
(cd "$OUT/infer" && bash "$REPO/scripts/run_infer_310.sh" "$OUT/$name.mindir" "${data[0]}" y CPU 0)
python "$REPO/predict.py" --model "$MODEL" --mindir_file "$OUT/$name.mindir" "${predict[@]}"
echo "quickstart ($MODEL) done in $(( $(date +%s) - start )) s: checkpoints in $(dirname "$ckpt"), MINDIR $OUT/$name.mindir"
python - "$OUT/infer/acc.json" "$MODEL" <<'PY'
import json, sys
result, model = json.load(open(sys.argv[1])), sys.argv[2]
key = {"sentiment": "accuracy", "ner": "entity_f1", "seq2seq": "bleu", "ctc": "per", "deepspeech2": "cer"}[model]
print(f"MINDIR inference {key} on the sample test split: {result[key]}")
PY
