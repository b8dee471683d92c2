import numpy as np

from attngan_tf.config import get_preset
from attngan_tf.models import WordAttention

CFG = get_preset("tiny").generator


def _inputs(batch=3, size=8, words=6, lengths=(6, 4, 1), seed=0):
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(batch, size, size, CFG.gf_dim)).astype(np.float32)
    words_emb = rng.normal(size=(batch, words, CFG.embedding_dim)).astype(np.float32)
    mask = np.arange(words)[None, :] < np.asarray(lengths)[:, None]
    words_emb[~mask] = 0.0
    return h, words_emb, mask


def test_weights_sum_to_one_over_real_words_and_are_zero_on_padding():
    layer = WordAttention(CFG)
    h, words, mask = _inputs()
    context, attn = (np.asarray(t) for t in layer(h, words, mask))
    assert context.shape == h.shape
    assert attn.shape == (3, 8, 8, 6)
    np.testing.assert_allclose(attn.sum(-1), 1.0, atol=1e-5)
    for b in range(3):
        assert np.all(attn[b][..., ~mask[b]] == 0.0)
    # A one-word caption puts all its weight on that word.
    np.testing.assert_allclose(attn[2, ..., 0], 1.0, atol=1e-6)


def test_context_is_weighted_sum_of_projected_words():
    layer = WordAttention(CFG)
    h, words, mask = _inputs(seed=1)
    context, attn = (np.asarray(t) for t in layer(h, words, mask))
    source = words @ np.asarray(layer.word_projection.kernel)  # [B, T, C]
    expected = np.einsum("bhwt,btc->bhwc", attn, source)
    np.testing.assert_allclose(context, expected, atol=1e-5)


def test_reference_quirk_uses_other_samples_masks():
    h, words, mask = _inputs(seed=2)
    fixed = WordAttention(CFG)
    quirk = WordAttention(CFG.replace(reference_mask_quirk=True))
    fixed.build()
    quirk.build()
    quirk.set_weights(fixed.get_weights())
    _, a_fixed = (np.asarray(t) for t in fixed(h, words, mask))
    _, a_quirk = (np.asarray(t) for t in quirk(h, words, mask))
    # Pixel p of sample b uses the mask of sample (b*H*W + p) mod B.
    batch, pixels = 3, 64
    flat = a_quirk.reshape(batch, pixels, -1)
    for b in range(batch):
        for p in (0, 1, 2, 5):
            used = mask[(b * pixels + p) % batch]
            assert np.all(flat[b, p][~used] == 0.0)
    # Sample 0 (no padding) at pixel 0 uses its own mask: identical there.
    np.testing.assert_allclose(a_quirk[0, 0, 0], a_fixed[0, 0, 0], atol=1e-6)
    assert np.abs(a_quirk - a_fixed).max() > 1e-3
