"""Keras callbacks for training: checkpoints, time limit, progress, R-precision, attention images."""

from __future__ import annotations

import logging
import pathlib
import shutil
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from .checkpoint import make_checkpoint, save_checkpoint

__all__ = ["CheckpointCallback", "TimeLimit", "TrainingProgress", "RPrecisionCallback",
           "AttentionImages", "make_checkpoint_manager"]

logger = logging.getLogger("attngan_tf.training")


def make_checkpoint_manager(directory, model: keras.Model, max_to_keep: int = 3):
    """``(manager, epoch_variable)`` over every variable of model and optimizer (the
    step is the optimizer's iteration count) and the epoch.

    The optimizer's variables are created first so a restore fills them.
    """
    model.optimizer.build(model.trainable_variables)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    checkpoint = make_checkpoint(model=model, optimizer=model.optimizer, epoch=epoch)
    manager = tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=max_to_keep)
    return manager, epoch


class CheckpointCallback(keras.callbacks.Callback):
    """Saves model, optimizer, step and epoch after every epoch."""

    def __init__(self, manager: tf.train.CheckpointManager, epoch: tf.Variable):
        super().__init__()
        self.manager, self.epoch = manager, epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        path = save_checkpoint(self.manager)
        logger.info("epoch %d: checkpoint %s", epoch + 1, path)


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the first batch that ends after ``minutes`` have passed.

    The epoch then ends early: Keras still runs the epoch-end callbacks
    (checkpoint, evaluation), and at least one batch is always trained. The
    clock starts at the first ``fit`` it sees and keeps running across the
    two ``fit`` calls of a resumed run (:func:`~attngan_tf.training.resume.fit_from_step`).
    """

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60.0
        self.start = None

    def on_train_begin(self, logs=None):
        if self.start is None:
            self.start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if not self.model.stop_training and time.monotonic() - self.start >= self.seconds:
            logger.info("time limit of %.1f min reached at batch %d", self.seconds / 60,
                        batch + 1)
            self.model.stop_training = True


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class TrainingProgress(keras.callbacks.Callback):
    """Progress of a whole run: steps, losses and the time left.

    On a terminal (``stream.isatty()``) one line is redrawn in place at most
    every ``period`` seconds: ``step 120/12000 [==>    ] 1% | d_loss 1.23 ...
    | 12:34 left``; at each epoch's end a line stays (``epoch 3/600 ...``).
    Elsewhere (CI logs, files) only the epoch lines are printed. The time left
    is the remaining steps at this run's rate, and at most what is left of
    ``max_minutes`` when that is given. Use with ``fit(verbose=0)``; the clock
    starts at the first ``fit`` and keeps running across the two calls of a
    resumed run (:func:`~attngan_tf.training.resume.fit_from_step`).

    Args:
        total_steps: steps of the whole run (epochs × steps per epoch).
        step: the global step the run starts at (a resumed run's).
        epochs: epochs of the whole run (for the epoch lines).
        max_minutes: the run's time limit, if any.
    """

    def __init__(self, total_steps: int, step: int = 0, epochs: int | None = None,
                 max_minutes: float | None = None, stream=None, period: float = 0.5):
        super().__init__()
        self.total, self.step, self.first_step = int(total_steps), int(step), int(step)
        self.epochs, self.max_minutes, self.period = epochs, max_minutes, period
        self.stream = stream if stream is not None else sys.stdout
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = self.drawn = self.epoch_start = None

    def on_train_begin(self, logs=None):
        if self.start is None:
            self.start = time.monotonic()
            self.drawn = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.monotonic()

    def _left(self) -> float | None:
        elapsed = time.monotonic() - self.start
        done = self.step - self.first_step
        left = (self.total - self.step) * elapsed / done if done else None
        if self.max_minutes is not None:
            budget = max(self.max_minutes * 60.0 - elapsed, 0.0)
            left = budget if left is None else min(left, budget)
        return left

    @staticmethod
    def _losses(logs) -> str:
        return " ".join(f"{name} {float(np.mean(value)):.3g}"
                        for name, value in (logs or {}).items())

    def _write(self, text: str, end: str) -> None:
        self.stream.write(text + end)
        self.stream.flush()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        now = time.monotonic()
        if not self.live or now - self.drawn < self.period:
            return
        self.drawn = now
        share = self.step / max(self.total, 1)
        filled = int(20 * min(share, 1.0))
        left = self._left()
        line = (f"step {self.step}/{self.total} [{'=' * filled}{' ' * (20 - filled)}] "
                f"{100 * share:3.0f}% | {self._losses(logs)}"
                + (f" | {_clock(left)} left" if left is not None else ""))
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self._write("\r" + line[:width].ljust(width), "")

    def on_epoch_end(self, epoch, logs=None):
        left = self._left()
        of = f"/{self.epochs}" if self.epochs else ""
        line = (f"epoch {epoch + 1}{of} (step {self.step}/{self.total}, "
                f"{time.monotonic() - self.epoch_start:.1f} s): {self._losses(logs)}"
                + (f"; {_clock(left)} left" if left is not None else ""))
        if self.live:
            line = "\r" + line.ljust(shutil.get_terminal_size((100, 20)).columns - 1)
        self._write(line, "\n")


class RPrecisionCallback(keras.callbacks.Callback):
    """Adds ``val_r_precision`` (the paper's R-precision@1 on a split) to the logs.

    Args:
        dataset: the evaluation pipeline (one caption per image).
        every: epochs between evaluations.
        runs: draws of mismatched captions per evaluation.
    """

    def __init__(self, dataset, every: int = 1, runs: int = 1, seed: int = 0):
        super().__init__()
        self.dataset, self.every, self.runs, self.seed = dataset, every, runs, seed
        self.history: list[tuple[int, float]] = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from ..metrics import r_precision

        result = r_precision(self.model, self.dataset, runs=self.runs, seed=self.seed, verbose=0)
        self.history.append((epoch + 1, result.mean))
        if logs is not None:
            logs["val_r_precision"] = result.mean
        print(f"epoch {epoch + 1}: test {result}", flush=True)


def _overlay(image: np.ndarray, attention: np.ndarray) -> np.ndarray:
    """``image [S, S, 3]`` in [-1, 1] blended with a red heat map of ``attention [R, R]``."""
    size = image.shape[0]
    heat = tf.image.resize(attention[..., None], [size, size], method="bilinear").numpy()[..., 0]
    heat = heat / max(float(heat.max()), 1e-8)
    base = (image + 1.0) / 2.0
    red = np.stack([np.ones_like(heat), np.zeros_like(heat), np.zeros_like(heat)], -1)
    return np.clip(0.45 * base + 0.55 * (heat[..., None] * red + (1 - heat[..., None]) * base),
                   0, 1)


class AttentionImages(keras.callbacks.Callback):
    """Writes word-to-region attention maps of a few real captions to TensorBoard.

    Every ``every`` epochs, one image per example: the picture followed by the
    attention of each of its first ``max_words`` words (the caption is written
    as text next to it).

    Args:
        log_dir: TensorBoard directory.
        batch: a pipeline batch of real images and captions.
        vocabulary: to print the words.
    """

    def __init__(self, log_dir, batch, vocabulary, every: int = 5, examples: int = 4,
                 max_words: int = 8):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(pathlib.Path(log_dir) / "attention"))
        self.batch = {k: v[:examples] if not isinstance(v, tuple) else tuple(x[:examples]
                                                                             for x in v)
                      for k, v in batch.items()}
        self.vocabulary, self.every, self.max_words = vocabulary, every, max_words

    def render(self) -> tuple[np.ndarray, list[str]]:
        out = self.model(self.batch, training=False)
        attention = self.model.compute_losses(out)["attention"].numpy()
        images = self.model._images(self.batch).numpy()
        rows, texts = [], []
        for image, att, ids, n in zip(images, attention, self.batch["captions"].numpy(),
                                      self.batch["lengths"].numpy()):
            words = self.vocabulary.decode(ids[:n])[: self.max_words]
            tiles = [(image + 1) / 2] + [_overlay(image, att[..., t]) for t in range(len(words))]
            tiles += [np.zeros_like(tiles[0])] * (self.max_words + 1 - len(tiles))
            rows.append(np.concatenate(tiles, axis=1))
            texts.append(" ".join(words))
        return np.concatenate(rows, axis=0), texts

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        grid, texts = self.render()
        with self.writer.as_default(step=epoch + 1):
            tf.summary.image("word_attention", grid[None].astype(np.float32))
            tf.summary.text("captions", "\n\n".join(f"{i}: {t}" for i, t in enumerate(texts)))
        self.writer.flush()
