"""AttnGAN training end to end: data, pretrained DAMSM, model, checkpoints, samples.

``train_attngan(...)`` is what ``attngan train`` runs. Its output directory
holds ``config.json`` and ``vocabulary.json`` (written first), ``checkpoints/``
(every network, every optimizer, the generator average, step, epoch and the
noise generator's state; saved every ``checkpoint_every`` steps and after every
epoch, the last ``keep_checkpoints`` kept), ``logs/`` (TensorBoard scalars and
sample grids) and, at the end, ``model/`` (:func:`save_attngan`) and
``samples/`` (a few test captions drawn by the averaged generator, as PNGs with
their captions). Running the same command again resumes from the last
checkpoint: every network (including the encoders, which then come from the
checkpoint, not from ``--damsm``), optimizer and the step; Keras starts the
interrupted epoch again from its beginning (the data order restarts).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import pathlib

import keras
import numpy as np
import tensorflow as tf

from ..config import INITIAL_SIZES, AttnGANConfig, get_preset
from ..data import PipelineConfig, load_dataset
from ..models.attngan import AttnGAN, default_gan_optimizer, save_attngan
from ..models.damsm import load_damsm
from ..sampling import caption_noise, to_uint8
from .callbacks import TimeLimit, TrainingProgress
from .checkpoint import make_checkpoint, restore_latest, save_checkpoint
from .resume import fit_from_step
from .rundir import check_run_directory, check_run_options, run_lock

__all__ = ["GanRun", "train_attngan", "build_attngan", "make_gan_checkpoint",
           "GanCheckpoint", "NonFiniteLoss", "SampleGrid", "write_samples"]

logger = logging.getLogger("attngan_tf.training")


def build_attngan(damsm_dir, preset: str | AttnGANConfig, *, seed: int | None = None,
                  ema_decay: float = 0.999, ema_warmup: bool = False):
    """``(model, vocabulary)``: an AttnGAN whose encoders come from a DAMSM export.

    The text and image encoder configurations are the DAMSM's; generator,
    discriminators and loss weights come from ``preset`` (a name or config).
    """
    damsm, vocabulary = load_damsm(damsm_dir)
    base = get_preset(preset) if isinstance(preset, str) else preset
    for part in ("generator", "discriminator"):
        if getattr(base, part).embedding_dim != damsm.config.text.embedding_dim:
            raise ValueError(
                f"preset {base.name!r}: embedding size {getattr(base, part).embedding_dim} "
                f"differs from the DAMSM's {damsm.config.text.embedding_dim}")
    config = base.replace(text=damsm.config.text, image_encoder=damsm.config.image_encoder)
    model = AttnGAN(config, seed=seed, ema_decay=ema_decay, ema_warmup=ema_warmup)
    model.build()
    model.load_encoders(damsm)
    model.set_vocabulary(vocabulary)
    return model, vocabulary


def make_gan_checkpoint(model: AttnGAN, directory, max_to_keep: int = 3):
    """``(manager, epoch_variable)`` over everything a resumed run needs.

    Holds every variable of the model (generator, its average,
    discriminators, encoders, BatchNorm statistics, the sampling noise
    generator's state) and of the generator's and each discriminator's
    optimizer -- including the step, the generator optimizer's iteration count,
    which also keys the training noise -- and the epoch.
    The model must be compiled (its optimizers built).
    """
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    d_optimizers = {f"d_optimizer{i}": opt for i, opt in enumerate(model.d_optimizers)}
    checkpoint = make_checkpoint(model=model, g_optimizer=model.g_optimizer, epoch=epoch,
                                 **d_optimizers)
    manager = tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=max_to_keep)
    return manager, epoch


class NonFiniteLoss(FloatingPointError):
    """A training loss became NaN or infinite."""


class GanCheckpoint(keras.callbacks.Callback):
    """Checks every step's losses, saves every ``every`` steps and after every epoch.

    A non-finite loss raises :class:`NonFiniteLoss` naming the step and the
    loss before anything is saved, so the last checkpoint stays the last good
    one. A model compiled with ``skip_nonfinite`` skips such updates itself;
    the steps it skipped are counted here (``self.skipped``) and each is
    reported. Saving goes through ``tf.train.CheckpointManager`` (files written, then
    the index: a process killed while saving leaves the previous checkpoint).
    """

    def __init__(self, manager: tf.train.CheckpointManager, epoch: tf.Variable,
                 every: int | None = None):
        super().__init__()
        self.manager, self.epoch, self.every = manager, epoch, every
        self.skipped = 0

    def _step(self) -> int:
        return int(self.model.g_optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        logs = dict(logs or {})
        if float(logs.pop("skipped", 0.0)):
            self.skipped += 1
            logger.warning("step %d: a non-finite loss or gradient; that update was skipped "
                           "(%d skipped so far)", step, self.skipped)
        for name, value in logs.items():
            if not math.isfinite(float(value)):
                raise NonFiniteLoss(
                    f"step {step}: {name} is {float(value)}; training stopped. The last "
                    f"good checkpoint is {self.manager.latest_checkpoint}")
        if self.every and step % self.every == 0:
            save_checkpoint(self.manager, step)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        step = self._step()
        # Always a new number: never rewrite the step checkpoint of this same step in place.
        path = save_checkpoint(self.manager, step if not (
            self.every and step % self.every == 0) else None)
        logger.info("epoch %d: checkpoint %s", epoch + 1, path)


def _seeded_noise(model: AttnGAN, size: int, seed: int) -> dict:
    """Caption i's noise from seed ``seed + i``, as ``attngan sample`` draws it."""
    cfg = model.config.generator
    seeds = np.arange(size, dtype=np.int64) + seed
    return {"noise": caption_noise(seeds, cfg.z_dim, 0),
            "ca_noise": caption_noise(seeds, cfg.condition_dim, 1)}


def _stage_rows(model: AttnGAN, batch) -> tf.Tensor:
    """``[B, S, stages·S, 3]`` in [-1, 1]: every stage's image, upsampled to the last one's size."""
    images = model(batch, training=False)["images"]
    size = images[-1].shape[1]
    return tf.concat([tf.image.resize(x, [size, size], method="nearest") for x in images], axis=2)


def _grid(model: AttnGAN, batch) -> np.ndarray:
    """One row per caption (:func:`_stage_rows` stacked), in [0, 1]."""
    rows = _stage_rows(model, batch)
    grid = tf.reshape(rows, [-1, rows.shape[2], 3])
    return ((grid.numpy() + 1.0) / 2.0).clip(0, 1)


class SampleGrid(keras.callbacks.Callback):
    """Every ``every`` steps, writes a grid of samples to TensorBoard.

    Fixed captions (a pipeline batch) and fixed noise, generated by the
    averaged generator: rows are captions, columns the stages.
    """

    def __init__(self, log_dir, batch, vocabulary, every: int = 200, seed: int = 0):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(pathlib.Path(log_dir) / "samples"))
        self.batch = dict(batch)
        self.vocabulary, self.every, self.seed = vocabulary, every, seed

    def _noise(self):
        return _seeded_noise(self.model, int(self.batch["captions"].shape[0]), self.seed)

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        if not self.every or step % self.every:
            return
        grid = _grid(self.model, {**self.batch, **self._noise()})
        texts = [" ".join(self.vocabulary.decode(ids[:n])) for ids, n in
                 zip(self.batch["captions"].numpy(), self.batch["lengths"].numpy())]
        with self.writer.as_default(step=step):
            tf.summary.image("samples", grid[None].astype(np.float32))
            tf.summary.text("captions", "\n\n".join(f"{i}: {t}" for i, t in enumerate(texts)))
        self.writer.flush()


