"""Task registry: ``--model NAME`` looks a task up here. Each task knows its model end to end."""
from ..core.errors import UserError

REQUIRED = ("name", "path_keys", "raw_keys", "inference_network", "ckpt_prefix", "metric_name", "prepare", "ensure_prepared", "has_split", "dataset",
            "network", "input_specs", "loss", "evaluate", "export_inputs", "report", "make_sample",
            "assets", "input_names", "pad_example", "encode_texts", "raw_examples", "metrics_from_outputs", "describe")
_REGISTRY = {}


def register(cls):
    """Class decorator: refuses a duplicate name or a class that lacks part of the task surface."""
    missing = [attr for attr in REQUIRED if not hasattr(cls, attr)]
    if missing:
        raise TypeError(f"task {cls.__name__} lacks {', '.join(missing)}")
    if cls.name in _REGISTRY:
        raise ValueError(f"task name {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all():
    from . import ctc, deepspeech2, ner, sentiment, seq2seq  # noqa: F401  (each registers itself)


def names():
    _load_all()
    return sorted(_REGISTRY)


def get_task(name):
    _load_all()
    if name not in _REGISTRY:
        raise UserError("--model", f"unknown model {name!r} (known: {', '.join(sorted(_REGISTRY))})")
    return _REGISTRY[name]()
