"""Reading the meta.json that preprocessing writes (sizes, labels, fingerprint)."""
import json
from pathlib import Path

from .errors import UserError


def read_meta(path, task=None):
    """The meta.json at ``path`` as a dict; with ``task``, checked to be that model's."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(path.parent, "no preprocessed data here (meta.json missing); run with --preprocess true") from None
    except json.JSONDecodeError as exc:
        raise UserError(path, f"not valid JSON (line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise UserError(path, "not UTF-8 text") from None
    if not isinstance(meta, dict):
        raise UserError(path, f"not a JSON object (got a {type(meta).__name__})")
    if task is not None and meta.get("task") != task:
        raise UserError(path, f"written for model {meta.get('task')!r}, not {task!r}")
    return meta
