import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.models import AttnGenerator, ConditioningAugmentation

CFG = get_preset("tiny").generator


def gen_inputs(cfg, batch=2, words=12, lengths=None, seed=0):
    rng = np.random.default_rng(seed)
    lengths = np.asarray(lengths if lengths is not None else [words] + [3] * (batch - 1))
    mask = np.arange(words)[None, :] < lengths[:, None]
    words_emb = rng.normal(size=(batch, words, cfg.embedding_dim)).astype(np.float32)
    words_emb[~mask] = 0.0
    return dict(
        noise=rng.normal(size=(batch, cfg.z_dim)).astype(np.float32),
        sent_emb=rng.normal(size=(batch, cfg.embedding_dim)).astype(np.float32),
        words_emb=words_emb,
        word_mask=mask,
        ca_noise=rng.normal(size=(batch, cfg.condition_dim)).astype(np.float32),
    )


def check_generator_output(out, cfg, batch, words, mask):
    assert len(out["images"]) == cfg.branch_num
    for img, size in zip(out["images"], cfg.image_sizes):
        img = np.asarray(img)
        assert img.shape == (batch, size, size, 3)
        assert img.min() >= -1.0 and img.max() <= 1.0
    assert len(out["attention_maps"]) == cfg.branch_num - 1
    for att, size in zip(out["attention_maps"], cfg.image_sizes):
        att = np.asarray(att)
        assert att.shape == (batch, size, size, words)
        np.testing.assert_allclose(att.sum(-1), 1.0, atol=1e-4)
        for b in range(batch):
            assert np.all(att[b][..., ~mask[b]] == 0.0)
    for key in ("c_code", "mu", "logvar"):
        assert out[key].shape == (batch, cfg.condition_dim)


def test_birds_generator_shapes(birds_networks):
    cfg = get_preset("birds").generator
    inputs = gen_inputs(cfg, words=18)
    out = birds_networks["generator"](**inputs, training=False)
    check_generator_output(out, cfg, 2, 18, inputs["word_mask"])


def test_coco_generator_shapes():
    cfg = get_preset("coco").generator
    gen = AttnGenerator(cfg)
    inputs = gen_inputs(cfg, words=12)
    out = gen(**inputs, training=False)
    check_generator_output(out, cfg, 2, 12, inputs["word_mask"])


@pytest.fixture(scope="module")
def tiny_generator():
    gen = AttnGenerator(CFG, seed=3)
    gen.build()
    return gen


def test_tiny_generator_outputs_and_train_mode(tiny_generator):
    inputs = gen_inputs(CFG, batch=3, lengths=[12, 6, 1])
    out = tiny_generator(**inputs, training=False)
    check_generator_output(out, CFG, 3, 12, inputs["word_mask"])
    train = tiny_generator(**inputs, training=True)
    assert np.abs(np.asarray(train["images"][0]) - np.asarray(out["images"][0])).max() > 1e-3


def test_ca_noise_makes_output_deterministic(tiny_generator):
    inputs = gen_inputs(CFG)
    a = tiny_generator(**inputs)
    b = tiny_generator(**inputs)
    np.testing.assert_array_equal(np.asarray(a["images"][-1]), np.asarray(b["images"][-1]))
    inputs.pop("ca_noise")
    c = tiny_generator(**inputs)
    d = tiny_generator(**inputs)
    # Without given noise, CA samples fresh noise every call.
    assert np.abs(np.asarray(c["c_code"]) - np.asarray(d["c_code"])).max() > 1e-4
    np.testing.assert_array_equal(np.asarray(c["mu"]), np.asarray(d["mu"]))


