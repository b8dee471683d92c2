"""The attribute oracle: reading a SynBirds image's seven attributes from its pixels.

The oracle never sees the :class:`~attngan_tf.synbirds.attributes.BirdSpec`; it
works like this:

1. Every pixel is converted to CIE L*a*b* (distances there follow perceived
   colour differences more closely than in RGB).
2. The background is the majority nearest background colour (plain or shaded)
   of the pixels on the image border.
3. A pixel belongs to the bird when it is closer to some bird colour than to the
   background (its palette colour, its shaded lower band and the colours
   actually measured on the border). Isolated pixels are dropped and the bird is
   the heaviest connected run of columns and rows of that mask.
4. The bird's extent gives its facing (the head is the top of the bird and lies
   towards the beak), its scale (hence the size) and its centre.
5. Each part's colour is a distance-weighted majority vote of the nearest bird
   colour of the pixels in a disc inside that part (:data:`geometry.PROBES`).

It accepts PIL images, ``uint8`` arrays and float arrays in ``[-1, 1]`` (the
generator's output range) of any resolution; images larger than
:data:`WORKING_SIZE` are reduced to it first.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from PIL import Image

from . import geometry as geo
from .attributes import (ATTRIBUTE_NAMES, BACKGROUND_COLOURS, BIRD_COLOURS, PART_NAMES,
                         SIZE_THRESHOLD, BirdSpec, shade)

__all__ = [
    "WORKING_SIZE",
    "as_rgb_array",
    "rgb_to_lab",
    "predict_attributes",
    "predict_batch",
    "attribute_accuracy",
]

#: Images with a larger side are reduced to this side before analysis.
WORKING_SIZE = 256

ImageLike = Any  # PIL.Image.Image | np.ndarray


def as_rgb_array(image: ImageLike) -> np.ndarray:
    """Convert ``image`` to a ``uint8`` array of shape ``(H, W, 3)``.

    A floating-point array is taken to be in ``[-1, 1]`` (values outside are
    clipped); an integer array to be in ``[0, 255]``. A PIL image of any mode is
    converted to RGB.
    """
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"expected an image of shape (H, W, 3), got {array.shape}")
    if np.issubdtype(array.dtype, np.floating):
        return np.clip(np.rint((array.astype(np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        return np.clip(array, 0, 255).astype(np.uint8)
    raise ValueError(f"unsupported image dtype {array.dtype}")


_C = np.arange(256) / 255.0
_LINEAR_LUT = np.where(_C <= 0.04045, _C / 12.92, ((_C + 0.055) / 1.055) ** 2.4)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB values in ``[0, 255]`` (any leading shape, last axis 3) to CIE L*a*b* (D65)."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        linear = _LINEAR_LUT[rgb]
    else:
        c = rgb.astype(np.float64) / 255.0
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


_BIRD_NAMES = tuple(BIRD_COLOURS)
_BIRD_LAB = rgb_to_lab(np.array(list(BIRD_COLOURS.values()), dtype=np.float64))
_BG_NAMES = tuple(BACKGROUND_COLOURS)
_BG_LAB = rgb_to_lab(np.array([BACKGROUND_COLOURS[n] for n in _BG_NAMES]
                              + [shade(BACKGROUND_COLOURS[n]) for n in _BG_NAMES], dtype=np.float64))
_X0, _X1, _Y0, _Y1 = geo.BIRD_EXTENT
#: Share of the bird's height, from its top, where only the head and beak are.
_HEAD_BAND = 0.30


def _working_array(image: ImageLike) -> np.ndarray:
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        raise ValueError(f"image too small: {w}x{h}")
    side = min(max(h, w), WORKING_SIZE)
    if (h, w) != (side, side):
        rgb = np.asarray(Image.fromarray(rgb).resize((side, side), Image.BILINEAR))
    return rgb


def _sq_dist(lab: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Squared distances, shape ``lab.shape[:-1] + (len(refs),)``."""
    flat = lab.reshape(-1, 3)
    d2 = (np.einsum("ij,ij->i", flat, flat)[:, None] - 2.0 * flat @ refs.T
          + np.einsum("ij,ij->i", refs, refs)[None, :])
    return np.maximum(d2, 0.0).reshape(lab.shape[:-1] + (len(refs),))


