"""Reading the meta.json that preprocessing writes (sizes, labels, fingerprint)."""
import json
from pathlib import Path

from .errors import UserError


def read_meta(path):
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(path.parent, "no preprocessed data here (meta.json missing); run with --preprocess true") from None
    except json.JSONDecodeError as exc:
        raise UserError(path, f"not valid JSON (line {exc.lineno})") from None
