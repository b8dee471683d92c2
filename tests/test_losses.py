import numpy as np
import pytest

from attngan_tf import losses
from attngan_tf.config import LossConfig

CFG = LossConfig()


def _np_ce(scores, axis):
    scores = scores - scores.max(axis=axis, keepdims=True)
    log_p = scores - np.log(np.exp(scores).sum(axis=axis, keepdims=True))
    return -np.mean(np.diagonal(log_p))


def test_bce_with_logits_equals_bce_on_sigmoid():
    logits = np.array([-3.0, -0.2, 0.0, 1.5], np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    assert float(losses.bce_with_logits(logits, 1.0)) == pytest.approx(-np.mean(np.log(p)), 1e-6)
    assert float(losses.bce_with_logits(logits, 0.0)) == pytest.approx(
        -np.mean(np.log(1 - p)), 1e-6)


def test_sentence_loss_matches_definition_and_class_masking():
    rng = np.random.default_rng(0)
    code = rng.normal(size=(4, 8)).astype(np.float32)
    sent = rng.normal(size=(4, 8)).astype(np.float32)
    cos = (code @ sent.T) / np.outer(np.linalg.norm(code, axis=1), np.linalg.norm(sent, axis=1))
    scores = cos * CFG.gamma3
    l0, l1 = (float(x) for x in losses.sentence_loss(code, sent, None, CFG))
    assert l0 == pytest.approx(_np_ce(scores, 1), rel=1e-5)
    assert l1 == pytest.approx(_np_ce(scores, 0), rel=1e-5)
    # Samples 0 and 2 share a class: their cross pairs leave the softmax.
    class_ids = np.array([7, 3, 7, 1])
    masked = scores.copy()
    masked[0, 2] = masked[2, 0] = -np.inf
    m0, m1 = (float(x) for x in losses.sentence_loss(code, sent, class_ids, CFG))
    assert m0 == pytest.approx(_np_ce(masked, 1), rel=1e-5)
    assert m1 == pytest.approx(_np_ce(masked, 0), rel=1e-5)
    assert m0 != pytest.approx(l0, rel=1e-3)


def _words_loss_loop(region, words, lengths, gamma1, gamma2, gamma3):
    """The paper's word loss computed caption by caption (float64)."""
    batch = region.shape[0]
    regions = region.reshape(batch, -1, region.shape[-1]).astype(np.float64)
    sim = np.zeros((batch, batch))
    for i in range(batch):
        w = words[i, :lengths[i]].astype(np.float64)  # [L, D]
        for j in range(batch):
            s = regions[j] @ w.T  # [R, L]
            s = np.exp(s - s.max(1, keepdims=True))
            s /= s.sum(1, keepdims=True)  # softmax over words
            a = gamma1 * s.T  # [L, R]
            a = np.exp(a - a.max(1, keepdims=True))
            a /= a.sum(1, keepdims=True)  # softmax over regions
            ctx = a @ regions[j]  # [L, D]
            cos = (ctx * w).sum(1) / np.maximum(
                np.linalg.norm(ctx, axis=1) * np.linalg.norm(w, axis=1), 1e-8)
            sim[j, i] = np.log(np.exp(gamma2 * cos).sum())
    return sim * gamma3


def test_words_loss_matches_per_caption_definition():
    rng = np.random.default_rng(1)
    region = rng.normal(size=(3, 4, 4, 6)).astype(np.float32)
    words = rng.normal(size=(3, 5, 6)).astype(np.float32)
    lengths = np.array([5, 2, 3])
    mask = np.arange(5)[None] < lengths[:, None]
    words[~mask] = 0
    sim = _words_loss_loop(region, words, lengths, CFG.gamma1, CFG.gamma2, CFG.gamma3)
    l0, l1, att = losses.words_loss(region, words, mask, None, CFG)
    assert float(l0) == pytest.approx(_np_ce(sim, 1), rel=1e-4)
    assert float(l1) == pytest.approx(_np_ce(sim, 0), rel=1e-4)
    att = np.asarray(att)
    assert att.shape == (3, 4, 4, 5)
    np.testing.assert_allclose(att.sum(axis=(1, 2))[mask], 1.0, atol=1e-5)
    assert np.all(att[~mask[:, None, None, :].repeat(4, 1).repeat(4, 2)] == 0)


def test_words_loss_ignores_padding_length():
    rng = np.random.default_rng(2)
    region = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
    words = rng.normal(size=(2, 3, 4)).astype(np.float32)
    mask = np.array([[True, True, True], [True, False, False]])
    words[~mask] = 0
    a = losses.words_loss(region, words, mask)
    longer = np.concatenate([words, np.zeros((2, 4, 4), np.float32)], axis=1)
    b = losses.words_loss(region, longer, np.pad(mask, ((0, 0), (0, 4))))
    assert float(a[0]) == pytest.approx(float(b[0]), rel=1e-6)
    assert float(a[1]) == pytest.approx(float(b[1]), rel=1e-6)


def test_kl_loss_is_a_mean_and_zero_at_standard_normal():
    assert float(losses.kl_loss(np.zeros((2, 3)), np.zeros((2, 3)))) == pytest.approx(0.0)
    mu = np.array([[1.0, 0.0]], np.float32)
    assert float(losses.kl_loss(mu, np.zeros_like(mu))) == pytest.approx(0.25)


def test_discriminator_loss_combines_terms_as_reference():
    real = {"uncond_logits": np.array([2.0, 1.0]), "cond_logits": np.array([0.5, 3.0])}
    fake = {"uncond_logits": np.array([-1.0, 0.0]), "cond_logits": np.array([0.2, -2.0])}
    wrong = np.array([0.7])
    b = lambda x, y: float(losses.bce_with_logits(np.asarray(x, np.float32), y))  # noqa: E731
    expected = ((b(real["uncond_logits"], 1) + b(real["cond_logits"], 1)) / 2
                + (b(fake["uncond_logits"], 0) + b(fake["cond_logits"], 0) + b(wrong, 0)) / 3)
    assert float(losses.discriminator_loss(real, fake, wrong)) == pytest.approx(expected, 1e-6)


def test_generator_loss_sums_stages_and_weighted_damsm():
    rng = np.random.default_rng(3)
    outs = [{"uncond_logits": rng.normal(size=2), "cond_logits": rng.normal(size=2)}
            for _ in range(3)]
    region = rng.normal(size=(2, 3, 3, 4)).astype(np.float32)
    code = rng.normal(size=(2, 4)).astype(np.float32)
    words = rng.normal(size=(2, 3, 4)).astype(np.float32)
    sent = rng.normal(size=(2, 4)).astype(np.float32)
    mask = np.ones((2, 3), bool)
    cfg = LossConfig(damsm_lambda=50.0)
    out = losses.generator_loss(outs, region, code, words, sent, mask, None, cfg)
    w0, w1, _ = losses.words_loss(region, words, mask, None, cfg)
    s0, s1 = losses.sentence_loss(code, sent, None, cfg)
    adv = sum(float(losses.bce_with_logits(o["uncond_logits"], 1.0))
              + float(losses.bce_with_logits(o["cond_logits"], 1.0)) for o in outs)
    assert float(out["adversarial"]) == pytest.approx(adv, rel=1e-5)
    assert float(out["total"]) == pytest.approx(
        adv + 50.0 * float(w0 + w1 + s0 + s1), rel=1e-5)
