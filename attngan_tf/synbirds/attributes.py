"""What a SynBirds image shows: palettes, the bird specification and its sampler.

A SynBirds image is fully described by a :class:`BirdSpec`: seven categorical
attributes (the colours of five body parts, the bird's size and the background
colour) plus a pose (where the bird stands, how big it is within its size
class, which way it faces and whether the background has a darker lower band).
The attributes are what captions talk about and what the oracle in
:mod:`attngan_tf.synbirds.oracle` recovers from pixels; the pose only adds
visual variety.

Classes follow CUB's naming: the class of an image is the pair
(crown colour, body colour), giving 100 classes numbered from 1.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from .geometry import BIRD_EXTENT

__all__ = [
    "BIRD_COLOURS",
    "BACKGROUND_COLOURS",
    "BACKGROUND_SHADE",
    "SIZES",
    "SCALE_RANGES",
    "SIZE_THRESHOLD",
    "FACINGS",
    "PART_NAMES",
    "ATTRIBUTE_NAMES",
    "NUM_CLASSES",
    "IMAGE_MARGIN",
    "HORIZON_RANGE",
    "BirdSpec",
    "sample_spec",
    "class_id",
    "class_folder",
    "class_attributes",
    "shade",
]

RGB = tuple[int, int, int]

#: The ten bird colours, in index order (the index enters :func:`class_id`).
BIRD_COLOURS: Mapping[str, RGB] = MappingProxyType({
    "red": (210, 30, 35),
    "orange": (245, 135, 20),
    "yellow": (245, 220, 35),
    "green": (35, 155, 55),
    "blue": (35, 80, 215),
    "purple": (125, 40, 165),
    "brown": (115, 68, 30),
    "black": (25, 25, 25),
    "white": (248, 248, 248),
    "grey": (135, 135, 135),
})

#: Light background colours; none is close to any bird colour.
BACKGROUND_COLOURS: Mapping[str, RGB] = MappingProxyType({
    "light blue": (170, 208, 242),
    "pale green": (190, 232, 180),
    "sandy": (232, 206, 156),
    "lilac": (212, 184, 236),
    "peach": (252, 204, 178),
})

#: Factor applied to a background colour for the lower band of a two-tone background.
BACKGROUND_SHADE = 0.86

SIZES = ("small", "large")

#: Scale (body length as a fraction of the image side) per size. The ranges are disjoint
#: with a gap wide enough that a small bird stays below :data:`SIZE_THRESHOLD` even when
#: the image is zoomed by up to 1.24 (AttnGAN's augmentation zooms by 76/64 = 1.19).
SCALE_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType({
    "small": (0.24, 0.29),
    "large": (0.38, 0.44),
})

#: A scale above this is "large", below it "small".
SIZE_THRESHOLD = 0.36

FACINGS = ("left", "right")

#: The coloured parts; each is also an attribute name.
PART_NAMES = ("crown", "wing", "body", "tail", "beak")

ATTRIBUTE_NAMES = ("crown", "wing", "body", "tail", "beak", "size", "background")

NUM_CLASSES = len(BIRD_COLOURS) ** 2

#: Smallest gap, as a fraction of the image side, between the bird and the image border. At
#: 0.08 the centre crop of AttnGAN's evaluation transform (zoom by 76/64, crop the middle)
#: never cuts the bird: it removes (76 - 64) / 2 / 76 = 0.079 of the side on each side.
IMAGE_MARGIN = 0.08

#: Range of the horizon (top of the darker band) of two-tone backgrounds, fractions of the height.
HORIZON_RANGE = (0.55, 0.85)

_COLOUR_INDEX = {name: i for i, name in enumerate(BIRD_COLOURS)}


def shade(rgb: RGB, factor: float = BACKGROUND_SHADE) -> RGB:
    """Return ``rgb`` darkened by ``factor`` (the lower band of a two-tone background)."""
    return tuple(int(round(c * factor)) for c in rgb)  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class BirdSpec:
    """Everything needed to render one SynBirds image.

    Attributes:
        crown: colour of the head (a key of :data:`BIRD_COLOURS`).
        wing: colour of the wing.
        body: colour of the body and belly.
        tail: colour of the tail.
        beak: colour of the beak.
        size: ``"small"`` or ``"large"``.
        background: a key of :data:`BACKGROUND_COLOURS`.
        cx: horizontal position of the body centre, fraction of the image width.
        cy: vertical position of the body centre, fraction of the image height.
        scale: body length as a fraction of the image side, inside
            ``SCALE_RANGES[size]``.
        facing: ``"left"`` or ``"right"`` (the side the beak points to).
        two_tone: whether the background has a darker lower band.
        horizon: top of the darker band, fraction of the image height (ignored
            unless ``two_tone``).
    """

    crown: str
    wing: str
    body: str
    tail: str
    beak: str
    size: str
    background: str
    cx: float = 0.5
    cy: float = 0.5
    scale: float = 0.27
    facing: str = "right"
    two_tone: bool = False
    horizon: float = 0.7

    def __post_init__(self) -> None:
        for part in PART_NAMES:
            if getattr(self, part) not in BIRD_COLOURS:
                raise ValueError(f"BirdSpec.{part}: unknown colour {getattr(self, part)!r}")
        if self.size not in SIZES:
            raise ValueError(f"BirdSpec.size: must be one of {SIZES}, got {self.size!r}")
        if self.background not in BACKGROUND_COLOURS:
            raise ValueError(f"BirdSpec.background: unknown colour {self.background!r}")
        if self.facing not in FACINGS:
            raise ValueError(f"BirdSpec.facing: must be one of {FACINGS}, got {self.facing!r}")
        low, high = SCALE_RANGES[self.size]
        if not low <= self.scale <= high:
            raise ValueError(f"BirdSpec.scale: {self.scale} outside the {self.size} range "
                             f"[{low}, {high}]")
        if not isinstance(self.two_tone, bool):
            raise ValueError(f"BirdSpec.two_tone: must be a bool, got {self.two_tone!r}")
        if not 0.0 < self.horizon < 1.0:
            raise ValueError(f"BirdSpec.horizon: must be in (0, 1), got {self.horizon}")

    def attributes(self) -> dict[str, str]:
        """The seven attributes, keyed by :data:`ATTRIBUTE_NAMES` in that order."""
        return {name: getattr(self, name) for name in ATTRIBUTE_NAMES}

    def pose(self) -> dict[str, Any]:
        """The non-attribute fields (placement and background layout)."""
        return {"cx": self.cx, "cy": self.cy, "scale": self.scale, "facing": self.facing,
                "two_tone": self.two_tone, "horizon": self.horizon}

    def to_dict(self) -> dict[str, Any]:
        """All fields as a flat JSON-friendly dictionary."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "BirdSpec":
        """Inverse of :meth:`to_dict` (extra keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def is_inside(self, margin: float = 0.0) -> bool:
        """Whether the whole bird lies at least ``margin`` inside the image."""
        x0, x1, y0, y1 = BIRD_EXTENT
        if self.facing == "left":
            x0, x1 = -x1, -x0
        return (self.cx + x0 * self.scale >= margin and self.cx + x1 * self.scale <= 1 - margin
                and self.cy + y0 * self.scale >= margin and self.cy + y1 * self.scale <= 1 - margin)


def sample_spec(rng: np.random.Generator) -> BirdSpec:
    """Draw a random :class:`BirdSpec`.

    Colours, size, background, facing and two-tone are uniform; the scale is
    uniform within the size's range; the position is uniform over the places
    that keep the whole bird :data:`IMAGE_MARGIN` inside the image.
    """
    colours = list(BIRD_COLOURS)
    backgrounds = list(BACKGROUND_COLOURS)
    parts = [colours[int(i)] for i in rng.integers(0, len(colours), size=len(PART_NAMES))]
    size = SIZES[int(rng.integers(0, len(SIZES)))]
    background = backgrounds[int(rng.integers(0, len(backgrounds)))]
    facing = FACINGS[int(rng.integers(0, len(FACINGS)))]
    two_tone = bool(rng.integers(0, 2))
    horizon = float(rng.uniform(*HORIZON_RANGE))
    low, high = SCALE_RANGES[size]
    scale = float(rng.uniform(low, high))
    x0, x1, y0, y1 = BIRD_EXTENT
    if facing == "left":
        x0, x1 = -x1, -x0
    cx = float(rng.uniform(IMAGE_MARGIN - x0 * scale, 1 - IMAGE_MARGIN - x1 * scale))
    cy = float(rng.uniform(IMAGE_MARGIN - y0 * scale, 1 - IMAGE_MARGIN - y1 * scale))
    return BirdSpec(*parts, size=size, background=background, cx=cx, cy=cy, scale=scale,
                    facing=facing, two_tone=two_tone, horizon=horizon)


def class_id(spec: BirdSpec) -> int:
    """The 1-based class of ``spec``: ``crown_index * 10 + body_index + 1`` (1..100)."""
    return _COLOUR_INDEX[spec.crown] * len(BIRD_COLOURS) + _COLOUR_INDEX[spec.body] + 1


def class_attributes(cid: int) -> tuple[str, str]:
    """The (crown, body) colours of class ``cid``; inverse of :func:`class_id`."""
    if not isinstance(cid, (int, np.integer)) or not 1 <= cid <= NUM_CLASSES:
        raise ValueError(f"class id must be an integer in [1, {NUM_CLASSES}], got {cid!r}")
    colours = list(BIRD_COLOURS)
    crown, body = divmod(int(cid) - 1, len(colours))
    return colours[crown], colours[body]


def class_folder(cid: int) -> str:
    """CUB-style folder name of class ``cid``, e.g. ``"001.red_crown_red_body"``."""
    crown, body = class_attributes(cid)
    return f"{int(cid):03d}.{crown}_crown_{body}_body"
