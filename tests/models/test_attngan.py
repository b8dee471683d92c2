"""AttnGAN model: train_step order and effects, EMA, compile options, save/load."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.config import ImageEncoderConfig, get_preset
from attngan_tf.models import AttnGAN, load_attngan, save_attngan
from attngan_tf.text import Vocabulary
from tests.helpers import make_captions


def small_config(branch_num: int = 2):
    """The tiny preset with a small-CNN image encoder (64 px) and fewer stages."""
    cfg = get_preset("tiny")
    return cfg.replace(
        image_encoder=ImageEncoderConfig(embedding_dim=32, image_size=64, trunk="small_cnn",
                                         trunk_width=8),
        generator=cfg.generator.replace(branch_num=branch_num),
        discriminator=cfg.discriminator.replace(branch_num=branch_num))


def make_batch(config, size: int = 4, seed: int = 0, with_noise: bool = True):
    rng = np.random.default_rng(seed)
    words = config.text.words_num
    ids, lengths = make_captions(rng.integers(2, words + 1, size), words,
                                 config.text.vocab_size, seed)
    batch = {"images": tuple(tf.constant(rng.uniform(-1, 1, (size, s, s, 3)), tf.float32)
                             for s in config.generator.image_sizes),
             "captions": tf.constant(ids, tf.int32), "lengths": tf.constant(lengths, tf.int32),
             "class_ids": tf.constant(np.arange(1, size + 1), tf.int32)}
    if with_noise:
        batch["noise"] = tf.constant(rng.standard_normal((size, config.generator.z_dim)),
                                     tf.float32)
        batch["ca_noise"] = tf.constant(
            rng.standard_normal((size, config.generator.condition_dim)), tf.float32)
    return batch


def snapshot(layer):
    return [np.array(v.numpy()) for v in layer.weights]


def changed(before, layer):
    return any(not np.array_equal(a, b.numpy()) for a, b in zip(before, layer.weights))


def test_train_step_updates_g_and_every_d_but_not_the_encoders():
    cfg = small_config(2)
    model = AttnGAN(cfg, seed=3)
    model.compile()
    text, image = snapshot(model.text_encoder), snapshot(model.image_encoder)
    gen = snapshot(model.generator)
    ds = [snapshot(d) for d in model.discriminators]
    logs = model.train_step(make_batch(cfg))
    assert not changed(text, model.text_encoder) and not changed(image, model.image_encoder)
    assert changed(gen, model.generator)
    assert all(changed(before, d) for before, d in zip(ds, model.discriminators))
    expected = {"d_loss0", "d_loss1", "g_loss", "g_adversarial", "g_loss0", "g_loss1", "kl_loss",
                "words_loss", "sent_loss"}
    assert set(logs) == expected
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert int(model.g_optimizer.iterations) == 1
    assert all(int(o.iterations) == 1 for o in model.d_optimizers)


@pytest.mark.slow
def test_discriminator_update_by_pieces_equals_one_update(monkeypatch):
    """Two compiled steps: same weights and Adam slots as one apply of the whole gradient."""
    from attngan_tf.models import attngan as attngan_module

    cfg = small_config(3)
    rng = np.random.default_rng(7)
    batches = [(tf.constant(rng.uniform(-1, 1, (3, 256, 256, 3)), tf.float32),
                tf.constant(rng.uniform(-1, 1, (3, 256, 256, 3)), tf.float32),
                tf.constant(rng.normal(size=(3, cfg.text.embedding_dim)), tf.float32))
               for _ in range(2)]
    results = []
    for by_piece in (True, False):
        monkeypatch.setattr(attngan_module, "_applies_by_piece", lambda *args: by_piece)
        keras.utils.set_random_seed(0)  # same initial weights
        model = AttnGAN(cfg, seed=3)
        model.compile()
        step = tf.function(lambda real, fake, sent: model._discriminator_step(
            2, real, fake, sent, 1, keep=True))
        outs = [step(*batch) for batch in batches]
        losses = [float(loss) for loss, _ in outs]
        grads = [np.asarray(g) for _, gs in outs for g in gs]
        optimizer = model.d_optimizers[2]
        assert int(optimizer.iterations) == 2
        results.append((losses, snapshot(model.discriminators[2]),
                        [np.array(v.numpy()) for v in optimizer.variables], grads))
    (loss_a, weights_a, slots_a, grads_a), (loss_b, weights_b, slots_b, grads_b) = results
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-5)
    # The gradients kept (train_step_with_gradients) are the same either way.
    assert len(grads_a) == len(grads_b) == 2 * len(model.discriminators[2].trainable_variables)
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert len(slots_a) == len(slots_b) > 2
    for a, b in zip(weights_a + slots_a, weights_b + slots_b):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_pieces_only_for_optimizers_that_update_each_variable_alone():
    from attngan_tf.models.attngan import _applies_by_piece
    from attngan_tf.ops.fused_adam import FusedAdam

    assert _applies_by_piece(FusedAdam(), 1)
    assert _applies_by_piece(keras.optimizers.Adam(clipnorm=1.0), 1)
    assert not _applies_by_piece(FusedAdam(), 2)
    assert not _applies_by_piece(keras.optimizers.LossScaleOptimizer(FusedAdam()), 1)
    assert not _applies_by_piece(FusedAdam(use_ema=True), 1)
    assert not _applies_by_piece(FusedAdam(gradient_accumulation_steps=2), 1)
    assert not _applies_by_piece(FusedAdam(global_clipnorm=1.0), 1)


def test_piecewise_update_counts_one_step_with_a_frozen_block():
    cfg = small_config(2)
    model = AttnGAN(cfg, seed=3)
    model.compile()
    discriminator = model.discriminators[1]
    discriminator.trunk[-1].trainable = False  # a piece without trainable variables
    rng = np.random.default_rng(8)
    real, fake = (tf.constant(rng.uniform(-1, 1, (3, 128, 128, 3)), tf.float32)
                  for _ in range(2))
    sent = tf.constant(rng.normal(size=(3, cfg.text.embedding_dim)), tf.float32)
    frozen = snapshot(discriminator.trunk[-1])
    step = tf.function(lambda: model._discriminator_step(1, real, fake, sent, 1))
    step()
    step()
    assert int(model.d_optimizers[1].iterations) == 2
    assert not changed(frozen, discriminator.trunk[-1])


def test_generator_loss_uses_updated_discriminators_and_damsm_terms():
    """g_loss = Σ stage losses + λ·(words + sentence) + KL, with the post-update D's."""
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=3)
    model.compile()
    batch = make_batch(cfg)
    before = snapshot(model.generator)
    logs = model.train_step(batch)
    # Recompute with the discriminator as it is now and the generator as it was.
    after = snapshot(model.generator)
    for v, value in zip(model.generator.weights, before):
        v.assign(value)
    from attngan_tf import losses
    words_emb, sent_emb, mask = model.encode_text(batch["captions"], batch["lengths"])
    out = model.generator(batch["noise"], sent_emb, words_emb, mask, batch["ca_noise"],
                          training=True)
    fake = model.discriminators[0](out["images"][0], sent_emb, training=True)
    region, code = model.image_encoder(out["images"][0], training=False)
    g = losses.generator_loss([fake], region, code, words_emb, sent_emb, mask,
                              batch["class_ids"], cfg.loss)
    kl = losses.kl_loss(out["mu"], out["logvar"])
    np.testing.assert_allclose(float(logs["g_loss"]), float(g["total"] + kl), rtol=1e-4)
    np.testing.assert_allclose(float(logs["words_loss"]), float(g["words_loss0"] + g["words_loss1"]),
                               rtol=1e-4)
    assert float(logs["words_loss"]) > 0 and float(logs["kl_loss"]) > 0
    for v, value in zip(model.generator.weights, after):
        v.assign(value)


