"""Speech features (lstm_ms.core.features) against independent computations (scipy.signal.stft, numpy)."""
import json

import numpy as np
import pytest
from scipy import signal as sps
from scipy.fft import dct

from lstm_ms.core.features import (Normalizer, deltas, frame_signal, hz_to_mel, log_mel, mel_edges,
                                   mel_filterbank, mfcc, power_spectrum, triangles)

SR = 16000


def noise(seconds, seed=0):
    return np.random.default_rng(seed).normal(size=int(SR * seconds)).astype(np.float32)


@pytest.mark.parametrize("n", [0, 1, 399, 400, 401, 559, 560, 561, 8000, 12345])
def test_frame_count(n):
    frames = log_mel(np.ones(n, np.float32))
    assert frames.shape == (max(1, 1 + (n - 400) // 160), 40)


def test_half_second_gives_48_frames_float32():
    feat = log_mel(noise(0.5))
    assert feat.shape == (48, 40)
    assert feat.dtype == np.float32
    assert np.isfinite(feat).all()


def test_short_signal_is_zero_padded_to_one_frame():
    x = np.arange(1, 101, dtype=np.float64)
    frames = frame_signal(x, 400, 160)
    assert frames.shape == (1, 400)
    np.testing.assert_array_equal(frames[0, :100], x)
    np.testing.assert_array_equal(frames[0, 100:], 0)


def test_power_spectrum_matches_scipy_stft():
    x = noise(0.3, seed=1).astype(np.float64)
    ours = power_spectrum(x, SR, preemphasis=0.97)
    emph = np.concatenate([x[:1], x[1:] - 0.97 * x[:-1]])
    win = np.hamming(400)
    _, _, z = sps.stft(emph, fs=SR, window=win, nperseg=400, noverlap=400 - 160, nfft=512,
                       boundary=None, padded=False, detrend=False, return_onesided=True, scaling="spectrum")
    ref = (np.abs(z) * win.sum()).T ** 2     # undo scipy's 1 / sum(window) scaling
    assert ours.shape == ref.shape == (1 + (x.size - 400) // 160, 257)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9 * ref.max())


def test_filters_are_unit_triangles_at_htk_centres():
    edges = mel_edges(40, SR)
    mel = hz_to_mel(edges)
    np.testing.assert_allclose(np.diff(mel), np.diff(mel)[0])        # equally spaced in mel
    np.testing.assert_allclose(mel[[0, -1]], [0.0, 2595 * np.log10(1 + 8000 / 700)])
    centres = edges[1:-1]
    at_centres = triangles(centres, edges)
    np.testing.assert_allclose(at_centres, np.eye(40), atol=1e-12)    # peak 1 at own centre, 0 at others'
    # linear on both sides: halfway up / down gives 0.5
    np.testing.assert_allclose(np.diag(triangles((edges[:-2] + centres) / 2, edges)), 0.5)
    np.testing.assert_allclose(np.diag(triangles((edges[2:] + centres) / 2, edges)), 0.5)
    # between the first and last centre neighbouring triangles sum to 1; zero outside the edges
    f = np.linspace(centres[0], centres[-1], 1001)
    np.testing.assert_allclose(triangles(f, edges).sum(axis=0), 1.0, atol=1e-12)
    assert (triangles(np.array([edges[0], edges[-1]]), edges) == 0).all()


def test_filterbank_on_fft_bins():
    fb = mel_filterbank(40, 512, SR)
    assert fb.shape == (40, 257)
    assert fb.min() >= 0 and fb.max() <= 1
    bins = np.arange(257) * SR / 512
    edges = mel_edges(40, SR)
    below = np.searchsorted(bins, edges[1:-1], side="right") - 1     # last bin at or below each centre
    peak = fb.argmax(axis=1)
    assert ((peak == below) | (peak == below + 1)).all()             # a bin next to the centre
    inside = (bins >= edges[1]) & (bins <= edges[-2])
    np.testing.assert_allclose(fb.sum(axis=0)[inside], 1.0, atol=1e-12)
    assert (fb.sum(axis=1) > 0).all()       # every filter covers at least one bin
    fb2 = mel_filterbank(20, 512, SR, fmin=300, fmax=4000)
    assert (fb2[:, bins < 300] == 0).all() and (fb2[:, bins > 4000] == 0).all()


@pytest.mark.parametrize("freq", [440.0, 1000.0, 3150.0, 6000.0])
def test_pure_tone_peaks_in_its_filter(freq):
    t = np.arange(SR) / SR
    feat = log_mel(np.sin(2 * np.pi * freq * t), preemphasis=0.0)
    edges = mel_edges(40, SR)
    expected = int(np.abs(edges[1:-1] - freq).argmin())
    assert (feat.argmax(axis=1) == expected).all()


def test_mfcc_is_orthonormal_dct_of_log_mel():
    x = noise(0.2, seed=2)
    ref = dct(log_mel(x).astype(np.float64), type=2, norm="ortho", axis=-1)[:, :13]
    out = mfcc(x, n_ceps=13)
    assert out.shape == (log_mel(x).shape[0], 13) and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)


def test_deltas_of_ramp():
    frames, slope = 30, np.array([0.5, -2.0, 3.0])
    feat = np.arange(frames)[:, None] * slope[None] + 1.0
    out = deltas(feat, order=2, window=2)
    assert out.shape == (frames, 9)
    np.testing.assert_array_equal(out[:, :3], feat)
    np.testing.assert_allclose(out[2:-2, 3:6], np.broadcast_to(slope, (frames - 4, 3)))
    np.testing.assert_allclose(out[4:-4, 6:9], 0.0, atol=1e-12)
    # edge padding by repetition: first frame's delta = (2*(c2 - c0) + (c1 - c0)) / 10
    np.testing.assert_allclose(out[0, 3:6], (2 * 2 * slope + slope) / 10)
    assert deltas(feat.astype(np.float32)).dtype == np.float32
    assert deltas(feat, order=0).shape == (frames, 3)


def test_normalizer_matches_concatenation():
    rng = np.random.default_rng(3)
    parts = [rng.normal(loc=5.0, scale=s, size=(n, 4)) for n, s in [(7, 1.0), (1, 2.0), (50, 0.3), (13, 4.0)]]
    norm = Normalizer()
    for p in parts:
        norm.update(p)
    norm.update(np.zeros((0, 4)))
    allf = np.concatenate(parts)
    np.testing.assert_allclose(norm.mean, allf.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(norm.std, allf.std(axis=0), rtol=1e-12)
    restored = Normalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
    np.testing.assert_allclose(restored.mean, norm.mean)
    np.testing.assert_allclose(restored.std, norm.std)
    out = restored.apply(allf.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-5)
    with pytest.raises(ValueError):
        norm.update(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        Normalizer().mean


# ---------------------------------------------------------------- an independent filterbank
def _htk_filterbank_by_hand(n_mels, n_fft, sample_rate, fmin=0.0, fmax=None):
    """The HTK triangular mel filterbank written out from its definition, one filter and one FFT bin at a
    time, sharing nothing with lstm_ms.core.features (not mel_edges, not triangles).

    HTK mel scale, as HTK writes it: ``Mel(f) = 1127 ln(1 + f / 700)`` (= 2595 log10(1 + f / 700) up to the
    constant, which cancels: edges equally spaced on any multiple of the scale are the same frequencies).
    Filter m (0-based) rises linearly from edge m to a peak of 1 at edge m + 1 and falls to 0 at edge m + 2;
    the n_mels + 2 edges are equally spaced in mel from fmin to fmax. Bin k sits at k * sample_rate / n_fft Hz.
    """
    import math

    fmax = sample_rate / 2.0 if fmax is None else fmax
    mel_lo, mel_hi = 1127.0 * math.log(1.0 + fmin / 700.0), 1127.0 * math.log(1.0 + fmax / 700.0)
    edges = [700.0 * (math.exp((mel_lo + (mel_hi - mel_lo) * i / (n_mels + 1)) / 1127.0) - 1.0)
             for i in range(n_mels + 2)]
    fb = np.zeros((n_mels, n_fft // 2 + 1))
    for m in range(n_mels):
        lo, centre, hi = edges[m], edges[m + 1], edges[m + 2]
        for k in range(n_fft // 2 + 1):
            f = k * sample_rate / n_fft
            if lo < f <= centre:
                fb[m, k] = (f - lo) / (centre - lo)
            elif centre < f < hi:
                fb[m, k] = (hi - f) / (hi - centre)
    return fb


def _log_mel_by_hand(x, fb, sample_rate=16000, win_ms=25.0, hop_ms=10.0, n_fft=512, preemphasis=0.97):
    """Log-mel energies as the module documents them, computed here: pre-emphasis over the whole signal,
    un-centred frames of ``win`` samples every ``hop``, the symmetric Hamming window
    ``0.54 - 0.46 cos(2 pi n / (win - 1))``, |rfft(n_fft)|^2, the filterbank, natural log floored at 1e-10."""
    win, hop = round(sample_rate * win_ms / 1000), round(sample_rate * hop_ms / 1000)
    x = np.asarray(x, np.float64)
    y = np.empty_like(x)
    y[0] = x[0]
    y[1:] = x[1:] - preemphasis * x[:-1]
    window = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(win) / (win - 1))
    rows = []
    for start in range(0, len(y) - win + 1, hop):
        frame = np.zeros(n_fft)
        frame[:win] = y[start:start + win] * window
        spectrum = np.fft.fft(frame)[:n_fft // 2 + 1]
        rows.append(np.abs(spectrum) ** 2)
    return np.log(np.maximum(np.array(rows) @ fb.T, 1e-10))


@pytest.mark.parametrize("n_mels,n_fft,sample_rate,fmin,fmax", [
    (40, 512, 16000, 0.0, None),      # the ctc task's front end (TIMIT)
    (23, 512, 16000, 64.0, 7600.0),
    (20, 400, 8000, 300.0, 3400.0),   # an n_fft that is not a power of two, telephone band
    (80, 1024, 16000, 0.0, 8000.0),   # narrow low filters of two to four bins
])
def test_filterbank_matches_one_written_from_the_htk_formula(n_mels, n_fft, sample_rate, fmin, fmax):
    ours = mel_filterbank(n_mels, n_fft, sample_rate, fmin, fmax)
    ref = _htk_filterbank_by_hand(n_mels, n_fft, sample_rate, fmin, fmax)
    assert ours.shape == ref.shape == (n_mels, n_fft // 2 + 1)
    assert (ref.sum(axis=1) > 0).all()  # every filter covers a bin, so the comparison covers every filter
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


def test_log_mel_matches_one_computed_from_the_htk_formula():
    x = noise(0.4, seed=11) * 0.3
    ref = _log_mel_by_hand(x, _htk_filterbank_by_hand(40, 512, SR))
    ours = log_mel(x, SR, n_mels=40)
    assert ours.shape == ref.shape == (1 + (x.size - 400) // 160, 40) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)
