"""The attribute oracle: reading a SynBirds image's seven attributes from its pixels.

The oracle never sees the :class:`~attngan_tf.synbirds.attributes.BirdSpec`; it
works like this:

1. The image is reduced to at most :data:`WORKING_SIZE` pixels and converted to
   CIE L*a*b* (distances there follow perceived colour differences). If the
   border, which is flat background in a real SynBirds image, is noisy (as in
   generated images), the image is first smoothed in proportion to the noise.
2. The background is the majority nearest background colour (plain or darker
   shade) of the border pixels.
3. The bird's outline is every pixel visibly different from the background (its
   palette colour, its darker shade and the colours measured on the border);
   isolated pixels are dropped and the bird is the heaviest run of columns and
   rows of what is left.
4. The head is at the top of the bird and towards the beak, which gives the
   facing. The scale (hence the size) and the body centre are the averages of an
   estimate from the bounding box and one from the area and centroid of the
   outline, compared with the canonical bird of :mod:`.geometry`.
5. Each part's colour is a weighted majority of the nearest bird colours of the
   pixels in a disc well inside that part (:data:`.geometry.PROBES`); weights
   fall with the distance from the disc's centre and with how far a pixel's
   colour is from any bird colour (mixed colours on edges count little).

It accepts PIL images, ``uint8`` arrays and float arrays in ``[-1, 1]`` (the
generator's output range) of any resolution.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from PIL import Image, ImageFilter

from .attributes import (ATTRIBUTE_NAMES, BACKGROUND_COLOURS, BIRD_COLOURS, PART_NAMES,
                         SIZE_THRESHOLD, BirdSpec, shade)
from .geometry import BIRD_EXTENT, PROBES, silhouette_mask, silhouette_moments

__all__ = [
    "WORKING_SIZE",
    "BIRD_MIN_MATCH",
    "BIRD_MAX_SPILL",
    "BirdLocation",
    "locate_bird",
    "as_rgb_array",
    "rgb_to_lab",
    "predict_attributes",
    "read_bird",
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
    if np.issubdtype(array.dtype, np.integer):
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
#: Background colours, then their darker shades (row i + len(_BG_NAMES) is the shade of row i).
_BG_LAB = rgb_to_lab(np.array([BACKGROUND_COLOURS[n] for n in _BG_NAMES]
                              + [shade(BACKGROUND_COLOURS[n]) for n in _BG_NAMES],
                              dtype=np.float64))
_X0, _X1, _Y0, _Y1 = BIRD_EXTENT
#: Share of the bird's height, from its top, where only the head and beak are.
_HEAD_BAND = 0.30
#: Border noise (L*a*b* units) above which the image is smoothed before analysis ...
_NOISE_FLOOR = 2.5
#: ... with a Gaussian of radius noise / _NOISE_PER_BLUR pixels, at most _MAX_BLUR per 128 px.
_NOISE_PER_BLUR = 6.0
_MAX_BLUR = 1.5
#: A pixel is part of the bird's outline when its L*a*b* distance from the background exceeds
#: this, or _OUTLINE_NOISE_FACTOR times the (remaining) noise if that is larger.
_OUTLINE_DELTA_E = 12.0
_OUTLINE_NOISE_FACTOR = 3.0
#: L*a*b* distance from the nearest bird colour at which a pixel's vote weight drops to 61%.
_PURITY_SCALE = 12.0
#: A bird is found (:func:`locate_bird`) when its outline matches the canonical bird drawn at
#: the place, scale and facing found: intersection over union at least BIRD_MIN_MATCH, and at
#: most BIRD_MAX_SPILL of the pixels outside that silhouette in the outline. Measured
#: (tests/synbirds/test_oracle.py): rendered birds 0.85-0.96 / <= 0.01 (also noisy, cropped,
#: 64 px); uniform noise <= 0.36; smooth noise and checkerboards ~0.7 but spill >= 0.94; one
#: blurred ellipse of a colour 0.49-0.58.
BIRD_MIN_MATCH = 0.70
BIRD_MAX_SPILL = 0.10


def _working_array(image: ImageLike) -> np.ndarray:
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    if h < 8 or w < 8:
        raise ValueError(f"image too small: {w}x{h}")
    side = min(max(h, w), WORKING_SIZE)
    if (h, w) != (side, side):
        rgb = np.asarray(Image.fromarray(rgb).resize((side, side), Image.Resampling.BILINEAR))
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


def _background(lab: np.ndarray, width: int) -> tuple[str, np.ndarray]:
    """The background's name and the reference colours that count as background."""
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


def _noise_level(lab: np.ndarray, width: int) -> float:
    """Robust estimate of the per-channel pixel noise (L*a*b* units) on the image border.

    The border is background, which is flat in a SynBirds image, so differences
    between horizontal neighbours there are noise (the rare horizon crossing
    does not move the median).
    """
    strips = [lab[:width], lab[-width:]]
    diffs = np.concatenate([np.abs(np.diff(strip, axis=1)).reshape(-1) for strip in strips])
    return float(1.4826 * np.median(diffs) / np.sqrt(2.0))


