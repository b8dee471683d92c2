import logging

import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.convert import StateDictError, export_state_dict
from attngan_tf.models import ImageEncoder
from attngan_tf.models import image_encoder as image_encoder_module
from attngan_tf.models.image_encoder import resize_bilinear
from attngan_tf.models.inception import average_pool_3x3

CFG = get_preset("tiny").image_encoder


@pytest.fixture(scope="module")
def encoder():
    enc = ImageEncoder(CFG, _report_init=False)
    enc.build()
    return enc


def test_shapes_for_any_input_size(encoder):
    rng = np.random.default_rng(0)
    for size in (64, 256):
        images = rng.uniform(-1, 1, size=(2, size, size, 3)).astype(np.float32)
        region, code = encoder(images)
        assert region.shape == (2, 17, 17, CFG.embedding_dim)
        assert code.shape == (2, CFG.embedding_dim)


def test_birds_image_encoder_shapes(birds_networks):
    images = np.random.default_rng(1).uniform(-1, 1, size=(2, 256, 256, 3)).astype(np.float32)
    region, code = birds_networks["image_encoder"](images)
    assert region.shape == (2, 17, 17, 256) and code.shape == (2, 256)


def test_only_the_embedding_heads_train(encoder):
    names = sorted(v.path.split("/")[-2] + "/" + v.name for v in encoder.trainable_variables)
    assert names == ["code_projection/bias", "code_projection/kernel",
                     "region_projection/kernel"]


def test_average_pool_counts_the_zero_padding():
    pooled = np.asarray(average_pool_3x3(np.ones((1, 5, 5, 1), np.float32)))[0, :, :, 0]
    assert pooled[0, 0] == pytest.approx(4 / 9)
    assert pooled[0, 2] == pytest.approx(6 / 9)
    assert pooled[2, 2] == pytest.approx(1.0)


def test_align_corners_resize_keeps_corners_and_differs_from_half_pixel():
    x = np.random.default_rng(2).normal(size=(1, 8, 8, 1)).astype(np.float32)
    aligned = np.asarray(resize_bilinear(x, 29, align_corners=True))
    half = np.asarray(resize_bilinear(x, 29, align_corners=False))
    for (i, j), (a, b) in {(0, 0): (0, 0), (0, -1): (0, -1), (-1, -1): (-1, -1)}.items():
        assert aligned[0, a, b, 0] == pytest.approx(x[0, i, j, 0], abs=1e-6)
    # Source index of output 14 is 14 * 7/28 = 3.5 exactly.
    assert aligned[0, 14, 0, 0] == pytest.approx((x[0, 3, 0, 0] + x[0, 4, 0, 0]) / 2, abs=1e-5)
    assert np.abs(aligned - half).max() > 1e-3


def test_pretrained_trunk_weights_from_npz(tmp_path, encoder):
    state = export_state_dict(encoder.trunk)
    state["fc.weight"] = np.zeros((1000, 2048), np.float32)  # classifier keys are ignored
    state["AuxLogits.fc.bias"] = np.zeros((1000,), np.float32)
    state["Conv2d_1a_3x3.bn.num_batches_tracked"] = np.array(5)
    path = tmp_path / "inception.npz"
    np.savez(path, **state)
    other = ImageEncoder(CFG, trunk_weights=str(path))
    other.build()
    other.region_projection.set_weights(encoder.region_projection.get_weights())
    other.code_projection.set_weights(encoder.code_projection.get_weights())
    images = np.random.default_rng(3).uniform(-1, 1, size=(1, 64, 64, 3)).astype(np.float32)
    for a, b in zip(encoder(images), other(images)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    del state["Mixed_6e.branch_pool.bn.running_var"]
    np.savez(path, **state)
    with pytest.raises(StateDictError, match="Mixed_6e.branch_pool.bn.running_var"):
        ImageEncoder(CFG, trunk_weights=str(path)).build()


def test_missing_or_unsupported_weight_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="trunk_weights"):
        ImageEncoder(CFG, trunk_weights=str(tmp_path / "nope.npz")).build()
    bad = tmp_path / "weights.bin"
    bad.write_bytes(b"x")
    with pytest.raises(ValueError, match="trunk_weights"):
        ImageEncoder(CFG, trunk_weights=str(bad)).build()


def test_random_init_is_reported_once(monkeypatch, caplog):
    monkeypatch.setattr(image_encoder_module, "_random_init_reported", False)
    with caplog.at_level(logging.WARNING, logger="attngan_tf.models.image_encoder"):
        ImageEncoder(CFG)
        ImageEncoder(CFG)
    messages = [r for r in caplog.records if "random initialisation" in r.getMessage()]
    assert len(messages) == 1


def test_bad_images_raise_value_error(encoder):
    with pytest.raises(ValueError, match="images"):
        encoder(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="images"):
        encoder(np.zeros((1, 64, 64, 1), np.float32))
