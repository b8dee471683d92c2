"""AttnDCGAN (``bird_attndcgan2``, the original's cfg/bird_attnDCGAN2.yml): sizes, the
original's layout, forward outputs against the PyTorch port, and a training step."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from attngan_tf import losses
from attngan_tf.config import AttnGANConfig, get_preset
from attngan_tf.convert.state_dict import (export_state_dict, load_discriminator,
                                           load_generator)
from attngan_tf.info import parameter_count
from attngan_tf.models import AttnGAN, AttnGenerator, Discriminator, build_discriminators

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_preset_is_the_original_configuration():
    config = get_preset("bird_attndcgan2")
    gen, disc = config.generator, config.discriminator
    assert (gen.gf_dim, gen.z_dim, gen.condition_dim, gen.r_num, gen.branch_num) == (
        32, 100, 100, 0, 3)
    assert gen.single_image and disc.single_image and not disc.unconditional
    assert disc.df_dim == 64 and config.loss.damsm_lambda == 1.0
    assert gen.output_sizes == (256,) and gen.image_sizes == (64, 128, 256)
    # the original's names of the other two presets
    assert get_preset("bird_attn2") == get_preset("birds")
    assert get_preset("coco_attn2") == get_preset("coco")


def test_parameter_counts_equal_the_originals():
    """G_DCGAN 6,638,960 and D_NET256(b_jcu=False) 71,850,753: counted from the original
    code's modules at cfg/bird_attnDCGAN2.yml."""
    config = get_preset("bird_attndcgan2")
    generator = AttnGenerator(config.generator)
    generator.build()
    (discriminator,) = build_discriminators(config.discriminator)
    discriminator.build()
    assert discriminator.stage == 2 and discriminator.image_size == 256
    assert parameter_count(generator)[0] == 6_638_960
    assert parameter_count(discriminator)[0] == 71_850_753


def _small(quirk=True) -> AttnGANConfig:
    config = get_preset("tiny")
    return config.replace(
        generator=config.generator.replace(single_image=True, r_num=0,
                                           reference_mask_quirk=quirk),
        discriminator=config.discriminator.replace(single_image=True, unconditional=False),
        loss=config.loss.replace(damsm_lambda=1.0),
        image_encoder=config.image_encoder.replace(trunk="small_cnn", image_size=64,
                                                   trunk_width=8))


@pytest.mark.slow
def test_model_draws_one_image_and_trains_with_one_discriminator():
    model = AttnGAN(_small(), seed=3)
    model.build()
    model.compile()
    assert model.stages == 1 and [d.name for d in model.discriminators] == ["discriminator0"]
    assert model.discriminators[0].uncond_head is None
    rng = np.random.default_rng(0)
    batch = {"images": tuple(tf.constant(rng.uniform(-1, 1, (4, s, s, 3)), tf.float32)
                             for s in (64, 128, 256)),
             "captions": tf.constant(rng.integers(1, 128, (4, 12)), tf.int32),
             "lengths": tf.constant([12, 5, 7, 3])}
    before = [w.copy() for w in model.discriminators[0].get_weights()]
    values, grads = model.train_step_with_gradients(batch)
    assert set(grads) == {"generator", "discriminator0"}
    assert values["fake_images"][0].shape == (4, 256, 256, 3) and len(values["fake_images"]) == 1
    assert all(np.isfinite(float(values[k])) for k in ("d_loss0", "g_loss", "g_loss0"))
    after = model.discriminators[0].get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    out = model(batch)
    assert [tuple(x.shape) for x in out["images"]] == [(4, 256, 256, 3)]
    assert [tuple(a.shape) for a in out["attention_maps"]] == [(4, 64, 64, 12), (4, 128, 128, 12)]


def test_losses_without_the_unconditional_head_are_the_originals():
    real = {"cond_logits": tf.constant([0.3, -1.0, 2.0])}
    fake = {"cond_logits": tf.constant([-0.5, 0.1, 1.5])}
    wrong = tf.constant([0.2, -0.7])
    bce = losses.bce_with_logits
    expected = bce(real["cond_logits"], 1.0) + (bce(fake["cond_logits"], 0.0)
                                                + bce(wrong, 0.0)) / 2.0
    np.testing.assert_allclose(losses.discriminator_loss(real, fake, wrong), expected, rtol=1e-6)
    np.testing.assert_allclose(
        losses.generator_loss([fake], tf.zeros([3, 8, 8, 32]), tf.ones([3, 32]),
                              tf.ones([3, 12, 32]), tf.ones([3, 32]),
                              tf.ones([3, 12], bool))["adversarial"],
        bce(fake["cond_logits"], 1.0), rtol=1e-6)


@pytest.fixture(scope="module")
def port():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import reference_torch
    finally:
        sys.path.pop(0)
    return torch, reference_torch