@dataclasses.dataclass(frozen=True)
class BirdLocation:
    """Where the oracle found the bird, in fractions of the image side.

    Attributes:
        facing: ``"left"`` or ``"right"``.
        cx: horizontal position of the body centre.
        cy: vertical position of the body centre.
        scale: estimated ``BirdSpec.scale`` (body length / image side).
        box: ``(x0, x1, y0, y1)`` bounding box of the bird.
        match: intersection over union of the outline found and the canonical
            bird (:func:`~attngan_tf.synbirds.geometry.silhouette_mask`) at
            this place, scale and facing.
        spill: share of the pixels outside that silhouette that are in the
            outline (0 for a bird on a flat background).
    """

    facing: str
    cx: float
    cy: float
    scale: float
    box: tuple[float, float, float, float]
    match: float = float("nan")
    spill: float = float("nan")

    @property
    def is_bird(self) -> bool:
        """Whether the outline has a bird's shape: head, body and tail where the
        geometry puts them (:data:`BIRD_MIN_MATCH`, :data:`BIRD_MAX_SPILL`)."""
        return self.match >= BIRD_MIN_MATCH and self.spill <= BIRD_MAX_SPILL


@dataclasses.dataclass(frozen=True)
class _Analysis:
    background: str
    labels: np.ndarray  # nearest bird colour per pixel
    purity: np.ndarray  # weight in [0, 1]: how close each pixel is to its bird colour
    mask: np.ndarray  # pixels closer to a bird colour than to the background
    location: BirdLocation | None


def _locate(mask: np.ndarray) -> BirdLocation | None:
    """Facing, centre and scale of the bird in ``mask`` (fractions of its side).

    Sides of the bounding box that touch the image border may be cut off (as
    after a random-crop augmentation) and are not used when others are left.
    """
    side = mask.shape[0]
    box = _bird_box(mask)
    if box is None:
        return None
    x0, x1, y0, y1 = box
    inside = np.zeros_like(mask)
    inside[y0:y1, x0:x1] = mask[y0:y1, x0:x1]
    band = inside[y0:y0 + max(1, int(round(_HEAD_BAND * (y1 - y0))))]
    band_cols = np.nonzero(band)[1]
    head_x = band_cols.mean() + 0.5 if band_cols.size else (x0 + x1) / 2
    sign = 1.0 if head_x >= (x0 + x1) / 2 else -1.0
    cut_left, cut_right, cut_top, cut_bottom = x0 <= 0, x1 >= side, y0 <= 0, y1 >= side
    cut_front, cut_back = (cut_right, cut_left) if sign > 0 else (cut_left, cut_right)
    front, back = (x1, x0) if sign > 0 else (x0, x1)
    width, height = (x1 - x0) / (_X1 - _X0), (y1 - y0) / (_Y1 - _Y0)
    rows, cols = np.nonzero(inside)
    area, mx, my = silhouette_moments()
    whole = not (cut_left or cut_right or cut_top or cut_bottom)
    if whole:
        # Two estimates each of the scale and the centre: from the bounding box (exact
        # for clean images) and from the area and centroid (robust to blur and thin tips).
        unit = 0.5 * ((x1 - x0 + y1 - y0) / (_X1 - _X0 + _Y1 - _Y0)
                      + float(np.sqrt(rows.size / area)))
    else:
        whole_sides = [e for e, cut in ((width, cut_left or cut_right),
                                        (height, cut_top or cut_bottom)) if not cut]
        unit = float(np.mean(whole_sides)) if whole_sides else max(width, height)
    xs = [e - sign * x * unit for e, x, cut in ((front, _X1, cut_front), (back, _X0, cut_back))
          if not cut]
    ys = [e - y * unit for e, y, cut in ((y0, _Y0, cut_top), (y1, _Y1, cut_bottom)) if not cut]
    cx = float(np.mean(xs)) if xs else (x0 + x1) / 2 - sign * (_X0 + _X1) / 2 * unit
    cy = float(np.mean(ys)) if ys else (y0 + y1) / 2 - (_Y0 + _Y1) / 2 * unit
    if whole:
        cx = 0.5 * (cx + cols.mean() + 0.5 - sign * mx * unit)
        cy = 0.5 * (cy + rows.mean() + 0.5 - my * unit)
    return BirdLocation(facing="right" if sign > 0 else "left", cx=cx / side, cy=cy / side,
                        scale=unit / side, box=(x0 / side, x1 / side, y0 / side, y1 / side))


