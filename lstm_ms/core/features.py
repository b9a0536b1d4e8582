"""Speech front end in numpy: log-mel filterbank energies, MFCCs, deltas and a running normaliser, plus the
DeepSpeech2 input (centred log1p magnitude spectrogram, per-utterance normalisation, SpecAugment masking).

All spectra use the HTK mel scale ``mel = 2595 * log10(1 + f / 700)`` and triangular filters with a
peak height of 1 at their centre frequency (not area-normalised), evaluated at the FFT bin
frequencies ``k * sample_rate / n_fft``. Computation is in float64; features come out float32.
"""
import numpy as np

LOG_FLOOR = 1e-10


def hz_to_mel(hz):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, np.float64) / 700.0)


def mel_to_hz(mel):
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, np.float64) / 2595.0) - 1.0)


def mel_edges(n_mels, sample_rate=16000, fmin=0.0, fmax=None):
    """The ``n_mels + 2`` filter edge frequencies (Hz), equally spaced in mel from fmin to fmax.

    Filter i rises from ``edges[i]``, peaks at ``edges[i + 1]`` (its centre) and falls to ``edges[i + 2]``.
    """
    fmax = sample_rate / 2.0 if fmax is None else float(fmax)
    if not 0.0 <= fmin < fmax <= sample_rate / 2.0:
        raise ValueError(f"need 0 <= fmin < fmax <= sample_rate / 2, got fmin={fmin}, fmax={fmax}")
    return mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), int(n_mels) + 2))


def triangles(freqs, edges):
    """Triangular filter responses [len(edges) - 2, len(freqs)] at the frequencies ``freqs`` (Hz)."""
    freqs = np.asarray(freqs, np.float64)[None, :]
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rise = (freqs - lo) / (mid - lo)
    fall = (hi - freqs) / (hi - mid)
    return np.maximum(0.0, np.minimum(rise, fall))


def mel_filterbank(n_mels, n_fft, sample_rate=16000, fmin=0.0, fmax=None):
    """HTK-style triangular mel filterbank [n_mels, n_fft // 2 + 1], float64, peak height 1 at each centre."""
    bin_freqs = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    return triangles(bin_freqs, mel_edges(n_mels, sample_rate, fmin, fmax))


def frame_signal(signal, win, hop):
    """Frames [1 + (n - win) // hop, win] (a view); a signal shorter than ``win`` is zero-padded to one frame."""
    signal = np.asarray(signal)
    if signal.ndim != 1:
        raise ValueError(f"signal must be 1-D, got shape {signal.shape}")
    if signal.shape[0] < win:
        signal = np.pad(signal, (0, win - signal.shape[0]))
    n_frames = 1 + (signal.shape[0] - win) // hop
    return np.lib.stride_tricks.sliding_window_view(signal, win)[::hop][:n_frames]


def _window_sizes(sample_rate, win_ms, hop_ms, n_fft):
    win = int(round(sample_rate * win_ms / 1000.0))
    hop = int(round(sample_rate * hop_ms / 1000.0))
    if win < 1 or hop < 1:
        raise ValueError(f"window and hop must be >= 1 sample, got {win} and {hop}")
    if win > n_fft:
        raise ValueError(f"window ({win} samples) longer than n_fft ({n_fft})")
    return win, hop


def power_spectrum(signal, sample_rate=16000, win_ms=25.0, hop_ms=10.0, n_fft=512, preemphasis=0.97):
    """|rfft|^2 of Hamming-windowed, pre-emphasised frames: float64 [frames, n_fft // 2 + 1].

    Pre-emphasis ``y[n] = x[n] - a * x[n - 1]`` (``y[0] = x[0]``) runs over the whole signal before
    framing; ``preemphasis=0`` (or None) skips it. Frames are not centred or padded (except a signal
    shorter than one window, padded with zeros to one frame); each is zero-padded to ``n_fft``.
    """
    win, hop = _window_sizes(sample_rate, win_ms, hop_ms, n_fft)
    x = np.asarray(signal, np.float64)
    if preemphasis and x.size > 1:
        x = np.concatenate([x[:1], x[1:] - preemphasis * x[:-1]])
    frames = frame_signal(x, win, hop) * np.hamming(win)
    spec = np.fft.rfft(frames, n=n_fft, axis=-1)
    return spec.real ** 2 + spec.imag ** 2


def log_mel(signal, sample_rate=16000, n_mels=40, win_ms=25.0, hop_ms=10.0, n_fft=512, preemphasis=0.97,
            fmin=0.0, fmax=None):
    """Log mel filterbank energies, float32 [1 + (n - win) // hop, n_mels] (natural log, floored at 1e-10).

    See :func:`power_spectrum` for framing and :func:`mel_filterbank` for the filters.
    """
    power = power_spectrum(signal, sample_rate, win_ms, hop_ms, n_fft, preemphasis)
    energies = power @ mel_filterbank(n_mels, n_fft, sample_rate, fmin, fmax).T
    return np.log(np.maximum(energies, LOG_FLOOR)).astype(np.float32)