def write_samples(model: AttnGAN, batch, vocabulary, directory,
                  seed: int = 0) -> list[pathlib.Path]:
    """Writes ``NN.png`` (every stage side by side) per caption and ``captions.txt``.

    Caption i is drawn with seed ``seed + i``: the last stage of ``NN.png`` is
    what ``attngan sample --seed seed+i`` draws for that caption.
    """
    from PIL import Image

    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    size = int(batch["captions"].shape[0])
    rows = to_uint8(_stage_rows(model, {**batch, **_seeded_noise(model, size, seed)})).numpy()
    paths, lines = [], []
    for i, row in enumerate(rows):
        path = directory / f"{i:02d}.png"
        Image.fromarray(row).save(path)
        paths.append(path)
        ids, n = batch["captions"][i].numpy(), int(batch["lengths"][i])
        lines.append(f"{path.name}\t{' '.join(vocabulary.decode(ids[:n]))}")
    (directory / "captions.txt").write_text("\n".join(lines) + "\n")
    return paths


@dataclasses.dataclass(frozen=True)
class GanRun:
    """Options of one AttnGAN training run (the CLI flags)."""

    dataset: str
    out: str
    damsm: str
    data_dir: str | None = None
    preset: str | AttnGANConfig = "synbirds"  # G, D and loss settings (a name or a config)
    epochs: int = 600
    steps_per_epoch: int | None = None  # default: one pass over the training images
    batch_size: int = 16
    max_minutes: float | None = None
    checkpoint_every: int | None = 500  # 0 or None: only at epoch ends
    keep_checkpoints: int = 3
    sample_every: int = 200  # 0: no TensorBoard sample grids
    samples: int = 8
    seed: int = 0
    verbose: int = 1  # 0: silent; else TrainingProgress (a bar on a terminal, epoch lines)
    synbirds: dict | None = None
    jit_compile: bool = False
    skip_nonfinite: bool = False  # skip (and count) non-finite updates instead of stopping
    # The recipe (defaults: the reference's, except the average's warm-up, per preset).
    g_learning_rate: float = 2e-4  # TRAIN.GENERATOR_LR
    d_learning_rate: float = 2e-4  # TRAIN.DISCRIMINATOR_LR
    ema_decay: float = 0.999
    ema_warmup: bool | None = None  # None: the preset's default (EMA_WARMUP_DEFAULTS)
    stages: int | None = None  # None: the preset's branch_num (1..3; 64, 128, 256 px)
    initial_size: int | None = None  # None: the preset's (64; 32 halves every stage's size)