def _perturbed(torch, module, seed):
    """Running statistics and BatchNorm scales away from their defaults (a stronger check)."""
    rng = np.random.default_rng(seed)
    state = module.state_dict()
    for key, value in state.items():
        if key.endswith("running_var"):
            state[key] = torch.from_numpy(rng.uniform(0.5, 1.5, value.shape).astype(np.float32))
        elif key.endswith("running_mean"):
            state[key] = torch.from_numpy(rng.normal(0, 0.1, value.shape).astype(np.float32))
    module.load_state_dict(state)
    return {k: v.detach().numpy() for k, v in module.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def test_forward_outputs_equal_the_pytorch_ports(port):
    torch, ref = port
    config = _small()
    gen_cfg, nef, batch, words = config.generator, config.text.embedding_dim, 4, 12
    torch.manual_seed(0)
    torch_g = ref.Generator(gen_cfg.gf_dim, nef, gen_cfg.z_dim, gen_cfg.condition_dim,
                            gen_cfg.r_num, gen_cfg.branch_num, dcgan=True).eval()
    torch_d = ref.Discriminator(config.discriminator.df_dim, nef, 2, b_jcu=False).eval()
    assert torch_d.UNCOND_DNET is None and not hasattr(torch_g, "img_net1")
    g_state, d_state = _perturbed(torch, torch_g, 1), _perturbed(torch, torch_d, 2)

    generator = AttnGenerator(gen_cfg)
    load_generator(generator, g_state)
    discriminator = Discriminator(config.discriminator, stage=2)
    load_discriminator(discriminator, d_state)
    assert set(export_state_dict(generator)) == set(g_state)  # the layout, both ways
    assert set(export_state_dict(discriminator)) == set(d_state)

    rng = np.random.default_rng(5)
    z = rng.normal(size=(batch, gen_cfg.z_dim)).astype(np.float32)
    eps = rng.normal(size=(batch, gen_cfg.condition_dim)).astype(np.float32)
    sent = rng.normal(size=(batch, nef)).astype(np.float32)
    words_emb = rng.normal(size=(batch, words, nef)).astype(np.float32)
    lengths = np.array([12, 7, 4, 9])
    mask = np.arange(words)[None, :] < lengths[:, None]
    with torch.no_grad():
        images, maps, mu, _, _ = torch_g(torch.from_numpy(z), torch.from_numpy(sent),
                                         torch.from_numpy(words_emb.transpose(0, 2, 1).copy()),
                                         torch.from_numpy(~mask), torch.from_numpy(eps))
        h_code = torch_d(images[0])
        cond = torch_d.COND_DNET(h_code, torch.from_numpy(sent))
    ours = generator(z, sent, words_emb, mask, eps, training=False)
    assert len(images) == len(ours["images"]) == 1
    np.testing.assert_allclose(ours["images"][0], images[0].numpy().transpose(0, 2, 3, 1),
                               atol=1e-4)
    for a, b in zip(ours["attention_maps"], maps):
        np.testing.assert_allclose(a, b.numpy().transpose(0, 2, 3, 1), atol=1e-5)
    np.testing.assert_allclose(ours["mu"], mu.numpy(), atol=1e-5)
    out = discriminator(tf.constant(images[0].numpy().transpose(0, 2, 3, 1)), sent,
                        training=False)
    assert "uncond_logits" not in out
    np.testing.assert_allclose(out["h_code"], h_code.numpy().transpose(0, 2, 3, 1), atol=1e-4)
    np.testing.assert_allclose(tf.sigmoid(out["cond_logits"]), cond.numpy(), atol=1e-5)


def test_a_full_size_g_dcgan_state_dict_converts(port, tmp_path):
    """A torch.save'd G_DCGAN at cfg/bird_attnDCGAN2.yml (the layout of bird_AttnDCGAN2.pth)
    loads key for key into the preset's generator and is written back identically."""
    torch, ref = port
    from attngan_tf.convert.pytorch import read_torch_state_dict

    config = get_preset("bird_attndcgan2").generator
    torch.manual_seed(0)
    torch_g = ref.Generator(config.gf_dim, 256, config.z_dim, config.condition_dim,
                            config.r_num, config.branch_num, dcgan=True)
    assert sum(p.numel() for p in torch_g.parameters()) == 6_638_960
    path = tmp_path / "bird_AttnDCGAN2.pth"
    torch.save(torch_g.state_dict(), path)
    state = read_torch_state_dict(path)
    generator = AttnGenerator(config)
    load_generator(generator, state)
    back = export_state_dict(generator)
    assert set(back) == {k for k in state if not k.endswith("num_batches_tracked")}
    for key, value in back.items():
        np.testing.assert_array_equal(value, state[key], err_msg=key)


def test_saves_loads_samples_and_exports(tmp_path):
    from attngan_tf.export import export_saved_model
    from attngan_tf.models import load_attngan, save_attngan
    from attngan_tf.text import Vocabulary

    words = ["<end>", "a", "bird", "red", "blue"]
    config = _small(quirk=False)
    config = config.replace(text=config.text.replace(vocab_size=len(words)))
    model = AttnGAN(config, seed=2)
    model.build()
    vocabulary = Vocabulary(words)
    model.set_vocabulary(vocabulary)
    save_attngan(model, tmp_path / "model", vocabulary)
    assert sorted(p.name for p in (tmp_path / "model").glob("discriminator*")) == [
        "discriminator0.weights.h5"]
    loaded, _ = load_attngan(tmp_path / "model")
    drawn = loaded.generate(["a red bird"], seed=4)
    assert len(drawn["images"]) == 1 and drawn["images_uint8"].shape == (1, 256, 256, 3)
    np.testing.assert_array_equal(drawn["images_uint8"],
                                  model.generate(["a red bird"], seed=4)["images_uint8"])
    version = export_saved_model(loaded, tmp_path / "serving")
    serve = tf.saved_model.load(str(version)).signatures["generate_with_seed"]
    out = serve(captions=tf.constant(["a red bird"]), seed=tf.constant([4], tf.int64))
    assert sorted(out) == ["attention_stage2", "attention_stage3", "images", "lengths",
                           "token_ids"]
    np.testing.assert_array_equal(out["images"].numpy(), drawn["images_uint8"])
    empty = serve(captions=tf.constant([], tf.string), seed=tf.constant([], tf.int64))
    assert empty["images"].shape == (0, 256, 256, 3)
