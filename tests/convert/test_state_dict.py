import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.convert import StateDictError, export_state_dict, load_state_dict
from attngan_tf.models import AttnGenerator, Discriminator, ImageEncoder, TextEncoder

CFG = get_preset("tiny")

FACTORIES = {
    "text": lambda: TextEncoder(CFG.text),
    "image": lambda: ImageEncoder(CFG.image_encoder, _report_init=False),
    "generator": lambda: AttnGenerator(CFG.generator),
    "d0": lambda: Discriminator(CFG.discriminator, 0),
    "d2": lambda: Discriminator(CFG.discriminator, 2),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_export_then_load_restores_every_weight(name):
    source, target = FACTORIES[name](), FACTORIES[name]()
    source.build()
    target.build()
    state = export_state_dict(source)
    load_state_dict(target, state)
    for a, b in zip(source.weights, target.weights):
        if "seed_generator" in a.path:
            continue
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)


def test_reference_names_and_layouts():
    gen = AttnGenerator(CFG.generator)
    state = export_state_dict(gen)
    ngf = CFG.generator.gf_dim
    assert state["h_net2.att.conv_context.weight"].shape == (ngf, CFG.generator.embedding_dim, 1, 1)
    assert state["h_net1.upsample1.1.weight"].shape == (16 * ngf, 16 * ngf, 3, 3)
    assert state["img_net3.img.0.weight"].shape == (3, ngf, 3, 3)
    assert "h_net3.residual.0.block.4.running_var" in state
    d = export_state_dict(Discriminator(CFG.discriminator, 2))
    assert d["img_code_s64_1.0.weight"].shape == (16 * 8, 32 * 8, 3, 3)
    assert "img_code_s16.0.bias" not in d and "COND_DNET.outlogits.0.bias" in d
    text = export_state_dict(TextEncoder(CFG.text))
    assert text["rnn.weight_hh_l0_reverse"].shape == (4 * 16, 16)


def test_missing_unexpected_and_misshapen_keys_are_named():
    gen = AttnGenerator(CFG.generator)
    state = export_state_dict(gen)
    missing = dict(state)
    del missing["h_net2.residual.0.block.1.running_mean"]
    with pytest.raises(StateDictError, match=r"missing key 'h_net2.residual.0.block.1.running_mean'"):
        load_state_dict(gen, missing)
    extra = dict(state, **{"h_net4.fc.weight": np.zeros(3)})
    with pytest.raises(StateDictError, match=r"unexpected key 'h_net4.fc.weight'"):
        load_state_dict(gen, extra)
    bad = dict(state, **{"ca_net.fc.weight": np.zeros((3, 3), np.float32)})
    with pytest.raises(StateDictError, match=r"'ca_net.fc.weight' has shape \(3, 3\)"):
        load_state_dict(gen, bad)


def test_num_batches_tracked_is_accepted_only_for_batch_norms():
    disc = Discriminator(CFG.discriminator, 0)
    state = export_state_dict(disc)
    state["img_code_s16.3.num_batches_tracked"] = np.array(10)
    load_state_dict(disc, state)
    state["img_code_s16.0.num_batches_tracked"] = np.array(10)  # conv without BN
    with pytest.raises(StateDictError, match="img_code_s16.0.num_batches_tracked"):
        load_state_dict(disc, state)


def test_failed_load_changes_nothing():
    gen = AttnGenerator(CFG.generator)
    gen.build()
    before = [np.asarray(w).copy() for w in gen.weights]
    state = {k: v + 1.0 for k, v in export_state_dict(gen).items()}
    state["img_net1.img.0.weight"] = np.zeros((1, 1, 1, 1), np.float32)
    with pytest.raises(StateDictError):
        load_state_dict(gen, state)
    for a, b in zip(before, gen.weights):
        np.testing.assert_array_equal(a, np.asarray(b))
