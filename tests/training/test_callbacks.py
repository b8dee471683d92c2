"""Training callbacks that are not tied to one model."""

from __future__ import annotations

import io

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


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def _drive(progress, epochs: int, steps: int, clock: list) -> None:
    """Runs ``progress`` through ``epochs`` × ``steps`` batches, one second each."""
    progress.on_train_begin()
    for epoch in range(epochs):
        progress.on_epoch_begin(epoch)
        for batch in range(steps):
            clock[0] += 1.0
            progress.on_train_batch_end(batch, {"d_loss": np.float32(1.5), "g_loss": 2.25})
        progress.on_epoch_end(epoch, {"d_loss": 1.5, "g_loss": 2.25})


def test_training_progress_bar_on_a_terminal_and_epoch_lines_elsewhere(monkeypatch):
    from attngan_tf.training import callbacks as module

    clock = [0.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    log = _Stream(tty=False)
    _drive(module.TrainingProgress(12, step=0, epochs=3, stream=log), 2, 4, clock)
    lines = log.getvalue().splitlines()
    # off a terminal: one line per epoch, the losses and the time left (4 steps at 1 s)
    assert lines == ["epoch 1/3 (step 4/12, 4.0 s): d_loss 1.5 g_loss 2.25; 0:08 left",
                     "epoch 2/3 (step 8/12, 4.0 s): d_loss 1.5 g_loss 2.25; 0:04 left"]
    tty = _Stream(tty=True)
    clock[0] = 100.0
    # resumed at step 6 with a 7-minute limit: of 600 - 6 steps at 1 s each, the limit is nearer
    _drive(module.TrainingProgress(600, step=6, epochs=100, max_minutes=7, stream=tty), 1, 6,
           clock)
    text = tty.getvalue()
    draws = [part for part in text.split("\r") if part.startswith("step")]
    assert len(draws) == 6 and draws[-1].startswith("step 12/600 [") and " 2% " in draws[-1]
    assert "d_loss 1.5 g_loss 2.25 | 6:54 left" in draws[-1]
    assert text.rstrip().split("\r")[-1].startswith("epoch 1/100 (step 12/600, 6.0 s)")
    assert text.endswith("\n") and text.count("\n") == 1
