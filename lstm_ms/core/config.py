"""One config module: YAML defaults, command-line overrides typed from the YAML value.

An unknown key is an error that names it; a key with a fixed set of values is checked against it,
whether it comes from the YAML file or a flag; flags are never abbreviated; ``--help`` shows each key's
YAML comment. Nothing is parsed at import time.
"""
import argparse
import re
import sys
from pathlib import Path

import yaml

from .errors import UserError

DEVICE_TARGETS = ("Ascend", "GPU", "CPU")
# The keys whose value is one of a fixed set (compared case-insensitively, stored as spelled here).
CHOICES = {
    "device_target": DEVICE_TARGETS,
    "mode": ("graph", "pynative"),
    "optimizer": ("momentum", "adam"),
    "amp_level": ("O0", "O1", "O2", "O3"),
    "lr_schedule": ("cosine", "anneal"),
    "rnn_type": ("LSTM", "GRU"),
    "test_set": ("core", "complete"),
    "file_format": ("MINDIR", "AIR"),
    "split": ("train", "dev", "test"),
}
# What a key means where its config file has no comment on its line (a file's own comment wins).
KEY_HELP = {
    "amp_level": "mixed precision: O0 float32; O2 float16 with float32 where needed (GPU/Ascend configs)",
    "batch_size": "examples per batch (per device when distributed)",
    "bidirectional": "run the recurrent layers in both directions",
    "bucket": "batch examples of similar length together (false: pad everything to max_len)",
    "ckpt_file": "checkpoint to evaluate, export or predict with",
    "ckpt_path": "folder for the checkpoints, metrics.jsonl and the run's config",
    "clip_norm": "clip the gradients to this global norm (0: no clipping)",
    "conv_channels": "channels of the convolutional front end",
    "dev_beam_size": "beam width of the dev evaluation during training (1: greedy, cheaper)",
    "device_id": "device number on the machine (GPU/Ascend; DEVICE_ID in the environment wins)",
    "device_target": "where to run",
    "distribute": "data-parallel training (set by the run_distribute_train scripts)",
    "dropout": "dropout probability",
    "dynamic_lr": "per-step learning-rate schedule (lr_schedule) instead of a constant learning_rate",
    "dynamic_shape": "one graph for every batch shape instead of one per bucket (slower steps on CPU)",
    "embed_size": "embedding size",
    "file_format": "export format (AIR: on Ascend only)",
    "file_name": "exported file name, without suffix",
    "freq_masks": "SpecAugment: frequency masks per utterance",
    "freq_width": "SpecAugment: widest frequency mask, in bins",
    "hop_ms": "frame hop in milliseconds",
    "keep_checkpoint_max": "epoch checkpoints kept (the oldest are removed)",
    "learning_rate": "learning rate (constant, or the start of the anneal schedule)",
    "loss_scale": "initial dynamic loss scale under mixed precision",
    "lowercase": "lower-case the text",
    "lr_adjust_epoch": "epochs over which the cosine schedule decays (then lr_end)",
    "lr_end": "final learning rate of the cosine schedule",
    "lr_gamma": "anneal schedule: learning rate factor per epoch",
    "lr_init": "learning rate at the start of the warm-up",
    "lr_max": "learning rate at the end of the warm-up",
    "min_freq": "least count for a vocabulary entry (training split)",
    "mode": "MindSpore execution mode",
    "momentum": "momentum of the Momentum optimizer",
    "num_classes": "number of classes",
    "num_epochs": "training epochs",
    "num_hiddens": "hidden size of the recurrent layers",
    "num_layers": "number of recurrent layers",
    "optimizer": "optimizer",
    "preprocess_path": "folder of the MindRecord files and meta.json",
    "progress": "show a progress bar during training",
    "save_checkpoint_epochs": "write an epoch checkpoint every this many epochs",
    "seed": "random seed (weights, data order, dropout)",
    "src_lang": "source language (file suffix)",
    "tgt_lang": "target language (file suffix)",
    "time_masks": "SpecAugment: time masks per utterance",
    "warmup_epochs": "epochs of linear learning-rate warm-up",
    "weight_decay": "weight decay",
}
_PACKAGE = Path(__file__).resolve().parents[1]


def models_dir():
    """Where the models' configs and cards are: ``models/`` of a checkout (or an editable install), else
    the copy a wheel carries inside the package (``lstm_ms/models``, see setup.py)."""
    for candidate in (_PACKAGE.parent / "models", _PACKAGE / "models"):
        if candidate.is_dir():
            return candidate
    raise UserError(_PACKAGE / "models", "the models' configs are missing from this installation")