def test_ema_tracks_the_generator():
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=3, ema_decay=0.9)
    model.compile()
    for a, b in zip(model.ema_generator.weights, model.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # starts as a copy
    start = {v.path.split("/", 2)[-1]: v.numpy() for v in model.generator.weights}
    model.train_step(make_batch(cfg))
    for avg, v in zip(model.ema_generator.weights, model.generator.weights):
        name = v.path.split("/", 2)[-1]
        if v.trainable:
            np.testing.assert_allclose(avg.numpy(), 0.9 * start[name] + 0.1 * v.numpy(),
                                       rtol=1e-5, atol=1e-7)
        else:
            np.testing.assert_array_equal(avg.numpy(), v.numpy())
    # Sampling uses the average by default.
    batch = make_batch(cfg)
    ema = model(batch)["images"][0].numpy()
    raw = model(batch, use_ema=False)["images"][0].numpy()
    assert not np.allclose(ema, raw)


def test_ema_warmup_schedule_and_its_first_updates():
    from attngan_tf.models.attngan import ema_decay_at

    assert [float(ema_decay_at(t)) for t in (0, 8, 90)] == pytest.approx([0.1, 0.5, 0.91])
    assert float(ema_decay_at(8989.0)) == pytest.approx(0.999)
    assert float(ema_decay_at(20000.0)) == pytest.approx(0.999)
    assert float(ema_decay_at(0.0, 0.05)) == pytest.approx(0.05)
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=3, ema_warmup=True)
    model.compile()
    trainable = [i for i, v in enumerate(model.generator.weights) if v.trainable]
    previous = [model.ema_generator.weights[i].numpy() for i in trainable]
    for step, decay in enumerate((0.1, 2 / 11)):
        model.train_step(make_batch(cfg, seed=step))
        for k, i in enumerate(trainable):
            expected = decay * previous[k] + (1 - decay) * model.generator.weights[i].numpy()
            np.testing.assert_allclose(model.ema_generator.weights[i].numpy(), expected,
                                       rtol=1e-5, atol=1e-7)
        previous = [model.ema_generator.weights[i].numpy() for i in trainable]
    assert AttnGAN.from_config(model.get_config()).ema_warmup is True
    assert AttnGAN(cfg).ema_warmup is False  # the reference's plain average by default


