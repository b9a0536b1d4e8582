"""The data path of one model, through its task as train.py runs it: generated data in the real
dataset's on-disk format (the task's ``make_sample`` at a stated size) -> preprocessing into
MindRecord (``ensure_prepared``: reading, tokenising or feature extraction, vocabularies, writing) ->
one epoch of the training dataset pipeline (shuffle, bucketing, padding, batching), against what the
training step consumes."""
import tempfile
import time
from pathlib import Path

UNITS = {"sentiment": "reviews", "ner": "sentences", "seq2seq": "sentence pairs", "ctc": "utterances",
         "deepspeech2": "utterances"}


def measure(model, size, work, step_samples_per_s, log=print):
    """-> {size, examples, prepare_s, examples_per_s, batches, epoch_s, batches_per_s, samples_per_s,
    headroom}; ``headroom`` = the pipeline's samples/s over ``step_samples_per_s`` (the benchmark's
    training step at its batch size): above 1 the pipeline keeps ahead of training."""
    from lstm_ms.core import config
    from lstm_ms.tasks import get_task

    task = get_task(model)
    root = Path(tempfile.mkdtemp(prefix=f"data-{model}-", dir=work))
    start = time.perf_counter()
    flags = task.make_sample(root / "raw", seed=0, size=size)
    generated = time.perf_counter() - start
    argv = ["--model", model, "--preprocess_path", str(root / "prep"), "--ckpt_path", str(root / "ckpt")]
    for key, value in flags.items():
        argv += [f"--{key}", str(value)]
    cfg = config.parse_args(argv, "benchmarks", "data path")
    start = time.perf_counter()
    meta = task.ensure_prepared(cfg, log=lambda *a, **k: None)
    prepare_s = time.perf_counter() - start
    examples = sum(s["n"] for s in meta["splits"].values())
    ds = task.dataset("train", cfg, meta, True)
    start = time.perf_counter()
    batches = samples = 0
    for row in ds.create_tuple_iterator(num_epochs=1, output_numpy=True):
        batches += 1
        samples += len(row[0])
    epoch_s = time.perf_counter() - start
    if not batches:
        raise SystemExit(f"data path: {examples} {UNITS.get(model, 'examples')} give no full training batch of "
                         f"{cfg['batch_size']}; raise --data_size")
    res = {"size": size, "unit": UNITS.get(model, "examples"), "generate_s": generated, "examples": examples,
           "splits": {k: v["n"] for k, v in meta["splits"].items()}, "prepare_s": prepare_s,
           "examples_per_s": examples / prepare_s, "batch_size": cfg["batch_size"], "batches": batches,
           "train_samples": samples, "epoch_s": epoch_s, "batches_per_s": batches / epoch_s,
           "samples_per_s": samples / epoch_s, "step_samples_per_s": step_samples_per_s,
           "headroom": samples / epoch_s / step_samples_per_s}
    log(f"\n== 5. Data path ({model} sample at size {size}: {res['splits']} {res['unit']}) ==")
    log(f"preprocessing (read, {'features' if model in ('ctc', 'deepspeech2') else 'tokenise'}, vocabularies, "
        f"MindRecord): {prepare_s:.1f} s for {examples} {res['unit']} = {res['examples_per_s']:.0f} {res['unit']}/s")
    log(f"training pipeline, one epoch: {batches} batches ({samples} {res['unit']}, config batch_size "
        f"{cfg['batch_size']}) in {epoch_s:.2f} s = {res['batches_per_s']:.1f} batches/s, {res['samples_per_s']:.0f} "
        f"{res['unit']}/s; the training step consumes {step_samples_per_s:.1f}/s: headroom {res['headroom']:.1f}x")
    return res
