import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.models import Discriminator, build_discriminators

CFG = get_preset("tiny").discriminator


def _check(discs, cfg, batch=2):
    rng = np.random.default_rng(0)
    sent = rng.normal(size=(batch, cfg.embedding_dim)).astype(np.float32)
    for i, disc in enumerate(discs):
        size = 64 * 2**i
        images = rng.uniform(-1, 1, size=(batch, size, size, 3)).astype(np.float32)
        out = disc(images, sent, training=False)
        assert out["h_code"].shape == (batch, 4, 4, 8 * cfg.df_dim)
        assert out["uncond_logits"].shape == (batch,)
        assert out["cond_logits"].shape == (batch,)
        assert "cond_logits" not in disc(images, training=False)
        wrong = disc.cond_head(out["h_code"][:-1], sent[1:])
        assert wrong.shape == (batch - 1,)


def test_birds_discriminator_shapes(birds_networks):
    cfg = get_preset("birds").discriminator
    _check([birds_networks[f"discriminator{i}"] for i in range(3)], cfg)


@pytest.mark.slow
def test_coco_discriminator_shapes():
    cfg = get_preset("coco").discriminator
    _check(build_discriminators(cfg), cfg)


def test_condition_changes_only_conditional_logits():
    disc = Discriminator(CFG, stage=1)
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(2, 128, 128, 3)).astype(np.float32)
    a = disc(images, rng.normal(size=(2, 32)).astype(np.float32))
    b = disc(images, rng.normal(size=(2, 32)).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(a["uncond_logits"]), np.asarray(b["uncond_logits"]))
    assert np.abs(np.asarray(a["cond_logits"]) - np.asarray(b["cond_logits"])).max() > 1e-6


def test_wrong_image_size_and_bad_stage_are_rejected():
    disc = Discriminator(CFG, stage=0)
    with pytest.raises(ValueError, match="images"):
        disc(np.zeros((1, 128, 128, 3), np.float32))
    with pytest.raises(ValueError, match="images"):
        disc(np.zeros((1, 64, 64), np.float32))
    with pytest.raises(ValueError, match="batch sizes differ"):
        disc(np.zeros((2, 64, 64, 3), np.float32), np.zeros((3, 32), np.float32))
    with pytest.raises(ValueError, match="stage"):
        Discriminator(CFG, stage=3)


def _snapshot_stats(disc):
    return [np.asarray(w) for w in disc.non_trainable_weights]


