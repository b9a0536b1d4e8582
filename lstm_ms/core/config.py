"""One config module: YAML defaults, command-line overrides typed from the YAML value.

An unknown key is an error that names it; nothing is parsed at import time.
"""
import argparse
import sys
from pathlib import Path

import yaml

from .errors import UserError

DEVICE_TARGETS = ("Ascend", "GPU", "CPU")
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def str2bool(text):
    low = str(text).strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _typed(default):
    """argparse ``type`` for a key whose YAML default is ``default``."""
    if isinstance(default, bool):
        return str2bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    if isinstance(default, str):
        return str

    def parse_yaml(text):
        value = yaml.safe_load(text)
        if default is not None and not isinstance(value, type(default)):
            raise argparse.ArgumentTypeError(f"expected a {type(default).__name__}, got {text!r}")
        return value

    return parse_yaml


def config_file(model, device_target):
    return MODELS_DIR / model / f"config_{device_target.lower()}.yaml"


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


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"error: {self.prog}: {message}\n")
        sys.exit(2)


def parse_args(argv, prog, description, extra=None, default_model="sentiment"):
    """Parse ``argv`` into a flat config dict.

    ``--model`` and ``--device_target`` pick ``models/<model>/config_<target>.yaml`` (or
    ``--config_path``); every key of that file becomes a ``--key`` flag typed from its value.
    ``extra`` is a list of ``(flag, kwargs)`` for command-only flags that are not config keys.
    """
    pre = _Parser(add_help=False, prog=prog)
    pre.add_argument("--model", default=default_model)
    pre.add_argument("--device_target", default="CPU", choices=DEVICE_TARGETS)
    pre.add_argument("--config_path", default=None)
    known, _ = pre.parse_known_args(argv)
    models = sorted(p.name for p in MODELS_DIR.iterdir() if p.is_dir())
    if known.model not in models:
        raise UserError("--model", f"unknown model {known.model!r} (known: {', '.join(models)})")
    path = Path(known.config_path) if known.config_path else config_file(known.model, known.device_target)
    defaults = load_yaml(path)

    parser = _Parser(prog=prog, description=description,
                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default=default_model, help="which model of the zoo")
    parser.add_argument("--config_path", default=None, help="YAML config (default: models/<model>/config_<target>.yaml)")
    parser.add_argument("--print_config", action="store_true", help="print the final config and exit")
    for flag, kwargs in extra or ():
        parser.add_argument(flag, **kwargs)
    for key, value in defaults.items():
        kwargs = {"default": value, "type": _typed(value), "help": f"config key '{key}'"}
        if key == "device_target":
            kwargs["choices"] = DEVICE_TARGETS
        parser.add_argument(f"--{key}", **kwargs)
    args = parser.parse_args(argv)
    cfg = vars(args)
    cfg["config_path"] = str(path)
    if cfg.pop("print_config"):
        sys.stdout.write(yaml.safe_dump(cfg, sort_keys=True))
        sys.exit(0)
    return cfg


def dump(cfg, path):
    from .atomic import write_text

    write_text(path, yaml.safe_dump(dict(cfg), sort_keys=True))