def _analyse(image: ImageLike) -> _Analysis:
    rgb = _working_array(image)
    side = rgb.shape[0]
    lab = rgb_to_lab(rgb)
    width = max(1, int(round(0.02 * side)))
    noise = _noise_level(lab, width)
    if noise > _NOISE_FLOOR:  # denoise (generated images); clean renders are left alone
        radius = min(_MAX_BLUR * side / 128.0, noise / _NOISE_PER_BLUR)
        rgb = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius)))
        lab = rgb_to_lab(rgb)
        noise = _noise_level(lab, width)
    background, bg_refs = _background(lab, width)
    bird_d2 = _sq_dist(lab, _BIRD_LAB)
    labels = bird_d2.argmin(-1)
    nearest = bird_d2.min(-1)
    purity = np.exp(-nearest / (2.0 * _PURITY_SCALE ** 2))
    bg_d2 = _sq_dist(lab, bg_refs).min(-1)
    # Pixels closer to a bird colour than to the background vote on part colours;
    # the bird's outline is wider: everything visibly different from the background
    # (this keeps blurred edges and parts whose colour is near the background's).
    mask = nearest < bg_d2
    mask &= _neighbour_count(mask) >= 3
    outline = bg_d2 > max(_OUTLINE_DELTA_E, _OUTLINE_NOISE_FACTOR * noise) ** 2
    outline &= _neighbour_count(outline) >= 3
    return _Analysis(background, labels, purity, mask, _matched(outline, _locate(outline)))


def _matched(outline: np.ndarray, where: BirdLocation | None) -> BirdLocation | None:
    """``where`` with its ``match`` and ``spill`` against the canonical bird."""
    if where is None:
        return None
    silhouette = silhouette_mask(outline.shape[0], where.cx, where.cy, where.scale,
                                 where.facing)
    union = int((outline | silhouette).sum())
    outside = int((~silhouette).sum())
    return dataclasses.replace(
        where, match=float((outline & silhouette).sum() / union) if union else 0.0,
        spill=float((outline & ~silhouette).sum() / outside) if outside else 1.0)


def _vote(analysis: _Analysis, x: float, y: float, radius: float) -> str:
    """Weighted majority of the bird colours in the disc at ``(x, y)`` (pixel units).

    Weights fall off with the distance from the centre and with the distance of
    a pixel's colour from its nearest bird colour, so that the mixed colours on
    edges count little; pixels outside the bird mask count only if no pixel
    inside it is near.
    """
    labels, mask = analysis.labels, analysis.mask
    h, w = labels.shape
    reach = max(radius, 1.0) + 1.5
    i0, i1 = max(0, int(np.floor(y - reach))), min(h, int(np.ceil(y + reach)) + 1)
    j0, j1 = max(0, int(np.floor(x - reach))), min(w, int(np.ceil(x + reach)) + 1)
    if i0 >= i1 or j0 >= j1:
        i0 = min(max(int(y), 0), h - 1)
        j0 = min(max(int(x), 0), w - 1)
        i1, j1 = i0 + 1, j0 + 1
    yy, xx = np.mgrid[i0:i1, j0:j1]
    d2 = ((xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2).ravel()
    patch_labels = labels[i0:i1, j0:j1].ravel()
    inside = d2 <= radius ** 2
    if inside.sum() < 4:  # tiny parts at low resolution: the few nearest pixels
        inside = d2 <= np.sort(d2)[min(3, d2.size - 1)]
    weights = (np.exp(-d2 / (2.0 * max(radius * 0.6, 0.5) ** 2)) * inside
               * (analysis.purity[i0:i1, j0:j1].ravel() + 1e-6))
    in_mask = weights * mask[i0:i1, j0:j1].ravel()
    if in_mask.sum() > 0:
        weights = in_mask
    votes = np.bincount(patch_labels, weights=weights, minlength=len(_BIRD_NAMES))
    return _BIRD_NAMES[int(votes.argmax())]


def _default_prediction(background: str) -> dict[str, str]:
    guess = {part: _BIRD_NAMES[0] for part in PART_NAMES}
    guess.update(size="small", background=background)
    return {name: guess[name] for name in ATTRIBUTE_NAMES}


def locate_bird(image: ImageLike) -> BirdLocation | None:
    """Find the bird in ``image``: its facing, centre and scale; ``None`` if there is
    none -- no outline, or one without a bird's shape (:attr:`BirdLocation.is_bird`:
    noise, flat colour, a blob). :func:`predict_attributes` still reads colours
    where its best guess of a bird is."""
    return _found(_analyse(image))


def _found(analysis: _Analysis) -> BirdLocation | None:
    where = analysis.location
    return where if where is not None and where.is_bird else None


def read_bird(image: ImageLike) -> tuple[dict[str, str], BirdLocation | None]:
    """``(predict_attributes(image), locate_bird(image))`` from one analysis."""
    analysis = _analyse(image)
    return _predict(analysis), _found(analysis)


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
    return _predict(_analyse(image))


def _predict(analysis: _Analysis) -> dict[str, str]:
    where = analysis.location
    if where is None:
        return _default_prediction(analysis.background)
    side = analysis.mask.shape[0]
    sign = 1.0 if where.facing == "right" else -1.0
    unit = where.scale * side
    result = {}
    for part in PART_NAMES:
        probe = PROBES[part]
        result[part] = _vote(analysis, where.cx * side + sign * probe.x * unit,
                             where.cy * side + probe.y * unit, probe.radius * unit)
    result["size"] = "large" if where.scale > SIZE_THRESHOLD else "small"
    result["background"] = analysis.background
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
