"""DeepSpeech2 features (spectrogram, per-utterance normalisation, SpecAugment) against independent computations."""
import numpy as np
import pytest
from scipy import signal as sps

from lstm_ms.core.features import normalize_utterance, output_frames, spec_augment, spectrogram

SR = 16000


def noise(seconds, seed=0):
    return np.random.default_rng(seed).normal(size=int(SR * seconds)).astype(np.float32)


def scipy_spectrogram(x, win=320, hop=160):
    """log1p |STFT| via scipy: symmetric Hamming, zero padding of win // 2 at both ends (centred frames)."""
    window = sps.get_window("hamming", win, fftbins=False)
    _, _, z = sps.stft(np.asarray(x, np.float64), fs=SR, window=window, nperseg=win, noverlap=win - hop, nfft=win,
                       boundary="zeros", padded=False, detrend=False, return_onesided=True, scaling="spectrum")
    return np.log1p(np.abs(z) * window.sum()).T      # undo scipy's 1 / sum(window) scaling


@pytest.mark.parametrize("seconds", [0.3, 1.0137])
def test_spectrogram_matches_scipy_stft(seconds):
    x = noise(seconds, seed=1)
    ours = spectrogram(x, SR)
    ref = scipy_spectrogram(x)
    assert ours.dtype == np.float32
    assert ours.shape == ref.shape == (1 + x.size // 160, 161)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)


def test_window_is_symmetric_hamming_and_magnitude():
    # an impulse at a frame centre: |rfft| of the frame is the window value there, flat over frequency
    x = np.zeros(1600)
    x[800] = 1.0
    feat = spectrogram(x, SR)
    t = 800 // 160                                  # frame t is centred on sample t * hop
    np.testing.assert_allclose(feat[t], np.log1p(np.hamming(320)[160]), rtol=1e-6)
    np.testing.assert_allclose(feat[t + 1], np.log1p(np.hamming(320)[0]), rtol=1e-6)   # at offset 0 of frame t + 1
    assert (feat[[t - 1, t + 2]] == 0).all()       # frame t - 1 ends just before the impulse


@pytest.mark.parametrize("n", [0, 1, 159, 160, 161, 319, 320, 321, 479, 480, 8000, 12345, 16000])
def test_frame_count(n):
    x = np.random.default_rng(n).normal(size=n)
    feat = spectrogram(x, SR)
    assert feat.shape == (1 + n // 160, 161) and feat.shape[0] == output_frames(n)
    assert np.isfinite(feat).all()


def test_output_frames_vectorised_and_other_sizes():
    n = np.arange(0, 5000, 7)
    np.testing.assert_array_equal(output_frames(n), 1 + n // 160)
    assert isinstance(output_frames(16000), int)
    # 8 kHz, 25 ms / 10 ms: win 200, hop 80, 101 bins
    x = noise(0.5)[:4000]
    feat = spectrogram(x, 8000, win_ms=25.0)
    assert feat.shape == (output_frames(4000, 8000, win_ms=25.0), 101) == (51, 101)
    # an odd window (15 samples at 1 kHz): frames still centred on t * hop, count from output_frames
    for n in (0, 1, 9, 10, 11, 57):
        assert spectrogram(np.ones(n), 1000, win_ms=15.0, hop_ms=10.0).shape[0] == output_frames(n, 1000, 15.0)
    with pytest.raises(ValueError):
        output_frames(-1)
    with pytest.raises(ValueError):
        spectrogram(np.zeros((2, 100)))


def test_normalize_utterance():
    feat = spectrogram(noise(0.7, seed=3), SR) * 3 + 5
    out = normalize_utterance(feat)
    assert out.dtype == np.float32 and out.shape == feat.shape
    assert abs(float(out.astype(np.float64).mean())) < 1e-6
    assert abs(float(out.astype(np.float64).std()) - 1.0) < 1e-5
    # one scalar mean / std: per-bin means are not all zero, the transform is affine with one slope
    assert np.abs(out.mean(axis=0)).max() > 1e-3
    slope = np.polyfit(feat.ravel().astype(np.float64), out.ravel().astype(np.float64), 1)[0]
    np.testing.assert_allclose(slope, 1 / feat.astype(np.float64).std(), rtol=1e-5)
    # a constant input maps to zeros (eps keeps it finite)
    np.testing.assert_array_equal(normalize_utterance(np.full((4, 3), 2.0)), 0)


def _masked(out):
    """(masked bins, masked frames) of a spec_augment output whose input has no zeros."""
    zero = out == 0
    bins = np.flatnonzero(zero.all(axis=0))
    frames = np.flatnonzero(zero.all(axis=1))
    return bins, frames


def _runs(idx):
    """Lengths of runs of consecutive integers in a sorted index array."""
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1)
    return np.diff(np.concatenate([[-1], breaks, [idx.size - 1]])).tolist()


def test_spec_augment_masks_only_zero_and_reproducible():
    feat = normalize_utterance(spectrogram(noise(2.0, seed=4), SR)) + 10.0   # no zeros in the input
    before = feat.copy()
    for seed in range(20):
        out = spec_augment(feat, np.random.default_rng(seed))
        np.testing.assert_array_equal(feat, before)                       # input untouched
        assert out.shape == feat.shape and out.dtype == feat.dtype and out is not feat
        changed = out != feat
        assert (out[changed] == 0).all()                                  # masks only write zeros
        bins, frames = _masked(out)
        # every zero is in a fully masked bin or frame
        zero = out == 0
        expect = np.zeros_like(zero)
        expect[:, bins] = True
        expect[frames, :] = True
        np.testing.assert_array_equal(zero, expect)
        # at most 2 bands of <= 15 bins, 2 spans of <= max(1, int(0.05 * 201)) = 10 frames
        assert bins.size <= 30 and all(r <= 30 for r in _runs(bins)) and len(_runs(bins)) <= 2
        assert frames.size <= 20 and len(_runs(frames)) <= 2
        np.testing.assert_array_equal(out, spec_augment(feat, np.random.default_rng(seed)))
    outs = [spec_augment(feat, np.random.default_rng(s)) for s in range(5)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])


def test_spec_augment_widths_one_mask_each():
    feat = np.ones((300, 161), np.float32)
    for seed in range(50):
        out = spec_augment(feat, np.random.default_rng(seed), freq_masks=1, freq_width=7, time_masks=1,
                           time_width=0.04)
        bins, frames = _masked(out)
        assert bins.size <= 7 and _runs(bins) in ([], [bins.size])
        assert frames.size <= 12 and _runs(frames) in ([], [frames.size])   # int(0.04 * 300) = 12
    # no masks leave the features as they are
    np.testing.assert_array_equal(spec_augment(feat, np.random.default_rng(0), 0, 15, 0, 0.05), feat)
    tiny = np.ones((3, 4), np.float32)
    out = spec_augment(tiny, np.random.default_rng(1), freq_masks=3, freq_width=10, time_masks=3, time_width=0.5)
    assert out.shape == (3, 4) and set(np.unique(out)) <= {0.0, 1.0}
    with pytest.raises(ValueError):
        spec_augment(np.ones(5), np.random.default_rng(0))
