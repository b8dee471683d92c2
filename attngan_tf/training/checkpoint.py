"""Checkpoints that hold every variable of Keras models and optimizers.

TensorFlow's object-graph checkpoints follow attributes, and Keras 3 keeps
sub-layers held in lists in containers that graph does not follow: saving a
model object directly silently skips, for example, the variables of layers
kept in a list that no optimizer updates (frozen encoders, BatchNorm moving
statistics). Here each Keras object is saved as a flat mapping from variable
path to variable, so a restore fills every variable or says which are missing.
"""

from __future__ import annotations

import logging
import pathlib
import re
import shutil

import keras
import tensorflow as tf

__all__ = ["variable_map", "make_checkpoint", "restore_latest", "save_checkpoint",
           "CheckpointError", "CheckpointWriteError"]

logger = logging.getLogger("attngan_tf.training")


class CheckpointError(RuntimeError):
    """No checkpoint of a run directory could be read."""


class CheckpointWriteError(RuntimeError):
    """A checkpoint could not be written (disk full, file size limit, permissions)."""


def _reason(error: Exception) -> str:
    """The first line of an error's message (TensorFlow's op-name wrapping dropped)."""
    text = (getattr(error, "message", None) or str(error)).strip()
    if not text:
        return type(error).__name__
    # TensorFlow's "{{function_node ...}} PATH; File too large [Op:SaveV2]": the cause.
    return re.sub(r"^\{\{[^}]*\}\}\s*|\s*\[Op:\w+\]$", "", text.splitlines()[0])


def save_checkpoint(manager: tf.train.CheckpointManager, number: int | None = None) -> str:
    """``manager.save(checkpoint_number=number)``; a failed write is a clear error.

    TensorFlow writes a checkpoint's files under a temporary name and then
    records it in the manager's index (replaced atomically), so a failed
    write leaves the previous checkpoint the latest; its temporary files are
    removed here. The failure is raised as :class:`CheckpointWriteError` naming
    the directory, the cause and the last good checkpoint -- not as the
    ``OutOfRangeError`` TensorFlow reports for "File too large", which
    ``fit`` would take for the end of the data and stop the epoch silently.
    """
    try:
        return manager.save(checkpoint_number=number)
    except (tf.errors.OpError, OSError) as error:
        directory = pathlib.Path(manager.directory)
        for partial in directory.glob("*_temp"):
            shutil.rmtree(partial, ignore_errors=True)
        reason = _reason(error)
        raise CheckpointWriteError(
            f"{directory}: could not write a checkpoint ({reason[-300:]}); the last good "
            f"checkpoint is {manager.latest_checkpoint or 'none'}. Free disk space and run "
            "the same command again to resume from it.") from error


def variable_map(obj) -> dict:
    """``{key: tf.Variable}`` for every variable of a Keras layer, model or optimizer.

    Optimizers are keyed by position (``"0000"``, ``"0001"``, ...): the names
    of their slot variables embed the model's auto-numbered name, while their
    order follows the model's variables, which construction from a config fixes.

    Paths are relative to the object (its own name, which Keras numbers
    ``model``, ``model_1``, ... per process, is dropped). Paths repeated within
    one object (e.g. two seed generators with the same
    name) get ``#1``, ``#2`` suffixes in variable order, which is fixed by the
    object's construction.
    """
    if isinstance(obj, keras.optimizers.Optimizer):
        return {f"{i:04d}": getattr(v, "value", v) for i, v in enumerate(obj.variables)}
    prefix = f"{getattr(obj, 'name', '')}/"
    out: dict = {}
    unscoped = 0
    for variable in obj.variables:
        if variable.path.startswith(prefix):
            path = variable.path[len(prefix):]
        else:  # e.g. seed generator states, named per process: keyed by order
            path, unscoped = f"unscoped/{unscoped:04d}", unscoped + 1
        key, n = path, 1
        while key in out:
            key, n = f"{path}#{n}", n + 1
        out[key] = getattr(variable, "value", variable)
    return out


def make_checkpoint(**objects) -> tf.train.Checkpoint:
    """A ``tf.train.Checkpoint`` of Keras objects (by variable path) and plain variables.

    Args:
        **objects: Keras layers/models/optimizers (anything with ``variables``)
            or ``tf.Variable``s (e.g. an epoch counter), by name.
    """
    tracked = {name: obj if isinstance(obj, tf.Variable) else variable_map(obj)
               for name, obj in objects.items()}
    return tf.train.Checkpoint(**tracked)


def _checkpoints_on_disk(manager: tf.train.CheckpointManager) -> list[str]:
    """``ckpt-N`` prefixes in the manager's directory, newest (largest N) first."""
    directory = pathlib.Path(manager.directory)
    numbered = []
    for index in directory.glob("ckpt-*.index"):
        number = index.name[len("ckpt-"):-len(".index")]
        if number.isdigit():
            numbered.append((int(number), str(directory / f"ckpt-{number}")))
    if numbered:
        logger.warning("%s: the checkpoint index file is missing or unreadable; found %d "
                       "checkpoint(s) by their files", directory, len(numbered))
    return [path for _, path in sorted(numbered, reverse=True)]


def restore_latest(manager: tf.train.CheckpointManager) -> str | None:
    """Restores the newest readable checkpoint of ``manager``; returns its path.

    A checkpoint that cannot be read (truncated or corrupted files, e.g. after
    a full disk or a killed copy) is reported and the previous one is tried;
    the manager keeps several. Every variable is restored from the one that is
    used (a partial read of a damaged one is overwritten). When the manager's
    index file (``checkpoint``) is missing or unreadable, the checkpoints are
    found by their files (``ckpt-N.index``), newest first, rather than starting
    afresh over them. Returns None when the directory has no checkpoint; raises
    :class:`CheckpointError` naming the files when none can be read.
    """
    candidates = list(reversed(manager.checkpoints)) or _checkpoints_on_disk(manager)
    if not candidates:
        return None
    failures = []
    for path in candidates:
        try:
            manager.checkpoint.restore(path).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, IndexError, AssertionError, OSError) as error:
            reason = _reason(error)
            failures.append(f"{path}: {reason[:300]}")
            logger.warning("checkpoint %s cannot be read (%s); trying the previous one", path,
                           reason[:300])
            continue
        if failures:
            logger.warning("resumed from %s: %d newer checkpoint(s) were unreadable", path,
                           len(failures))
        return path
    directory = pathlib.Path(candidates[0]).parent
    raise CheckpointError(f"{directory}: no checkpoint can be read; move the directory away to "
                          "start afresh. Tried:\n  " + "\n  ".join(failures))
