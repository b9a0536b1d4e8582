"""Audio files for the speech tasks: 16 kHz mono NIST SPHERE or RIFF WAV, read through ``soundfile``."""
import re
import struct
from pathlib import Path

import numpy as np

from ..core.errors import UserError

SAMPLE_RATE = 16000
_SPHERE_COUNT = re.compile(rb"\nsample_count\s+-i\s+(\d+)")


def declared_frames(path):
    """The sample frames a file's header promises (NIST SPHERE ``sample_count``, RIFF ``data`` size over
    the block size), or None where the header gives no count (e.g. a streamed WAV) or cannot be parsed."""
    with open(path, "rb") as f:
        head = f.read(1024)
        if head.startswith(b"NIST_1A"):
            match = _SPHERE_COUNT.search(head)
            return int(match.group(1)) if match else None
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos, block = 12, None
        while pos + 8 <= len(head):
            chunk, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
            if chunk == b"fmt " and pos + 22 <= len(head):
                block = struct.unpack("<H", head[pos + 20:pos + 22])[0]
            if chunk == b"data":
                return size // block if block and size not in (0, 0xFFFFFFFF) else None
            pos += 8 + size + (size & 1)
    return None


def read_audio(path, sample_rate=SAMPLE_RATE):
    """The samples of a ``sample_rate`` mono file (NIST SPHERE or RIFF WAV) as float32 in [-1, 1).

    Any problem (missing, unreadable, corrupt or truncated file, another rate, more than one channel) is
    a ``UserError`` naming the file."""
    import soundfile as sf

    path = Path(path)
    if path.is_dir():
        raise UserError(path, "is a folder, not an audio file")
    if not path.exists():
        raise UserError(path, "audio file not found" + (" (a broken link)" if path.is_symlink() else ""))
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        promised = declared_frames(path)
    except Exception as exc:  # soundfile raises LibsndfileError/RuntimeError/OSError/TypeError
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise UserError(path, f"cannot read audio: {problem}") from None
    if rate != sample_rate:
        raise UserError(path, f"sample rate {rate} Hz, expected {sample_rate} Hz")
    if data.shape[1] != 1:
        raise UserError(path, f"{data.shape[1]} channels, expected mono")
    if data.shape[0] == 0:
        raise UserError(path, "no audio samples")
    if promised is not None and data.shape[0] < promised:
        raise UserError(path, f"truncated: the header promises {promised} samples, the file holds {data.shape[0]}")
    return np.ascontiguousarray(data[:, 0])
