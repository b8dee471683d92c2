"""PyTorch ↔ Keras weight layouts, and the checked assignment of a state dict.

A model's weights are listed as *pairs*: a reference (PyTorch) parameter name,
the Keras variable it fills and the :class:`Transform` between the layouts.
:func:`assign` loads a state dict through such a list, raising
:class:`StateDictError` (naming the key) for an unknown, missing or misshapen
key. The pair lists of our models are in :mod:`attngan_tf.convert.state_dict`
and, for the Inception-v3 trunk, :mod:`attngan_tf.models.inception`.
Nothing here imports the models.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import numpy as np

__all__ = [
    "Transform",
    "Pair",
    "StateDictError",
    "IDENTITY",
    "CONV",
    "LINEAR",
    "CONV1X1_TO_DENSE",
    "row_permutation",
    "conv_pairs",
    "linear_pairs",
    "bn_pairs",
    "assign",
    "ensure_built",
]


class Transform:
    """A layout change from the reference's array to ours, with its inverse."""

    def __init__(self, forward: Callable[[np.ndarray], np.ndarray],
                 inverse: Callable[[np.ndarray], np.ndarray]):
        self.forward = forward
        self.inverse = inverse


Pair = tuple[str, object, Transform]


class StateDictError(ValueError):
    """A state dict does not fit the model (names the offending key)."""


IDENTITY = Transform(lambda w: w, lambda w: w)
# Conv2d (out, in, kh, kw) <-> Keras (kh, kw, in, out).
CONV = Transform(lambda w: np.transpose(w, (2, 3, 1, 0)), lambda w: np.transpose(w, (3, 2, 0, 1)))
# Linear (out, in) <-> Dense (in, out).
LINEAR = Transform(np.transpose, np.transpose)
# 1x1 Conv2d on word vectors (out, in, 1, 1) <-> Dense (in, out).
CONV1X1_TO_DENSE = Transform(lambda w: np.transpose(w[:, :, 0, 0]),
                             lambda w: np.transpose(w)[:, :, None, None])


def row_permutation(perm: np.ndarray, then_transpose: bool = False) -> Transform:
    """Ours = reference rows reordered by ``perm`` (optionally then transposed)."""
    inv = np.argsort(perm)
    if then_transpose:
        return Transform(lambda w: np.transpose(w[perm]), lambda w: np.transpose(w)[inv])
    return Transform(lambda w: w[perm], lambda w: w[inv])


def conv_pairs(prefix: str, layer) -> list[Pair]:
    """A Conv2d's ``weight`` (and ``bias``) → a Keras ``Conv2D``'s kernel (and bias)."""
    pairs = [(f"{prefix}.weight", layer.kernel, CONV)]
    if layer.use_bias:
        pairs.append((f"{prefix}.bias", layer.bias, IDENTITY))
    return pairs


def linear_pairs(prefix: str, layer) -> list[Pair]:
    """A Linear's ``weight`` (and ``bias``) → a Keras ``Dense``'s kernel (and bias)."""
    pairs = [(f"{prefix}.weight", layer.kernel, LINEAR)]
    if layer.use_bias:
        pairs.append((f"{prefix}.bias", layer.bias, IDENTITY))
    return pairs


def bn_pairs(prefix: str, bn, transform: Transform = IDENTITY) -> list[Pair]:
    """A BatchNorm's ``weight, bias, running_mean, running_var`` → ``gamma, beta,
    moving_mean, moving_variance``."""
    return [
        (f"{prefix}.weight", bn.gamma, transform),
        (f"{prefix}.bias", bn.beta, transform),
        (f"{prefix}.running_mean", bn.moving_mean, transform),
        (f"{prefix}.running_var", bn.moving_variance, transform),
    ]


def assign(pairs: Iterable[Pair], state: Mapping[str, np.ndarray], module: str) -> None:
    """Loads ``state`` through ``pairs``: every key checked (names, then shapes)
    before any variable is assigned; errors name ``module`` and the key."""
    pairs = list(pairs)
    expected = {key for key, _, _ in pairs}
    bn_prefixes = {key.rsplit(".", 1)[0] for key in expected if key.endswith(".running_mean")}
    ignorable = {f"{p}.num_batches_tracked" for p in bn_prefixes}
    unexpected = sorted(k for k in state if k not in expected and k not in ignorable)
    if unexpected:
        raise StateDictError(
            f"{module}: unexpected key {unexpected[0]!r}"
            + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""))
    missing = [k for k, _, _ in pairs if k not in state]
    if missing:
        raise StateDictError(
            f"{module}: missing key {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    values = []
    for key, variable, transform in pairs:
        value = transform.forward(np.asarray(state[key], dtype=np.float32))
        if tuple(value.shape) != tuple(variable.shape):
            raise StateDictError(
                f"{module}: key {key!r} has shape {tuple(np.shape(state[key]))}, which does not "
                f"fit {variable.path} of shape {tuple(variable.shape)}")
        values.append(value)
    for (_, variable, _), value in zip(pairs, values):
        variable.assign(value)


def ensure_built(model) -> None:
    """Builds ``model`` (from its config) if it is not built yet."""
    if not model.built:
        model.build()
