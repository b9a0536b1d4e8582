"""The CRF against brute-force enumeration of every tag path on tiny random cases with padding."""
import itertools

import numpy as np
import pytest


def path_score(em, path, trans, start, end):
    s = start[path[0]] + end[path[-1]] + sum(em[t, k] for t, k in enumerate(path))
    return s + sum(trans[a, b] for a, b in zip(path[:-1], path[1:]))


def brute(em, length, trans, start, end):
    scores = {p: path_score(em[:length], p, trans, start, end)
              for p in itertools.product(range(em.shape[1]), repeat=length)}
    values = np.array(list(scores.values()))
    top = values.max()
    return top + np.log(np.exp(values - top).sum()), max(scores, key=scores.get), scores


@pytest.fixture(scope="module")
def crf_case():
    import mindspore as ms

    from lstm_ms.nn.crf import CRF

    ms.set_context(mode=ms.GRAPH_MODE)
    K, T = 4, 5
    crf = CRF(K)
    rng = np.random.default_rng(0)
    for p in (crf.transitions, crf.start, crf.end):  # not tiny: paths must really differ
        p.set_data(ms.Tensor(rng.normal(scale=1.5, size=p.shape).astype(np.float32)))
    lengths = np.array([5, 3, 1, 4], np.int32)
    em = rng.normal(scale=2.0, size=(len(lengths), T, K)).astype(np.float32)
    tags = rng.integers(0, K, size=(len(lengths), T)).astype(np.int32)
    mask = np.arange(T)[None, :] < lengths[:, None]
    return crf, em, tags, mask, lengths


def params(crf):
    return [p.asnumpy().astype(np.float64) for p in (crf.transitions, crf.start, crf.end)]


def test_log_partition_and_gold_score_equal_brute_force(crf_case):
    import mindspore as ms

    crf, em, tags, mask, lengths = crf_case
    trans, start, end = params(crf)
    log_z = crf.log_partition(ms.Tensor(em), ms.Tensor(mask)).asnumpy()
    gold = crf.gold_score(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    nll = crf(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    want_z, want_gold = [], []
    for b, n in enumerate(lengths):
        z, _, scores = brute(em[b].astype(np.float64), n, trans, start, end)
        want_z.append(z)
        want_gold.append(scores[tuple(tags[b, :n])])
    np.testing.assert_allclose(log_z, want_z, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gold, want_gold, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(nll, np.mean(np.array(want_z) - np.array(want_gold)), rtol=1e-5, atol=1e-4)


def test_viterbi_equals_brute_force_argmax(crf_case):
    from lstm_ms.core.viterbi import viterbi

    crf, em, _, _, lengths = crf_case
    trans, start, end = params(crf)
    best = viterbi(em, lengths, trans, start, end)
    for b, n in enumerate(lengths):
        _, path, _ = brute(em[b].astype(np.float64), n, trans, start, end)
        assert tuple(best[b, :n]) == path
        assert not best[b, n:].any()  # past the length: 0


def test_masked_positions_change_nothing(crf_case):
    import mindspore as ms

    crf, em, tags, mask, _ = crf_case
    em2, tags2 = em.copy(), tags.copy()
    em2[~mask] = 100.0 * np.random.default_rng(1).normal(size=em2[~mask].shape)
    tags2[~mask] = 0
    loss1 = crf(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    loss2 = crf(ms.Tensor(em2), ms.Tensor(tags2), ms.Tensor(mask)).asnumpy()
    np.testing.assert_allclose(loss1, loss2, rtol=1e-6)
    from lstm_ms.core.viterbi import viterbi

    lengths = mask.sum(axis=1)
    d1 = viterbi(em, lengths, *params(crf))
    d2 = viterbi(em2, lengths, *params(crf))
    np.testing.assert_array_equal(d1, d2)


@pytest.mark.parametrize("scale", [60.0, 80.0, 95.0])
def test_scores_up_to_and_past_the_clamp(scale):
    """Transition scores of +-60 (inside), +-80 (at) and +-95 (past the clip): the forward algorithm,
    the gold score and Viterbi all see the same clipped model, so the NLL is exact and finite and the
    decoded path is that model's best path."""
    import mindspore as ms

    from lstm_ms.core.viterbi import TRANSITION_CLAMP, viterbi
    from lstm_ms.nn.crf import CRF

    crf = CRF(3)
    raw = np.array([[0, -1, 1], [-1, 0, 0], [1, 0, -1]], np.float32) * scale
    crf.transitions.set_data(ms.Tensor(raw))
    em = np.array([[[80, -80, 0], [0, 90, -90], [-70, 0, 70], [5, -5, 0]]], np.float32)
    tags = np.array([[0, 1, 2, 2]], np.int32)
    mask = np.ones((1, 4), bool)
    trans, start, end = params(crf)
    clipped = np.clip(trans, -TRANSITION_CLAMP, TRANSITION_CLAMP)
    want_z, want_path, scores = brute(em[0].astype(np.float64), 4, clipped, start, end)
    got_z = crf.log_partition(ms.Tensor(em), ms.Tensor(mask)).asnumpy()
    gold = crf.gold_score(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    nll = crf(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    assert np.isfinite(got_z).all() and np.isfinite(nll)
    np.testing.assert_allclose(got_z, [want_z], rtol=1e-5)
    np.testing.assert_allclose(gold, [scores[(0, 1, 2, 2)]], rtol=1e-5)
    assert nll >= -1e-3  # a negative log-likelihood: gold never scores above log Z
    np.testing.assert_allclose(nll, want_z - scores[(0, 1, 2, 2)], rtol=1e-4, atol=1e-2)
    assert tuple(viterbi(em, np.array([4]), clipped, start, end)[0]) == want_path


def test_large_scores_stay_finite():
    """Probability-space forward algorithm with rescaling: no overflow or underflow."""
    import mindspore as ms

    from lstm_ms.nn.crf import CRF

    crf = CRF(3)
    crf.transitions.set_data(ms.Tensor(np.array([[0, -60, 40], [-60, 0, 0], [40, 0, -60]], np.float32)))
    em = np.array([[[80, -80, 0], [0, 90, -90], [-70, 0, 70]]], np.float32)
    mask = np.ones((1, 3), bool)
    trans, start, end = params(crf)
    want, _, _ = brute(em[0].astype(np.float64), 3, trans, start, end)
    got = crf.log_partition(ms.Tensor(em), ms.Tensor(mask)).asnumpy()
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, [want], rtol=1e-5)


def test_torch_twin_crf_gives_the_same_loss(crf_case):
    """The benchmark's PyTorch CRF (``TorchCRF``) computes our CRF's mean negative log-likelihood."""
    import mindspore as ms
    import torch

    from lstm_ms.reference.torch_nets import TorchCRF

    crf, em, tags, mask, _ = crf_case
    twin = TorchCRF(em.shape[2])
    with torch.no_grad():
        for name in ("transitions", "start", "end"):
            getattr(twin, name).copy_(torch.from_numpy(getattr(crf, name).asnumpy()))
    ours = crf(ms.Tensor(em), ms.Tensor(tags), ms.Tensor(mask)).asnumpy()
    theirs = twin(torch.from_numpy(em), torch.from_numpy(tags).long(), torch.from_numpy(mask)).detach().numpy()
    assert np.isfinite(ours) and abs(float(ours) - float(theirs)) < 1e-4 * max(1.0, abs(float(ours)))
