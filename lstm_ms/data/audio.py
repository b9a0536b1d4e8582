"""Audio files for the speech tasks: 16 kHz mono NIST SPHERE or RIFF WAV, read through ``soundfile``."""
from pathlib import Path

import numpy as np

from ..core.errors import UserError

SAMPLE_RATE = 16000


def read_audio(path, sample_rate=SAMPLE_RATE):
    """The samples of a ``sample_rate`` mono file (NIST SPHERE or RIFF WAV) as float32 in [-1, 1).

    Any problem (missing, unreadable or corrupt file, another rate, more than one channel) is a
    ``UserError`` naming the file."""
    import soundfile as sf

    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError/OSError/TypeError
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise UserError(path, f"cannot read audio: {problem}") from None
    if rate != sample_rate:
        raise UserError(path, f"sample rate {rate} Hz, expected {sample_rate} Hz")
    if data.shape[1] != 1:
        raise UserError(path, f"{data.shape[1]} channels, expected mono")
    if data.shape[0] == 0:
        raise UserError(path, "no audio samples")
    return np.ascontiguousarray(data[:, 0])