def mfcc(signal, sample_rate=16000, n_mels=40, win_ms=25.0, hop_ms=10.0, n_fft=512, preemphasis=0.97,
         fmin=0.0, fmax=None, n_ceps=13):
    """MFCCs, float32 [frames, n_ceps]: the first ``n_ceps`` coefficients of the orthonormal DCT-II of :func:`log_mel`."""
    from scipy.fft import dct

    if not 1 <= n_ceps <= n_mels:
        raise ValueError(f"need 1 <= n_ceps <= n_mels, got n_ceps={n_ceps}, n_mels={n_mels}")
    lm = log_mel(signal, sample_rate, n_mels, win_ms, hop_ms, n_fft, preemphasis, fmin, fmax)
    return dct(lm.astype(np.float64), type=2, norm="ortho", axis=-1)[:, :n_ceps].astype(np.float32)


def _delta(feat, window):
    """One regression delta ``sum_n n (c[t+n] - c[t-n]) / (2 sum_n n^2)``, edges padded by repetition."""
    steps = feat.shape[0]
    padded = np.pad(feat, ((window, window), (0, 0)), mode="edge")
    out = np.zeros_like(feat)
    for n in range(1, window + 1):
        out += n * (padded[window + n:window + n + steps] - padded[window - n:window - n + steps])
    return out / (2.0 * sum(n * n for n in range(1, window + 1)))


def deltas(feat, order=2, window=2):
    """``[feat, delta, delta-delta, ...]`` concatenated: [frames, dim * (order + 1)], in feat's float dtype.

    Each order is the regression delta (over +-``window`` frames, edges padded by repeating the first /
    last frame) of the previous one.
    """
    feat = np.asarray(feat)
    if feat.ndim != 2:
        raise ValueError(f"feat must be [frames, dim], got shape {feat.shape}")
    if window < 1 or order < 0:
        raise ValueError(f"need window >= 1 and order >= 0, got window={window}, order={order}")
    dtype = feat.dtype if np.issubdtype(feat.dtype, np.floating) else np.float64
    out = [feat.astype(np.float64)]
    for _ in range(order):
        out.append(_delta(out[-1], window))
    return np.concatenate(out, axis=1).astype(dtype)


