"""Resuming ``fit`` at a step: an interrupted epoch continues where it stopped.

Keras counts training in epochs of ``steps_per_epoch`` steps and restarts an
epoch from its first step. A run killed (or stopped by a time limit) inside an
epoch and resumed from a step checkpoint must instead train the epoch's
remaining steps only, on the batches an uninterrupted run would have used, so
that the resumed run ends bit for bit where the uninterrupted one does
(``benchmarks/kill_soak.py``; tests/training/test_resume.py).
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

__all__ = ["fit_from_step"]


def fit_from_step(model: keras.Model, make_dataset: Callable[[int], tf.data.Dataset], *,
                  step: int, epochs: int, steps_per_epoch: int, callbacks=(),
                  verbose="auto") -> None:
    """Trains ``model`` from global step ``step`` to ``epochs * steps_per_epoch``.

    Epoch ``step // steps_per_epoch`` is finished first with its remaining
    steps (a ``fit`` of its own, numbered as that epoch, so epoch-end callbacks
    -- checkpoints, learning-rate schedules, evaluation -- run as they would
    have), then whole epochs follow. ``make_dataset(start)`` must return the
    endless batch sequence beginning at batch ``start`` (e.g.
    :class:`~attngan_tf.data.PipelineConfig` with ``repeat=True`` and
    ``start_batch=start``). A callback that stops training (a time limit) ends
    both parts.
    """
    if steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch: must be >= 1, got {steps_per_epoch}")
    epoch, done = divmod(step, steps_per_epoch)
    callbacks = list(callbacks)
    if epoch < epochs and done:
        model.fit(make_dataset(step), epochs=epoch + 1, initial_epoch=epoch,
                  steps_per_epoch=steps_per_epoch - done, callbacks=callbacks, verbose=verbose)
        if model.stop_training:
            return
        epoch += 1
    if epoch < epochs:
        model.fit(make_dataset(epoch * steps_per_epoch), epochs=epochs, initial_epoch=epoch,
                  steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=verbose)
