"""Input checks shared by the public models.

Shape checks use static shapes and run whenever a model is traced or called.
Value checks (token ids in range, caption lengths in ``1..T``) need concrete
values, so they run only when a model is called eagerly; inside a
``tf.function`` (``fit``, SavedModel) callers are trusted, as with any Keras layer.
Every failure is a ``ValueError`` whose message starts with the argument name.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _static_shape(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        x = np.asarray(x)
        shape = x.shape
    return tuple(shape)


def check_rank(name: str, x, rank: int, layout: str) -> tuple:
    """Raises ``ValueError`` unless ``x`` has ``rank`` dimensions; returns its shape."""
    shape = _static_shape(x)
    if len(shape) != rank:
        raise ValueError(f"{name}: expected a rank-{rank} tensor {layout}, got shape {shape}")
    return shape


def check_batch(**named) -> None:
    """Raises ``ValueError`` if the (known) leading dimensions differ."""
    sizes = {name: _static_shape(x)[0] for name, x in named.items() if x is not None}
    known = {name: b for name, b in sizes.items() if b is not None}
    if len(set(known.values())) > 1:
        listing = ", ".join(f"{name}={b}" for name, b in known.items())
        first = next(iter(known))
        raise ValueError(f"{first}: batch sizes differ ({listing})")


def check_last_dim(name: str, x, size: int, layout: str) -> None:
    shape = _static_shape(x)
    if shape[-1] is not None and shape[-1] != size:
        raise ValueError(f"{name}: expected {layout} with last dimension {size}, got {shape}")


def is_eager(*tensors) -> bool:
    """True when every tensor has a concrete value (eager call, not a trace)."""
    if not tf.executing_eagerly():
        return False
    return all(not isinstance(t, tf.Tensor) or hasattr(t, "numpy") for t in tensors)


def check_captions(token_ids, lengths, vocab_size: int) -> None:
    """Checks caption ids and lengths.

    Args:
        token_ids: ``[B, T]`` integer ids in ``[0, vocab_size)``.
        lengths: ``[B]`` integer lengths in ``[1, T]``.
        vocab_size: number of embedding rows.
    """
    ids_shape = check_rank("token_ids", token_ids, 2, "[batch, words]")
    check_rank("lengths", lengths, 1, "[batch]")
    check_batch(token_ids=token_ids, lengths=lengths)
    for name, x in (("token_ids", token_ids), ("lengths", lengths)):
        dtype = getattr(x, "dtype", None)
        dtype = tf.as_dtype(np.asarray(x).dtype if dtype is None else dtype)
        if not dtype.is_integer:
            raise ValueError(f"{name}: expected integer values, got dtype {dtype.name}")
    if not is_eager(token_ids, lengths):
        return
    ids = np.asarray(token_ids)
    lens = np.asarray(lengths)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"token_ids: ids must be in [0, {vocab_size}) (vocab_size), "
            f"got min {ids.min()} and max {ids.max()}")
    words = ids_shape[1]
    if lens.size and (lens.min() < 1 or lens.max() > words):
        raise ValueError(
            f"lengths: every caption length must be in [1, {words}] (the padded length T), "
            f"got min {lens.min()} and max {lens.max()}")
