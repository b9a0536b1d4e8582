"""BiLSTM + CTC phone recognition on TIMIT: 48 training phones (+ blank), scored on 39 (PER)."""
from pathlib import Path

import numpy as np

from ..core.edit_distance import error_rates
from ..core.errors import UserError
from ..core.features import deltas, log_mel
from ..core.phones import MAP_48_39, MAP_61_48, PHONES_48, fold
from ..data import timit
from . import register
from .speech import SpeechTask

FORMAT_VERSION = 2
BLANK = "<blank>"
PHONES = (BLANK,) + PHONES_48          # class ids: 0 the CTC blank, 1..48 the training phones
PHONE_ID = {p: i for i, p in enumerate(PHONES)}
SHAPING_KEYS = ("n_mels", "deltas", "test_set", "max_frames")
NETWORK_KEYS = ("num_hiddens", "num_layers", "dropout", "conv_channels")


def num_features(cfg):
    """Feature dimension: ``n_mels`` log-mel energies and ``deltas`` orders of regression deltas."""
    return int(cfg["n_mels"]) * (int(cfg["deltas"]) + 1)


def featurise(audio, n_mels, order):
    """float32 [frames, n_mels * (order + 1)]: log-mel (25 ms / 10 ms) with ``order`` delta orders."""
    return deltas(log_mel(audio, n_mels=n_mels), order=order).astype(np.float32)


def label_ids(phn):
    """48-phone class ids (1..48) of ``read_phn`` segments: 61 -> 48 folded, ``q`` dropped."""
    return np.array([PHONE_ID[p] for p in fold([p for _, _, p in phn], MAP_61_48)], np.int32)


def to39(ids):
    """48-phone class ids -> 39-phone names (blank and padding ids dropped)."""
    return [MAP_48_39[PHONES[i]] for i in ids if 0 < i < len(PHONES)]


@register
class CTCTask(SpeechTask):
    name = "ctc"
    format_version = FORMAT_VERSION
    shaping_keys = SHAPING_KEYS
    network_keys = NETWORK_KEYS
    feature_keys = ("n_mels", "deltas")
    ckpt_prefix = "ctc"
    metric_name = "neg_per"  # the trainer keeps the highest: -PER
    assets = ("phones.txt",)

    def utterances(self, cfg, log=print):
        """train/dev/test utterances; held-out fallback speakers use a fixed seed (0), so preprocessing and
        ``raw_examples`` pick the same ones whatever the training seed."""
        utts = timit.find_utterances(cfg["data_path"])
        return timit.split_utterances(utts, test_set=cfg.get("test_set", "core"), seed=0, log=log)

    @staticmethod
    def item_files(item):
        return item.wav, item.phn

    def labels(self, item, n_samples):
        ids = label_ids(timit.read_phn(item.phn, n_samples))
        if not len(ids):
            raise UserError(item.phn, "no phones left to learn once 'q' is dropped (61 -> 48 folding)")
        return ids

    def featurise(self, audio, params):
        return featurise(audio, params["n_mels"], params["deltas"])

    def num_features(self, params):
        return num_features(params)

    def classes(self):
        return PHONES

    # ---------------------------------------------------------------- model
    def network(self, cfg, meta, pretrained=True):
        from ..nn.ctc import CTCAcousticNet

        feats, classes = self._dims(cfg, meta)
        return CTCAcousticNet(feats, classes, cfg["num_hiddens"], cfg["num_layers"], cfg["dropout"],
                              cfg["conv_channels"])

    # ---------------------------------------------------------------- scoring
    def scores(self, refs, hyps):
        """PER on the 39 folded phones of 48-phone id lists."""
        r = error_rates([to39(x) for x in refs], [to39(x) for x in hyps])
        return {"per": r["corpus"], "per_mean_utterance": r["mean_per_utterance"], self.metric_name: -r["corpus"],
                "phone_accuracy": 1.0 - r["corpus"], "edits": r["edits"], "ref_phones": r["ref_tokens"], "n": r["n"]}

    def report(self, result):
        return (f"PER {100 * result['per']:.2f} %\n"
                f"mean per-utterance PER {100 * result['per_mean_utterance']:.2f} % (the ModelZoo's LER-style number)\n"
                f"{result['edits']} edits / {result['ref_phones']} reference phones (39-phone set) "
                f"in {result['n']} utterances")

    def transcript(self, ids):
        phones = to39(ids)
        return " ".join(phones), {"phones": phones, "phones48": [PHONES[i] for i in ids]}

    def make_sample(self, out_dir, seed=0, size=1.0):
        from ..data import synthetic

        # 64 speakers x 6 non-SA sentences = 384 training utterances: what a small network needs to learn
        # the synthetic phones in a dozen epochs (the recipe of tests/test_ctc.py and quickstart.sh ctc)
        root = synthetic.write_timit(Path(out_dir) / "timit", speakers_per_region=max(2, int(round(8 * size))),
                                     sentences=("sa1", "si1", "si2", "sx1", "sx2", "sx3", "sx4"), seed=seed)
        return {"data_path": str(root)}