def test_conditioning_augmentation_formula():
    ca = ConditioningAugmentation(CFG)
    sent = np.random.default_rng(0).normal(size=(4, CFG.embedding_dim)).astype(np.float32)
    eps = np.random.default_rng(1).normal(size=(4, CFG.condition_dim)).astype(np.float32)
    c_code, mu, logvar = (np.asarray(t) for t in ca(sent, eps))
    np.testing.assert_allclose(c_code, eps * np.exp(0.5 * logvar) + mu, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, bad, match", [
    ("noise", np.zeros((2, 16, 1), np.float32), "noise"),
    ("noise", np.zeros((2, 15), np.float32), "noise"),
    ("sent_emb", np.zeros((3, 32), np.float32), "batch sizes differ"),
    ("words_emb", np.zeros((2, 12), np.float32), "words_emb"),
    ("word_mask", np.ones((2, 12, 1), bool), "word_mask"),
    ("ca_noise", np.zeros((2, 3), np.float32), "ca_noise"),
])
def test_bad_inputs_raise_value_error_naming_argument(tiny_generator, name, bad, match):
    inputs = gen_inputs(CFG)
    inputs[name] = bad
    with pytest.raises(ValueError, match=match):
        tiny_generator(**inputs)


def test_training_takes_the_fused_paths(monkeypatch):
    """Every up-block, residual block and the initial stage use the fast training forms;
    the up-blocks their transposed form in inference too, which equals the plain one."""
    from attngan_tf.models import blocks
    from attngan_tf.ops import batch_norm as batch_norm_ops
    from attngan_tf.ops.upsampled_conv import plain_upsampling

    calls = {"upsampled_conv": 0, "batch_norm_act": 0, "_fused_batch_norm_act": 0}

    def spy(module, name):
        original = getattr(module, name)

        def wrapped(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)

    spy(blocks, "upsampled_conv")
    # Called by the residual blocks (through blocks) and by batch_norm_glu (in ops).
    spy(blocks, "batch_norm_act")
    spy(batch_norm_ops, "batch_norm_act")
    spy(batch_norm_ops, "_fused_batch_norm_act")
    cfg = get_preset("tiny").generator
    model = AttnGenerator(cfg, seed=0)
    model.build()
    inputs = gen_inputs(cfg)
    up_blocks = 4 + (cfg.branch_num - 1)
    # Inference: the transposed up-convolution too, but BatchNorm from its moving
    # statistics (the layer); the plain up-blocks inside plain_upsampling (TFLite).
    inferred = model(**inputs, training=False)["images"]
    assert calls["upsampled_conv"] == up_blocks
    assert calls["_fused_batch_norm_act"] == 0
    with plain_upsampling():
        plain = model(**inputs, training=False)["images"]
    assert calls["upsampled_conv"] == up_blocks
    for a, b in zip(inferred, plain):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    calls.update(upsampled_conv=0, batch_norm_act=0)
    model(**inputs, training=True)
    assert calls["upsampled_conv"] == up_blocks
    # One per up-block, two per residual block, one for the initial stage's fc.
    assert calls["batch_norm_act"] == up_blocks + 2 * (cfg.branch_num - 1) * cfg.r_num + 1
    # ... each as the fused function, not the layer fallback.
    assert calls["_fused_batch_norm_act"] == calls["batch_norm_act"]


def test_initial_size_32_halves_every_stage():
    cfg = CFG.replace(initial_size=32)
    assert cfg.image_sizes == (32, 64, 128)
    gen = AttnGenerator(cfg, seed=3)
    inputs = gen_inputs(cfg, words=12)
    check_generator_output(gen(**inputs, training=False), cfg, 2, 12, inputs["word_mask"])
    # One up-block fewer, starting from 8·gf_dim channels (16·gf_dim at 64 px).
    assert len(gen.init_stage.upsample) == 3
    assert gen.init_stage.upsample[0].filters == 4 * cfg.gf_dim
    reference = AttnGenerator(CFG, seed=3)
    reference.build()
    assert gen.count_params() < reference.count_params()
    with pytest.raises(ValueError, match="initial_size"):
        CFG.replace(initial_size=48)
