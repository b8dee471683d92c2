"""Training callbacks that are not tied to one model."""

from __future__ import annotations

import keras
import numpy as np

from attngan_tf.training import TimeLimit


class _Counter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches, self.epoch_ends = 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ends += 1


def _fit(limit_minutes: float) -> _Counter:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((40, 3), np.float32), np.zeros((40, 1), np.float32)
    counter = _Counter()
    model.fit(x, y, batch_size=4, epochs=3, verbose=0,
              callbacks=[TimeLimit(limit_minutes), counter])
    return counter


def test_time_limit_stops_within_the_epoch_and_still_ends_it():
    stopped = _fit(0.0)
    assert stopped.batches == 1  # at least one batch, then the limit
    assert stopped.epoch_ends == 1  # the cut epoch still ends (checkpoints, evaluation)
    full = _fit(60.0)
    assert full.batches == 30 and full.epoch_ends == 3