class Normalizer:
    """Per-dimension mean / standard deviation over many utterances' frames (population std, ddof=0).

    Accumulates count, mean and the sum of squared deviations with Chan's parallel update (float64),
    so the result equals ``np.mean`` / ``np.std`` of all frames concatenated.
    """

    def __init__(self, eps=1e-8):
        self.eps = float(eps)
        self.count = 0
        self._mean = None
        self._m2 = None

    def update(self, feat):
        """Add the frames of ``feat`` [frames, dim]; returns self."""
        feat = np.asarray(feat, np.float64)
        if feat.ndim != 2:
            raise ValueError(f"feat must be [frames, dim], got shape {feat.shape}")
        n = feat.shape[0]
        if n == 0:
            return self
        if self._mean is None:
            self._mean = np.zeros(feat.shape[1])
            self._m2 = np.zeros(feat.shape[1])
        elif feat.shape[1] != self._mean.shape[0]:
            raise ValueError(f"dimension {feat.shape[1]} != {self._mean.shape[0]} seen before")
        mean_b = feat.mean(axis=0)
        m2_b = ((feat - mean_b) ** 2).sum(axis=0)
        total = self.count + n
        delta = mean_b - self._mean
        self._mean = self._mean + delta * (n / total)
        self._m2 = self._m2 + m2_b + delta ** 2 * (self.count * n / total)
        self.count = total
        return self

    def _require(self):
        if self.count == 0:
            raise ValueError("Normalizer has seen no frames")

    @property
    def mean(self):
        """float64 [dim] mean."""
        self._require()
        return self._mean.copy()

    @property
    def std(self):
        """float64 [dim] population standard deviation."""
        self._require()
        return np.sqrt(self._m2 / self.count)

    def apply(self, feat):
        """``(feat - mean) / max(std, eps)`` in feat's float dtype (float32 for integer input)."""
        feat = np.asarray(feat)
        dtype = feat.dtype if np.issubdtype(feat.dtype, np.floating) else np.float32
        return ((feat - self.mean) / np.maximum(self.std, self.eps)).astype(dtype)

    def to_dict(self):
        """JSON-able state: count, eps, mean and m2 (sum of squared deviations) as lists."""
        self._require()
        return {"count": int(self.count), "eps": self.eps,
                "mean": self._mean.tolist(), "m2": self._m2.tolist()}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`."""
        norm = cls(eps=data.get("eps", 1e-8))
        norm.count = int(data["count"])
        norm._mean = np.asarray(data["mean"], np.float64)
        norm._m2 = np.asarray(data["m2"], np.float64)
        if norm._mean.shape != norm._m2.shape or norm._mean.ndim != 1:
            raise ValueError("mean and m2 must be equal-length lists")
        return norm


# ---------------------------------------------------------------- DeepSpeech2 spectrogram
def _stft_sizes(sample_rate, win_ms, hop_ms):
    """(win, hop) in samples for :func:`spectrogram` (n_fft = win)."""
    return _window_sizes(sample_rate, win_ms, hop_ms, n_fft=np.inf)


def output_frames(n_samples, sample_rate=16000, win_ms=20.0, hop_ms=10.0):
    """Frames :func:`spectrogram` gives for ``n_samples`` samples (an int, or an int64 array for many):
    ``1 + (n + 2 * (win // 2) - win) // hop``, i.e. ``1 + n // hop`` for an even window (320 at 16 kHz)."""
    win, hop = _stft_sizes(sample_rate, win_ms, hop_ms)
    n = np.asarray(n_samples, np.int64)
    if (n < 0).any():
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    out = 1 + (n + 2 * (win // 2) - win) // hop
    return int(out) if out.ndim == 0 else out


def spectrogram(signal, sample_rate=16000, win_ms=20.0, hop_ms=10.0):
    """DeepSpeech2 input features: ``log1p(|rfft|)`` of centred Hamming-windowed frames, float32
    [frames, n_fft // 2 + 1] with n_fft = win = ``round(sample_rate * win_ms / 1000)`` (161 bins at 16 kHz).

    Centred framing as ``librosa.stft(center=True, pad_mode="constant")`` / ``torch.stft(center=True)``:
    ``win // 2`` zeros are added at both ends and frame t covers padded samples ``[t * hop, t * hop + win)``,
    so frame t is centred on sample ``t * hop``; :func:`output_frames` gives the count (``1 + n // hop``).
    The window is the symmetric Hamming window ``np.hamming(win)`` (scipy.signal.hamming's default, as used
    by deepspeech.pytorch); the magnitude (not the power) is taken. Computed in float64.
    """
    win, hop = _stft_sizes(sample_rate, win_ms, hop_ms)
    x = np.asarray(signal, np.float64)
    if x.ndim != 1:
        raise ValueError(f"signal must be 1-D, got shape {x.shape}")
    n_frames = output_frames(x.shape[0], sample_rate, win_ms, hop_ms)
    if n_frames <= 0:  # only an empty signal with an odd window
        return np.zeros((0, win // 2 + 1), np.float32)
    x = np.pad(x, (win // 2, win // 2))
    frames = np.lib.stride_tricks.sliding_window_view(x, win)[::hop][:n_frames] * np.hamming(win)
    return np.log1p(np.abs(np.fft.rfft(frames, n=win, axis=-1))).astype(np.float32)


def normalize_utterance(feat, eps=1e-8):
    """``(feat - mean) / (std + eps)`` with one scalar mean and (population) std over the whole utterance,
    as deepspeech.pytorch normalises each spectrogram; float32 out (statistics in float64)."""
    x = np.asarray(feat, np.float64)
    if x.size == 0:
        raise ValueError("feat is empty")
    return ((x - x.mean()) / (x.std() + eps)).astype(np.float32)


def _spans(rng, count, max_width, size):
    """Boolean [size] mask: the union of ``count`` spans, each of width uniform in [0, max_width] (cut to
    ``size``) starting uniformly where it fits."""
    widths = np.minimum(rng.integers(0, max_width + 1, size=count), size)
    starts = rng.integers(0, size - widths + 1)
    idx = np.arange(size)
    return ((idx >= starts[:, None]) & (idx < (starts + widths)[:, None])).any(axis=0)


def spec_augment(feat, rng, freq_masks=2, freq_width=15, time_masks=2, time_width=0.05):
    """SpecAugment masking (training only) on ``feat`` [frames, bins]; returns a new array, ``feat`` untouched.

    ``freq_masks`` bands of width uniform in [0, freq_width] bins are set to 0 in every frame and
    ``time_masks`` spans of width uniform in [0, max(1, int(time_width * frames))] frames are set to 0 in
    every bin (0 is the mean of a :func:`normalize_utterance` output). ``rng`` is a ``numpy.random.Generator``,
    so the same seed gives the same masks; the draws depend only on the shape, not on the values.
    """
    out = np.array(feat, copy=True)
    if out.ndim != 2:
        raise ValueError(f"feat must be [frames, bins], got shape {out.shape}")
    if min(freq_masks, freq_width, time_masks, time_width) < 0:
        raise ValueError("mask counts and widths must be >= 0")
    frames, bins = out.shape
    if frames == 0 or bins == 0:
        return out
    out[:, _spans(rng, int(freq_masks), int(freq_width), bins)] = 0
    out[_spans(rng, int(time_masks), max(1, int(time_width * frames)), frames), :] = 0
    return out
