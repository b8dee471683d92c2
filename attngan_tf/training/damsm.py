"""DAMSM pretraining end to end: data, model, checkpoints, evaluation, export.

``train_damsm(...)`` is what ``attngan train-damsm`` runs. Its output
directory holds ``config.json`` and ``vocabulary.json`` (written first),
``checkpoints/`` (model, optimizer, step and epoch after every epoch),
``logs/`` (TensorBoard scalars and attention images), ``r_precision.json``
and ``damsm/`` (the exported encoders, see :meth:`DAMSM.export`). Running the
same command again resumes from the last checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib

import keras

from ..config import INITIAL_SIZES, AttnGANConfig, get_damsm_preset, get_preset
from ..data import PipelineConfig, load_dataset
from ..metrics import r_precision
from ..models.damsm import DAMSM
from .callbacks import (AttentionImages, CheckpointCallback, RPrecisionCallback, TimeLimit,
                        TrainingProgress, make_checkpoint_manager)
from .checkpoint import restore_latest
from .resume import fit_from_step
from .rundir import check_run_directory, check_run_options, run_lock

__all__ = ["DamsmRun", "train_damsm", "DEFAULT_PRESETS"]

logger = logging.getLogger("attngan_tf.training")

#: Model preset used for each data source unless one is named.
DEFAULT_PRESETS = {"synbirds": "synbirds", "cub": "birds", "coco": "coco", "folder": "birds"}
_TEST_SPLIT = {"synbirds": "test", "cub": "test", "coco": "test", "folder": "test"}


@dataclasses.dataclass(frozen=True)
class DamsmRun:
    """Options of one DAMSM training run (the CLI flags)."""

    dataset: str
    out: str
    data_dir: str | None = None
    preset: str | None = None
    epochs: int = 600
    batch_size: int = 48
    learning_rate: float = 2e-3  # Adam's, x0.98 per epoch (TRAIN.ENCODER_LR)
    text_grad_clip: float | None = 0.25  # TRAIN.RNN_GRAD_CLIP (None: off)
    words_num: int | None = None  # caption length while training (None: the preset's)
    max_minutes: float | None = None
    trunk_weights: str | None = None
    eval_every: int = 1
    attention_every: int = 5
    final_runs: int = 10
    seed: int = 0
    verbose: int = 1  # 0: silent; else TrainingProgress (a bar on a terminal, epoch lines)
    synbirds: dict | None = None
    jit_compile: bool = False  # XLA: no faster on CPU here, and NaN losses (not investigated)

    @classmethod
    def from_recipe(cls, name: str, **options) -> "DamsmRun":
        """A run with the settings of a DAMSM recipe (:data:`~attngan_tf.config.DAMSM_PRESETS`:
        the original's ``cfg/DAMSM/*.yml``); ``options`` (``dataset``, ``out``, ...) win."""
        recipe = get_damsm_preset(name)
        settings = {"preset": recipe.model_preset, "epochs": recipe.epochs,
                    "batch_size": recipe.batch_size, "learning_rate": recipe.learning_rate,
                    "text_grad_clip": recipe.text_grad_clip, "words_num": recipe.words_num}
        settings.update({k: v for k, v in options.items() if v is not None or k not in settings})
        return cls(**settings)


def _config(run: DamsmRun, vocab_size: int) -> AttnGANConfig:
    config = get_preset(run.preset or DEFAULT_PRESETS[run.dataset])
    return config.replace(text=config.text.replace(vocab_size=vocab_size))


def train_damsm(run: DamsmRun) -> dict:
    """Trains (or resumes) a DAMSM; returns a summary dict (also ``r_precision.json``).

    Holds the output directory's lock (:func:`run_lock`) meanwhile; resumes from
    the newest readable checkpoint (:func:`restore_latest`).
    """
    check_run_options(run)
    with run_lock(run.out):
        return _train_damsm(run)


def _train_damsm(run: DamsmRun) -> dict:
    out = pathlib.Path(run.out)
    keras.utils.set_random_seed(run.seed)
    split_kwargs = {"synbirds": run.synbirds} if run.dataset == "synbirds" else {}
    train = load_dataset(run.dataset, run.data_dir, "train", **split_kwargs)
    test = load_dataset(run.dataset, run.data_dir, _TEST_SPLIT[run.dataset],
                        vocabulary=train.vocabulary, **split_kwargs)
    config = _config(run, len(train.vocabulary))
    check_run_directory(out, config, train.vocabulary)

    batch_size = run.batch_size
    if len(train) < batch_size:
        logger.warning("only %d training images: batch size %d lowered to %d", len(train),
                       batch_size, len(train))
        batch_size = len(train)
    images = config.image_encoder.image_size
    # The smallest pipeline image at least as large as what the trunk sees.
    initial = next((s for s in INITIAL_SIZES if s >= images), INITIAL_SIZES[-1])
    branch_num = 1 if images <= initial else (2 if images <= 2 * initial else 3)
    pipeline = PipelineConfig(branch_num=branch_num, initial_size=initial,
                              words_num=run.words_num or config.text.words_num,
                              batch_size=batch_size, seed=run.seed, repeat=True)
    steps = len(train) // batch_size  # one pass over the data per epoch

    def train_ds(start_batch: int):
        # Keys (strings) are not needed to train; without them the step can be XLA-compiled.
        ds = train.to_tf_dataset(dataclasses.replace(pipeline, start_batch=start_batch))
        return ds.map(lambda b: {k: v for k, v in b.items() if k != "keys"})

    test_ds = test.to_tf_dataset(dataclasses.replace(pipeline, training=False, repeat=False))

    damsm = DAMSM(config, trunk_weights=run.trunk_weights)
    damsm.build()
    damsm.compile(learning_rate=run.learning_rate, text_grad_clip=run.text_grad_clip,
                  jit_compile=run.jit_compile)
    manager, epoch = make_checkpoint_manager(out / "checkpoints", damsm)
    restored = restore_latest(manager)
    if restored:
        logger.warning("resuming from %s (epoch %d)", restored, int(epoch))

    r_callback = RPrecisionCallback(test_ds, every=run.eval_every, seed=run.seed)
    # The progress bar first: its epoch line ends the bar's line before the others print.
    callbacks = [TrainingProgress(run.epochs * steps, int(damsm.optimizer.iterations.numpy()),
                                  run.epochs, run.max_minutes)] if run.verbose else []
    callbacks += [CheckpointCallback(manager, epoch), r_callback,
                 keras.callbacks.TensorBoard(str(out / "logs"), write_graph=False),
                 AttentionImages(out / "logs", next(iter(test_ds)), train.vocabulary,
                                 every=run.attention_every)]
    if run.max_minutes is not None:
        callbacks.append(TimeLimit(run.max_minutes))
    try:
        fit_from_step(damsm, train_ds, step=int(damsm.optimizer.iterations.numpy()),
                      epochs=run.epochs, steps_per_epoch=steps, callbacks=callbacks,
                      verbose=0)
    except KeyboardInterrupt:
        print(f"interrupted; run the same command again to resume from epoch {int(epoch)}")
        raise
    result = r_precision(damsm, test_ds, runs=run.final_runs, seed=run.seed,
                         verbose=run.verbose)
    print(f"final test {result}")
    summary = {"epochs": int(epoch), "r_precision_mean": result.mean,
               "r_precision_std": result.std, "runs": list(result.runs),
               "curve": [{"epoch": e, "r_precision": r} for e, r in r_callback.history]}
    (out / "r_precision.json").write_text(json.dumps(summary, indent=1))
    damsm.export(out / "damsm", train.vocabulary)
    print(f"exported the encoders and vocabulary to {out / 'damsm'}")
    return summary