def test_compile_rejects_bad_optimizers():
    model = AttnGAN(small_config(2))
    with pytest.raises(ValueError, match="need 2"):
        model.compile(d_optimizers=[keras.optimizers.Adam()])
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="its own optimizer"):
        model.compile(g_optimizer=shared, d_optimizers=[shared, keras.optimizers.Adam()])
    with pytest.raises(ValueError, match="ema_decay"):
        AttnGAN(small_config(2), ema_decay=1.0)


def test_defaults_are_the_references():
    model = AttnGAN(small_config(1))
    model.compile()
    for opt in [model.g_optimizer, *model.d_optimizers]:
        assert isinstance(opt, keras.optimizers.Adam)
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert (opt.beta_1, opt.beta_2) == (0.5, 0.999)
        assert opt.torch_epsilon  # torch.optim.Adam's placement of epsilon
    assert model.ema_decay == 0.999 and not model.ema_warmup


def test_save_load_and_config_roundtrip(tmp_path):
    cfg = small_config(2)
    model = AttnGAN(cfg, seed=5)
    model.compile()
    model.train_step(make_batch(cfg))
    words = [f"w{i}" for i in range(1, cfg.text.vocab_size)]
    vocab = Vocabulary(["<end>", *words])
    save_attngan(model, tmp_path / "m", vocab)
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == ["config.json", "discriminator0.weights.h5", "discriminator1.weights.h5",
                     "ema_generator.weights.h5", "generator.weights.h5",
                     "image_encoder.weights.h5", "text_encoder.weights.h5", "vocabulary.json"]
    loaded, vocab2 = load_attngan(tmp_path / "m")
    assert loaded.vocabulary == vocab
    assert vocab2 == vocab and loaded.config == cfg
    batch = make_batch(cfg, seed=9)
    for a, b in zip(model(batch)["images"], loaded(batch)["images"]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    clone = AttnGAN.from_config(model.get_config())
    assert clone.config == cfg and clone.ema_decay == model.ema_decay
    with pytest.raises(ValueError, match="not a saved AttnGAN"):
        load_attngan(tmp_path / "missing")
    with pytest.raises(ValueError, match="vocabulary"):
        save_attngan(model, tmp_path / "bad", Vocabulary(["<end>", "a"]))
    assert loaded.has_discriminators
    for a, b in zip(model.discriminators[1].get_weights(), loaded.discriminators[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    # Without discriminators (a converted release): loads for sampling, and says so.
    save_attngan(model, tmp_path / "g", vocab, discriminators=False)
    assert not list((tmp_path / "g").glob("discriminator*"))
    generator_only, _ = load_attngan(tmp_path / "g")
    assert not generator_only.has_discriminators
    # Saving it again (default) or over a full model never leaves discriminator files.
    save_attngan(model, tmp_path / "g2", vocab)
    assert len(list((tmp_path / "g2").glob("discriminator*"))) == 2
    save_attngan(generator_only, tmp_path / "g2", vocab)
    assert not list((tmp_path / "g2").glob("discriminator*"))
    for a, b in zip(model(batch)["images"], generator_only(batch)["images"]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    # Some but not all discriminators: a damaged directory.
    (tmp_path / "m" / "discriminator1.weights.h5").unlink()
    with pytest.raises(ValueError, match="no discriminator1.weights.h5"):
        load_attngan(tmp_path / "m")


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_step_is_finite(policy):
    keras.config.set_dtype_policy(policy)
    try:
        cfg = small_config(1)
        model = AttnGAN(cfg, seed=1)
        model.compile()
        if policy == "mixed_float16":
            assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(tf.data.Dataset.from_tensors(make_batch(cfg)).repeat(2),
                            epochs=1, verbose=0)
        assert all(np.isfinite(v[-1]) for v in history.history.values())
        assert model.generator.compute_dtype == policy.split("_")[1]
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.slow
def test_xla_step_is_finite():
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=1)
    model.compile(jit_compile=True)
    history = model.fit(tf.data.Dataset.from_tensors(make_batch(cfg)).repeat(2), epochs=1,
                        verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