def str2bool(text):
    low = str(text).strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _typed(default):
    """argparse ``type`` for a key whose YAML default is ``default``: lists are typed element by element."""
    if isinstance(default, bool):
        return str2bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, str):
        return str

    def parse_yaml(text):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            raise argparse.ArgumentTypeError(f"not a YAML value: {text!r}") from None
        if default is not None and not isinstance(value, type(default)):
            raise argparse.ArgumentTypeError(f"expected a {type(default).__name__}, got {text!r}")
        if isinstance(default, list) and default:
            kind = type(default[0])
            bad = [v for v in value if not isinstance(v, kind) or isinstance(v, bool) != isinstance(default[0], bool)]
            if bad:
                raise argparse.ArgumentTypeError(f"expected a list of {kind.__name__}, got {bad[0]!r} in {text!r}")
        return value

    return parse_yaml


def config_file(model, device_target):
    return models_dir() / model / f"config_{device_target.lower()}.yaml"


def load_yaml(path):
    path = Path(path)
    if not path.is_file():
        raise UserError(path, "config file not found")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise UserError(path, f"not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(cfg, dict):
        raise UserError(path, "a config file must be a mapping of keys to values")
    return cfg


def yaml_comments(path):
    """{key: the comment after it on its line} of a config file's top-level keys."""
    found = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z_][\w]*)\s*:[^#]*#\s*(.+)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def check_choices(cfg, source):
    """Canonical spelling of every fixed-choice key; a value outside its set is a UserError naming the
    key and the allowed values (``source(key)``: where the value came from, a flag or the config file)."""
    for key, allowed in CHOICES.items():
        if key not in cfg or cfg[key] is None:
            continue
        value = cfg[key]
        match = [a for a in allowed if str(a).lower() == str(value).lower()]
        if not match:
            raise UserError(source(key), f"{key}: {value!r} is not one of {', '.join(allowed)}")
        cfg[key] = match[0]
    return cfg


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs):
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message):
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        sys.exit(2)


def _known_models():
    root = models_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("config_*.yaml")))


def parse_args(argv, prog, description, extra=None, default_model="sentiment", uses=()):
    """Parse ``argv`` into a flat config dict.

    ``--model`` and ``--device_target`` pick ``models/<model>/config_<target>.yaml`` (or
    ``--config_path``); every key of that file becomes a ``--key`` flag typed from its value, its help
    the key's comment in the file. ``extra`` is a list of ``(flag, kwargs)`` for command-only flags that
    are not config keys; ``uses``: the config keys this command reads, listed first in ``--help``.
    """
    pre = _Parser(add_help=False, prog=prog)
    pre.add_argument("--model", default=default_model)
    pre.add_argument("--device_target", default="CPU", type=lambda v: check_choices(
        {"device_target": v}, lambda k: "--device_target")["device_target"])
    pre.add_argument("--config_path", default=None)
    known, _ = pre.parse_known_args(argv)
    if known.config_path:
        path = Path(known.config_path)
    else:
        models = _known_models()
        if known.model not in models:
            raise UserError("--model", f"unknown model {known.model!r} (known: {', '.join(models)})")
        path = config_file(known.model, known.device_target)
    defaults = load_yaml(path)
    comments = yaml_comments(path)

    parser = _Parser(prog=prog, description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default=default_model, help="which model of the zoo")
    parser.add_argument("--config_path", default=None, help="YAML config (default: models/<model>/config_<target>.yaml)")
    parser.add_argument("--print_config", action="store_true", help="print the final config and exit")
    for flag, kwargs in extra or ():
        parser.add_argument(flag, **kwargs)
    first = parser.add_argument_group(f"config keys {prog} uses") if uses else parser
    rest = parser.add_argument_group("other config keys" if uses else "config keys")
    for key in [k for k in uses if k in defaults] + [k for k in defaults if k not in uses]:
        value = defaults[key]
        text = comments.get(key) or KEY_HELP.get(key, f"config key '{key}'")
        kwargs = {"default": value, "type": _typed(value), "help": text.replace("%", "%%")}
        if key in CHOICES:
            kwargs["help"] += f" (one of: {', '.join(CHOICES[key])})"
        (first if key in uses else rest).add_argument(f"--{key}", **kwargs)
    args = parser.parse_args(argv)
    cfg = vars(args)
    given = {a.split("=")[0][2:] for a in argv if str(a).startswith("--")}
    check_choices(cfg, lambda k: f"--{k}" if k in given else path)
    cfg["config_path"] = str(path)
    if cfg.pop("print_config"):
        sys.stdout.write(yaml.safe_dump(cfg, sort_keys=True))
        sys.exit(0)
    return cfg


def dump(cfg, path):
    from .atomic import write_text

    write_text(path, yaml.safe_dump(dict(cfg), sort_keys=True))