def _border(array: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate([array[:width].reshape(-1, array.shape[-1]),
                           array[-width:].reshape(-1, array.shape[-1]),
                           array[width:-width, :width].reshape(-1, array.shape[-1]),
                           array[width:-width, -width:].reshape(-1, array.shape[-1])])


def _background(lab: np.ndarray) -> tuple[str, np.ndarray]:
    """The background's name and the reference colours that count as background."""
    side = lab.shape[0]
    width = max(1, int(round(0.02 * side)))
    border = _border(lab, width)
    nearest = _sq_dist(border, _BG_LAB).argmin(-1) % len(_BG_NAMES)
    index = int(np.bincount(nearest, minlength=len(_BG_NAMES)).argmax())
    top = np.median(lab[:width].reshape(-1, 3), axis=0)
    bottom = np.median(lab[-width:].reshape(-1, 3), axis=0)
    refs = np.stack([_BG_LAB[index], _BG_LAB[index + len(_BG_NAMES)], top, bottom])
    return _BG_NAMES[index], refs


def _neighbour_count(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask.astype(np.int32), 1)
    h, w = mask.shape
    return sum(padded[i:i + h, j:j + w] for i in range(3) for j in range(3))


def _heaviest_run(profile: np.ndarray) -> tuple[int, int] | None:
    """``[start, stop)`` of the run of positive entries with the largest sum."""
    positive = np.concatenate([[0], (profile > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(positive))
    if edges.size == 0:
        return None
    starts, stops = edges[0::2], edges[1::2]
    sums = [profile[a:b].sum() for a, b in zip(starts, stops)]
    k = int(np.argmax(sums))
    return int(starts[k]), int(stops[k])


def _bird_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, x1, y0, y1)`` (stops exclusive) of the bird in ``mask``."""
    cols = _heaviest_run(mask.sum(0))
    if cols is None:
        return None
    rows = _heaviest_run(mask[:, cols[0]:cols[1]].sum(1))
    if rows is None:
        return None
    cols2 = _heaviest_run(mask[rows[0]:rows[1]].sum(0))
    if cols2 is None:
        return None
    return cols2[0], cols2[1], rows[0], rows[1]


def _vote(labels: np.ndarray, mask: np.ndarray, x: float, y: float, radius: float) -> str:
    """Distance-weighted majority of ``labels`` in the disc at ``(x, y)`` (pixel units)."""
    h, w = labels.shape
    reach = max(radius, 1.0) + 1.5
    i0, i1 = max(0, int(np.floor(y - reach))), min(h, int(np.ceil(y + reach)) + 1)
    j0, j1 = max(0, int(np.floor(x - reach))), min(w, int(np.ceil(x + reach)) + 1)
    if i0 >= i1 or j0 >= j1:
        i0, i1 = int(np.clip(y, 0, h - 1)), int(np.clip(y, 0, h - 1)) + 1
        j0, j1 = int(np.clip(x, 0, w - 1)), int(np.clip(x, 0, w - 1)) + 1
    yy, xx = np.mgrid[i0:i1, j0:j1]
    d2 = (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2
    patch_labels = labels[i0:i1, j0:j1].ravel()
    patch_mask = mask[i0:i1, j0:j1].ravel()
    d2 = d2.ravel()
    inside = d2 <= radius ** 2
    if inside.sum() < 4:  # tiny parts at low resolution: the few nearest pixels
        inside = d2 <= np.sort(d2)[min(3, d2.size - 1)]
    weights = np.exp(-d2 / (2.0 * max(radius * 0.6, 0.5) ** 2)) * inside
    if (weights * patch_mask).sum() > 0:
        weights = weights * patch_mask
    votes = np.bincount(patch_labels, weights=weights, minlength=len(_BIRD_NAMES))
    return _BIRD_NAMES[int(votes.argmax())]


def _default_prediction(background: str) -> dict[str, str]:
    guess = {part: _BIRD_NAMES[0] for part in PART_NAMES}
    guess.update(size="small", background=background)
    return {name: guess[name] for name in ATTRIBUTE_NAMES}


def predict_attributes(image: ImageLike) -> dict[str, str]:
    """Recover the seven attributes of a SynBirds(-like) image from its pixels.

    Args:
        image: a PIL image, a ``uint8`` array ``(H, W, 3)`` or a float array in
            ``[-1, 1]``; any resolution (64 px and up is the useful range).

    Returns:
        A dictionary with keys :data:`~attngan_tf.synbirds.attributes.ATTRIBUTE_NAMES`.
        If no bird can be found, parts are guessed as the first bird colour and
        size as ``"small"``.
    """
    rgb = _working_array(image)
    side = rgb.shape[0]
    lab = rgb_to_lab(rgb)
    background, bg_refs = _background(lab)
    bird_d2 = _sq_dist(lab, _BIRD_LAB)
    labels = bird_d2.argmin(-1)
    mask = bird_d2.min(-1) < _sq_dist(lab, bg_refs).min(-1)
    mask &= _neighbour_count(mask) >= 3
    box = _bird_box(mask)
    if box is None:
        return _default_prediction(background)
    x0, x1, y0, y1 = box
    band = mask[y0:y0 + max(1, int(round(_HEAD_BAND * (y1 - y0)))), x0:x1]
    cols = np.nonzero(band)[1]
    head_x = x0 + (cols.mean() + 0.5 if cols.size else (x1 - x0) / 2)
    sign = 1.0 if head_x >= (x0 + x1) / 2 else -1.0
    unit = ((x1 - x0) + (y1 - y0)) / ((_X1 - _X0) + (_Y1 - _Y0))
    cx = (x0 + x1) / 2 - sign * (_X0 + _X1) / 2 * unit
    cy = (y0 + y1) / 2 - (_Y0 + _Y1) / 2 * unit
    result = {}
    for part in PART_NAMES:
        probe = geo.PROBES[part]
        result[part] = _vote(labels, mask, cx + sign * probe.x * unit, cy + probe.y * unit,
                             probe.radius * unit)
    result["size"] = "large" if unit / side > SIZE_THRESHOLD else "small"
    result["background"] = background
    return {name: result[name] for name in ATTRIBUTE_NAMES}


def predict_batch(images: Iterable[ImageLike] | np.ndarray) -> list[dict[str, str]]:
    """:func:`predict_attributes` for each image (a sequence, or an array ``(N, H, W, 3)``)."""
    return [predict_attributes(image) for image in images]


def attribute_accuracy(predictions: Sequence[Mapping[str, str]],
                       truths: Sequence[Mapping[str, str] | BirdSpec]) -> dict[str, float]:
    """Share of correct predictions per attribute, plus their ``"mean"``.

    ``truths`` may hold attribute dictionaries or :class:`BirdSpec` objects.
    """
    if len(predictions) != len(truths):
        raise ValueError(f"{len(predictions)} predictions but {len(truths)} truths")
    if not predictions:
        raise ValueError("no predictions")
    truth_dicts = [t.attributes() if isinstance(t, BirdSpec) else t for t in truths]
    correct = Counter()
    for pred, truth in zip(predictions, truth_dicts):
        for name in ATTRIBUTE_NAMES:
            correct[name] += pred[name] == truth[name]
    accuracy = {name: correct[name] / len(predictions) for name in ATTRIBUTE_NAMES}
    accuracy["mean"] = float(np.mean([accuracy[name] for name in ATTRIBUTE_NAMES]))
    return accuracy