@pytest.mark.parametrize("stage", [0, 2])
def test_two_groups_in_one_batch_equal_two_separate_calls(stage):
    """The training step's real+fake batch: outputs, weight gradients, BN statistics."""
    import tensorflow as tf

    cfg = get_preset("tiny").discriminator
    size, batch = 64 * 2**stage, 3
    rng = np.random.default_rng(stage)
    real = rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32)
    fake = rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32) * 0.5 + 0.3
    sent = rng.normal(size=(batch, cfg.embedding_dim)).astype(np.float32)
    separate = Discriminator(cfg, stage=stage)
    grouped = Discriminator(cfg, stage=stage)
    separate.build()
    grouped.build()
    grouped.set_weights(separate.get_weights())

    def loss(out_real, out_fake):
        return (tf.reduce_sum(out_real["cond_logits"] ** 2) + tf.reduce_sum(out_fake["h_code"])
                + tf.reduce_sum(out_real["uncond_logits"] * out_fake["uncond_logits"]))

    with tf.GradientTape() as tape:
        a, b = separate(real, sent, training=True), separate(fake, sent, training=True)
        loss_a = loss(a, b)
    grads_a = tape.gradient(loss_a, separate.trainable_variables)
    with tf.GradientTape() as tape:
        both = grouped(np.concatenate([real, fake]), np.concatenate([sent, sent]),
                       training=True, groups=2)
        c = {k: v[:batch] for k, v in both.items()}
        d = {k: v[batch:] for k, v in both.items()}
        loss_b = loss(c, d)
    grads_b = tape.gradient(loss_b, grouped.trainable_variables)
    for key in a:
        np.testing.assert_allclose(np.asarray(c[key]), np.asarray(a[key]), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(np.asarray(d[key]), np.asarray(b[key]), atol=1e-4, rtol=1e-4)
    for g_a, g_b in zip(grads_a, grads_b):
        np.testing.assert_allclose(np.asarray(g_b), np.asarray(g_a), atol=1e-3, rtol=1e-3)
    for s_a, s_b in zip(_snapshot_stats(separate), _snapshot_stats(grouped)):
        np.testing.assert_allclose(s_b, s_a, atol=1e-5, rtol=1e-5)
    # One batch of six without groups normalises across real and fake: different.
    joint = grouped(np.concatenate([real, fake]), np.concatenate([sent, sent]), training=True)
    assert np.abs(np.asarray(joint["h_code"][:batch]) - np.asarray(a["h_code"])).max() > 1e-3


@pytest.mark.parametrize("stage", [0, 1, 2])
def test_backward_segments_chain_to_the_full_gradient(stage):
    """Pieces cover every variable once; chained gradients equal one backward pass."""
    import tensorflow as tf

    cfg = get_preset("tiny").discriminator
    size = 64 * 2**stage
    rng = np.random.default_rng(10 + stage)
    images = tf.constant(rng.uniform(-1, 1, (2, size, size, 3)), tf.float32)
    sent = tf.constant(rng.normal(size=(2, cfg.embedding_dim)), tf.float32)
    model = Discriminator(cfg, stage=stage)
    model.build()
    with tf.GradientTape(persistent=True) as tape:
        out = model(images, sent, training=True, small_inputs=True)
        loss = tf.reduce_sum(out["cond_logits"] ** 2) + tf.reduce_sum(out["uncond_logits"])
    segments = model.backward_segments(out)
    # Heads, one piece per block on ≤ 8 px inputs, one for the larger-image blocks.
    small = [k for k in range(len(model.trunk)) if size >> k <= 8]
    assert len(out["small_inputs"]) == len(small) and len(segments) == len(small) + 2
    assert [int(t.shape[1]) for t in out["small_inputs"]] == [8] + [4] * (len(small) - 1)
    ids = [id(v) for piece, _ in segments for v in piece]
    assert sorted(ids) == sorted(id(v) for v in model.trainable_variables)
    full = dict(zip(map(id, model.trainable_variables),
                    tape.gradient(loss, model.trainable_variables)))
    target, upstream = loss, None
    for piece, piece_input in segments:
        grads = tape.gradient(target, piece + ([piece_input] if piece_input is not None else []),
                              output_gradients=upstream)
        if piece_input is not None:
            target, upstream = piece_input, grads.pop()
        for variable, grad in zip(piece, grads):
            np.testing.assert_allclose(grad.numpy(), full[id(variable)].numpy(),
                                       atol=1e-5, rtol=1e-4)
    assert "small_inputs" not in model(images, sent, training=True)


def test_initial_size_32_discriminators():
    cfg = CFG.replace(initial_size=32)
    discs = build_discriminators(cfg)
    assert [d.image_size for d in discs] == [32, 64, 128]
    rng = np.random.default_rng(0)
    sent = rng.normal(size=(2, cfg.embedding_dim)).astype(np.float32)
    for disc in discs:
        size = disc.image_size
        out = disc(rng.uniform(-1, 1, (2, size, size, 3)).astype(np.float32), sent)
        assert out["h_code"].shape == (2, 4, 4, 8 * cfg.df_dim)
        assert out["cond_logits"].shape == (2,)
    # Three halvings at 32 px (2·ndf, 4·ndf, 8·ndf), the first without BatchNorm.
    assert [b.filters for b in discs[0].trunk] == [2 * cfg.df_dim, 4 * cfg.df_dim,
                                                   8 * cfg.df_dim]
    with pytest.raises(ValueError, match="takes \\[batch, 32, 32, 3\\]"):
        discs[0](np.zeros((1, 64, 64, 3), np.float32))
