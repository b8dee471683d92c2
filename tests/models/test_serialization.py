"""get_config/from_config and .keras round trips of every public model."""

import keras
import numpy as np
import pytest

from attngan_tf.config import get_preset
from attngan_tf.models import AttnGenerator, Discriminator, ImageEncoder, TextEncoder

from ..helpers import make_captions
from .test_generator import gen_inputs

CFG = get_preset("tiny")


def _text_case():
    ids, lens = make_captions([12, 4], 12, CFG.text.vocab_size)
    return TextEncoder(CFG.text), (ids, lens), {}


def _image_case():
    images = np.random.default_rng(0).uniform(-1, 1, size=(1, 64, 64, 3)).astype(np.float32)
    return ImageEncoder(CFG.image_encoder, _report_init=False), (images,), {}


def _generator_case():
    inputs = gen_inputs(CFG.generator)
    return AttnGenerator(CFG.generator.replace(reference_mask_quirk=True), seed=4), (), inputs


def _discriminator_case():
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(2, 128, 128, 3)).astype(np.float32)
    sent = rng.normal(size=(2, 32)).astype(np.float32)
    return Discriminator(CFG.discriminator, stage=1), (images, sent), {}


CASES = {"text": _text_case, "image": _image_case, "generator": _generator_case,
         "discriminator": _discriminator_case}


def _flat(out):
    return [np.asarray(x) for x in keras.tree.flatten(out)]


def _assert_same(a, b):
    fa, fb = _flat(a), _flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("case", CASES)
def test_from_config_rebuilds_same_model(case):
    model, args, kwargs = CASES[case]()
    model.build()
    clone = type(model).from_config(model.get_config())
    clone.build()
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    _assert_same(model(*args, **kwargs), clone(*args, **kwargs))


@pytest.mark.parametrize("case", CASES)
def test_keras_file_round_trip(case, tmp_path):
    model, args, kwargs = CASES[case]()
    expected = model(*args, **kwargs)
    path = tmp_path / f"{case}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    _assert_same(expected, loaded(*args, **kwargs))


def test_config_layers_rebuild_from_their_config():
    from attngan_tf.models import (ConditionalLogits, ConditioningAugmentation, InitStage,
                                   NextStage, WordAttention)

    for layer in (WordAttention(CFG.generator), ConditioningAugmentation(CFG.generator, seed=2),
                  InitStage(CFG.generator), NextStage(CFG.generator),
                  ConditionalLogits(CFG.discriminator)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.config == layer.config
        clone.build()
        layer.build()
        assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]