#: Whether the generator's weight average warms up by default, per preset: on
#: for the small CPU presets, whose runs are short (the learning curves in
#: BENCHMARKS.md), off for the paper's configurations (the reference's average).
EMA_WARMUP_DEFAULTS = {"synbirds": True, "synbirds_demo": True, "tiny": True}


def recipe_config(preset: str | AttnGANConfig, stages: int | None = None,
                  initial_size: int | None = None) -> AttnGANConfig:
    """The preset's configuration with ``stages`` generator stages and
    discriminators whose first image is ``initial_size`` px (None: the preset's)."""
    config = get_preset(preset) if isinstance(preset, str) else preset
    changes = {}
    if stages is not None:
        changes["branch_num"] = stages
    if initial_size is not None:
        changes["initial_size"] = initial_size
    if not changes:
        return config
    return config.replace(generator=config.generator.replace(**changes),
                          discriminator=config.discriminator.replace(**changes))


def _check_recipe(run: GanRun) -> None:
    check_run_options(run)
    for name in ("g_learning_rate", "d_learning_rate"):
        value = getattr(run, name)
        if not (isinstance(value, (int, float)) and 0 < value < 1):
            raise ValueError(f"{name}: must be in (0, 1), got {value!r}")
    if run.stages is not None and run.stages not in (1, 2, 3):
        raise ValueError(f"stages: must be 1, 2 or 3, got {run.stages!r}")
    if run.initial_size is not None and run.initial_size not in INITIAL_SIZES:
        raise ValueError(f"initial_size: must be {' or '.join(map(str, INITIAL_SIZES))}, "
                         f"got {run.initial_size!r}")


def train_attngan(run: GanRun, callbacks=()) -> dict:
    """Trains (or resumes) an AttnGAN; returns a summary dict.

    ``callbacks``: more Keras callbacks for ``fit`` (the learning-curve
    benchmark's scorer, for example), run after the checkpoint callback.

    Holds the output directory's lock (:func:`run_lock`) meanwhile; resumes from
    the newest readable checkpoint (:func:`restore_latest`).
    """
    _check_recipe(run)
    with run_lock(run.out):
        return _train_attngan(run, callbacks)


