"""Checkpoints hold every variable, including ones TensorFlow's object graph misses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.training.checkpoint import make_checkpoint, variable_map


class _ListHolder(keras.Model):
    """Frozen layers kept in a list: invisible to tf.train.Checkpoint(model=...)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        for i in range(2):
            self.blocks.append(keras.layers.Dense(3, name=f"dense{i}"))
        self.norm = keras.layers.BatchNormalization(name="norm")
        self.seeds = keras.random.SeedGenerator(1)

    def build(self, input_shape=None):
        for block in self.blocks:
            block.build((None, 3))
        self.norm.build((None, 3))


def _model(seed):
    keras.utils.set_random_seed(seed)
    model = _ListHolder()
    model.build()
    model.trainable = False
    return model


def test_every_variable_is_saved_and_restored_across_auto_names(tmp_path):
    saved = _model(0)
    saved.norm.moving_mean.assign([1.0, 2.0, 3.0])
    saved.seeds.state.assign([7, 9])
    optimizer = keras.optimizers.Adam(name="opt")
    optimizer.build(saved.blocks[0].trainable_weights + saved.norm.trainable_weights)
    optimizer.iterations.assign(5)
    path = make_checkpoint(model=saved, optimizer=optimizer).save(str(tmp_path / "ckpt"))

    restored = _model(1)  # auto-named "_list_holder_1": different init and name
    assert restored.name != saved.name
    other = keras.optimizers.Adam()
    other.build(restored.blocks[0].trainable_weights + restored.norm.trainable_weights)
    make_checkpoint(model=restored, optimizer=other).restore(path).assert_consumed()
    for a, b in zip(saved.variables, restored.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(other.iterations) == 5
    assert len(variable_map(saved)) == len(saved.variables)


def test_restore_into_a_different_model_fails_loudly(tmp_path):
    path = make_checkpoint(model=_model(0)).save(str(tmp_path / "ckpt"))
    other = keras.Sequential([keras.layers.Dense(4, name="x")])
    other.build((None, 2))
    with pytest.raises(AssertionError):
        make_checkpoint(model=other).restore(path).assert_existing_objects_matched()


def test_plain_variables_are_kept():
    epoch = tf.Variable(3, dtype=tf.int64)
    checkpoint = make_checkpoint(epoch=epoch)
    assert checkpoint.epoch is epoch
