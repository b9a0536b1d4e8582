"""DeepSpeech2 character recognition on AN4: log spectrograms -> conv + BiLSTM -> 29 characters with CTC
(blank ``_`` at 0), scored by corpus WER and CER."""
import shutil
from pathlib import Path

import numpy as np

from ..core.edit_distance import error_rates
from ..core.features import normalize_utterance, spec_augment, spectrogram
from ..data import an4
from . import register
from .speech import SpeechTask

FORMAT_VERSION = 1
SHAPING_KEYS = ("win_ms", "hop_ms", "val_fraction", "max_frames")
NETWORK_KEYS = ("num_hiddens", "num_layers", "rnn_type", "conv_channels")
SPLIT_FILES = {"train": "train", "dev": "val", "test": "test"}  # our split -> the manifest's name
CONVERTED = "an4_manifests"  # preprocess_path sub-folder that CMU's sphere release is converted into


def featurise(audio, win_ms, hop_ms):
    """float32 [frames, bins]: log1p STFT magnitude (Hamming window), normalised per utterance."""
    return normalize_utterance(spectrogram(audio, win_ms=win_ms, hop_ms=hop_ms))


@register
class DeepSpeech2Task(SpeechTask):
    name = "deepspeech2"
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    network_keys = NETWORK_KEYS
    feature_keys = ("win_ms", "hop_ms")
    global_normalizer = False
    ckpt_prefix = "deepspeech2"
    metric_name = "neg_wer"  # the trainer keeps the highest: -WER
    assets = ("labels.txt",)

    # ---------------------------------------------------------------- data
    def utterances(self, cfg, log=print):
        """train/dev/test items: the manifest layout's entries (``val`` is our dev; an audio file listed
        twice is an error), or CMU's release read as it is (:func:`an4.cmu_splits`, val speakers drawn with
        seed 0). With ``skip_bad`` a bad listing line is logged and kept in ``listing_errors`` instead."""
        root = Path(cfg["data_path"])
        errors = [] if cfg.get("skip_bad") else None
        if an4.detect_layout(root) == "cmu":
            found = an4.cmu_splits(root, float(cfg.get("val_fraction", 0.1)), seed=0, errors=errors)
        else:
            found = an4.find_splits(root, errors)
        for exc in errors or ():
            log(f"skipped: {exc}")
        self.listing_errors += [(an4.where_of(exc), exc) for exc in errors or ()]
        return {ours: found[theirs] for ours, theirs in SPLIT_FILES.items()}

    def prepare(self, cfg, fingerprint, log=print):
        """CMU's release is first converted into the manifest layout under ``preprocess_path/an4_manifests``
        (replacing an older conversion), which is then preprocessed like any manifest folder; what the
        conversion skipped (``skip_bad``) is counted and recorded with the rest."""
        skipped = []
        if an4.detect_layout(cfg["data_path"]) == "cmu":
            out = Path(cfg["preprocess_path"]) / CONVERTED
            if out.exists():
                shutil.rmtree(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            an4.convert_cmu(cfg["data_path"], out, val_fraction=float(cfg["val_fraction"]), seed=0, log=log,
                            skip_bad=bool(cfg.get("skip_bad")), skipped=skipped)
            for _, exc in skipped:
                log(f"skipped: {exc}")
            log(f"converted CMU's AN4 release into {out} (manifests, WAV and transcripts)")
            cfg = {**cfg, "data_path": str(out)}
        return super().prepare(cfg, fingerprint, log, skipped=skipped)

    @staticmethod
    def item_files(item):
        if isinstance(item, an4.CmuUtterance):
            return item.sph, item.transcription
        return item.wav, item.txt

    def labels(self, item, n_samples):
        if isinstance(item, an4.CmuUtterance):   # checked by read_cmu
            return an4.encode_transcript(item.text, item.transcription, item.line)
        return an4.encode_transcript(an4.read_transcript(item.txt), item.txt)

    def featurise(self, audio, params):
        return featurise(audio, params["win_ms"], params["hop_ms"])

    def num_features(self, params):
        return int(round(16000 * float(params["win_ms"]) / 1000)) // 2 + 1

    def classes(self):
        return tuple(an4.LABELS)

    def augment(self, ds, cfg, epoch):
        """SpecAugment (``spec_augment: true``): frequency and time masks on each training batch's real
        frames, drawn from a generator seeded by (seed, epoch, the batch's frame counts), so a batch gets
        the same masks whatever order the pipeline's workers run in."""
        if not cfg.get("spec_augment"):
            return ds
        widths = {k: cfg[k] for k in ("freq_masks", "freq_width", "time_masks", "time_width")}

        def mask(features, frames):
            rng = np.random.default_rng([int(cfg["seed"]), int(epoch), *(int(n) for n in frames)])
            out = features.copy()
            for b, n in enumerate(frames):
                out[b, :n] = spec_augment(features[b, :n], rng, **widths)
            return out, frames

        return ds.map(operations=mask, input_columns=["features", "frames"], output_columns=["features", "frames"])

    # ---------------------------------------------------------------- model
    @staticmethod
    def output_lengths(frames):
        from ..nn.deepspeech2 import conv_output_lengths

        return conv_output_lengths(np.asarray(frames))

    def network(self, cfg, meta, pretrained=True):
        from ..nn.deepspeech2 import DeepSpeech2Net

        feats, classes = self._dims(cfg, meta)
        return DeepSpeech2Net(feats, classes, cfg["num_hiddens"], cfg["num_layers"], cfg["rnn_type"],
                              cfg["conv_channels"])

    # ---------------------------------------------------------------- scoring
    @staticmethod
    def text(ids):
        return an4.decode_ids([i for i in ids if i > 0])

    def scores(self, refs, hyps):
        """Corpus WER (total word edits / reference words) and CER (character edits, spaces included, /
        reference characters), and their per-utterance means."""
        ref_text, hyp_text = [self.text(r) for r in refs], [self.text(h) for h in hyps]
        w = error_rates([r.split() for r in ref_text], [h.split() for h in hyp_text])
        c = error_rates([list(r) for r in ref_text], [list(h) for h in hyp_text])
        return {"wer": w["corpus"], "cer": c["corpus"], self.metric_name: -w["corpus"],
                "wer_mean_utterance": w["mean_per_utterance"], "cer_mean_utterance": c["mean_per_utterance"],
                "word_edits": w["edits"], "ref_words": w["ref_tokens"], "char_edits": c["edits"],
                "ref_chars": c["ref_tokens"], "n": w["n"]}

    def report(self, result):
        return (f"WER {100 * result['wer']:.2f} %\n"
                f"CER {100 * result['cer']:.2f} %\n"
                f"{result['word_edits']} word edits / {result['ref_words']} reference words, "
                f"{result['char_edits']} character edits / {result['ref_chars']} reference characters "
                f"in {result['n']} utterances")

    def transcript(self, ids):
        text = self.text(ids)
        return text, {"transcript": text}

    def make_sample(self, out_dir, seed=0, size=1.0):
        from ..data import synthetic

        # 240 training utterances: what the small CPU setting needs to spell the synthetic letters in 8 epochs
        # (quickstart.sh deepspeech2)
        root = synthetic.write_an4(Path(out_dir) / "an4", layout="manifest", n_train=int(round(240 * size)),
                                   n_val=int(round(30 * size)), n_test=int(round(40 * size)), seed=seed)
        return {"data_path": str(root)}