def _train_attngan(run: GanRun, callbacks) -> dict:
    out = pathlib.Path(run.out)
    keras.utils.set_random_seed(run.seed)
    preset_name = run.preset if isinstance(run.preset, str) else run.preset.name
    ema_warmup = (EMA_WARMUP_DEFAULTS.get(preset_name, False) if run.ema_warmup is None
                  else run.ema_warmup)
    model, vocabulary = build_attngan(run.damsm, recipe_config(run.preset, run.stages,
                                                               run.initial_size),
                                      seed=run.seed, ema_decay=run.ema_decay,
                                      ema_warmup=ema_warmup)
    split_kwargs = {"synbirds": run.synbirds} if run.dataset == "synbirds" else {}
    train = load_dataset(run.dataset, run.data_dir, "train", vocabulary=vocabulary,
                         **split_kwargs)
    test = load_dataset(run.dataset, run.data_dir, "test", vocabulary=vocabulary,
                        **split_kwargs)
    check_run_directory(out, model.config, vocabulary)
    batch_size = min(run.batch_size, len(train))
    if batch_size < 2:
        raise ValueError(f"batch size {batch_size}: AttnGAN needs at least 2 examples per batch "
                         "(mismatched-caption pairs); with fewer training images there is "
                         "nothing to train on")
    if batch_size < run.batch_size:
        logger.warning("only %d training images: batch size %d lowered to %d", len(train),
                       run.batch_size, batch_size)
    pipeline = PipelineConfig.for_model(model.config, batch_size=batch_size, seed=run.seed,
                                        repeat=True)
    steps = run.steps_per_epoch or max(1, len(train) // batch_size)

    def train_ds(start_batch: int) -> tf.data.Dataset:
        ds = train.to_tf_dataset(dataclasses.replace(pipeline, start_batch=start_batch))
        return ds.map(lambda b: {k: v for k, v in b.items() if k != "keys"})

    fixed = next(iter(test.to_tf_dataset(dataclasses.replace(
        pipeline, training=False, repeat=False, batch_size=min(run.samples, len(test)),
        drop_remainder=False))))
    fixed = {k: fixed[k] for k in ("captions", "lengths")}

    model.compile(
        g_optimizer=default_gan_optimizer("g_optimizer", run.g_learning_rate),
        d_optimizers=[default_gan_optimizer(f"d_optimizer{i}", run.d_learning_rate)
                      for i in range(model.stages)],
        jit_compile=run.jit_compile, skip_nonfinite=run.skip_nonfinite)
    manager, epoch = make_gan_checkpoint(model, out / "checkpoints", run.keep_checkpoints)
    restored = restore_latest(manager)
    if restored:
        logger.warning("resuming from %s (epoch %d, step %d)", restored,
                       int(epoch), int(model.g_optimizer.iterations.numpy()))
    step = int(model.g_optimizer.iterations.numpy())
    checkpointer = GanCheckpoint(manager, epoch, run.checkpoint_every)
    # The progress bar first: its epoch line ends the bar's line before the others print.
    used = [TrainingProgress(run.epochs * steps, step, run.epochs, run.max_minutes)
            ] if run.verbose else []
    used += [checkpointer, *callbacks,
            keras.callbacks.TensorBoard(str(out / "logs"), write_graph=False)]
    if run.sample_every:
        used.append(SampleGrid(out / "logs", fixed, vocabulary, every=run.sample_every,
                               seed=run.seed))
    if run.max_minutes is not None:
        used.append(TimeLimit(run.max_minutes))
    try:
        fit_from_step(model, train_ds, step=step, epochs=run.epochs, steps_per_epoch=steps,
                      callbacks=used, verbose=0)
    except KeyboardInterrupt:
        print(f"interrupted; run the same command again to resume from "
              f"{manager.latest_checkpoint}")
        raise
    save_attngan(model, out / "model", vocabulary)
    paths = write_samples(model, fixed, vocabulary, out / "samples", seed=run.seed)
    print(f"saved the model to {out / 'model'} and {len(paths)} samples to {out / 'samples'}")
    if checkpointer.skipped:
        print(f"{checkpointer.skipped} step(s) had a non-finite loss or gradient and were "
              "skipped (--skip-nonfinite)")
    return {"epochs": int(epoch), "steps": int(model.g_optimizer.iterations.numpy()),
            "skipped_steps": checkpointer.skipped,
            "model": str(out / "model"), "samples": [str(p) for p in paths],
            "ema_warmup": ema_warmup, "stages": model.config.generator.branch_num,
            "sizes": list(model.config.generator.image_sizes)}
