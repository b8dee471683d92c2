"""The canonical shape of a SynBirds bird, shared by the renderer and the oracle.

Coordinates are in *bird units*: the origin is the centre of the body, one unit
is the bird's scale (``BirdSpec.scale`` times the image side), x grows towards
the beak of a right-facing bird and y grows downwards (image convention). A
left-facing bird is the mirror image (x -> -x).

The renderer draws the shapes below; the oracle reads each part's colour from a
small disc (:data:`PROBES`) that lies well inside the visible part of that part,
after locating the bird through its extent (:data:`BIRD_EXTENT`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from types import MappingProxyType
from typing import Mapping

import numpy as np

__all__ = [
    "Ellipse",
    "Polygon",
    "BODY",
    "HEAD",
    "WING",
    "TAIL",
    "BEAK",
    "EYE",
    "EYE_RING",
    "BIRD_EXTENT",
    "Probe",
    "PROBES",
    "silhouette_moments",
    "silhouette_mask",
]

Point = tuple[float, float]


@dataclasses.dataclass(frozen=True)
class Ellipse:
    """An ellipse: centre ``(cx, cy)``, semi-axes ``rx``, ``ry``, rotated by ``angle`` degrees."""

    cx: float
    cy: float
    rx: float
    ry: float
    angle: float = 0.0

    def outline(self, n: int = 96) -> np.ndarray:
        """``n`` points on the boundary, shape ``(n, 2)``."""
        t = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
        a = math.radians(self.angle)
        u, v = self.rx * np.cos(t), self.ry * np.sin(t)
        x = self.cx + u * math.cos(a) - v * math.sin(a)
        y = self.cy + u * math.sin(a) + v * math.cos(a)
        return np.stack([x, y], axis=1)


@dataclasses.dataclass(frozen=True)
class Polygon:
    """A polygon given by its vertices."""

    points: tuple[Point, ...]

    def outline(self, n: int = 0) -> np.ndarray:
        """The vertices, shape ``(len(points), 2)`` (``n`` is ignored)."""
        del n
        return np.asarray(self.points, dtype=np.float64)


BODY = Ellipse(0.0, 0.0, 0.50, 0.32)
HEAD = Ellipse(0.40, -0.36, 0.24, 0.24)
WING = Ellipse(-0.10, -0.08, 0.33, 0.16, angle=-12.0)
TAIL = Polygon(((-0.35, -0.12), (-0.35, 0.12), (-0.92, 0.28), (-0.92, -0.08)))
BEAK = Polygon(((0.55, -0.52), (0.55, -0.20), (0.98, -0.36)))
EYE = Ellipse(0.50, -0.40, 0.045, 0.045)
EYE_RING = Ellipse(0.50, -0.40, 0.075, 0.075)

#: (x_min, x_max, y_min, y_max) of the whole bird, facing right.
BIRD_EXTENT = (-0.92, 0.98, -0.60, 0.32)


@dataclasses.dataclass(frozen=True)
class Probe:
    """A disc at ``(x, y)`` with radius ``radius`` inside the visible part of one part."""

    x: float
    y: float
    radius: float


#: Where the oracle reads each part's colour.
PROBES: Mapping[str, Probe] = MappingProxyType({
    "crown": Probe(0.30, -0.37, 0.09),
    "wing": Probe(-0.10, -0.08, 0.09),
    "body": Probe(0.20, 0.15, 0.08),
    "tail": Probe(-0.74, 0.07, 0.08),
    "beak": Probe(0.71, -0.36, 0.06),
})


@functools.lru_cache(maxsize=None)
def silhouette_moments(resolution: int = 1000) -> tuple[float, float, float]:
    """Area and centroid ``(area, x, y)`` of the whole bird (facing right), in bird units.

    Computed by rasterising the parts at ``resolution`` pixels per unit.
    """
    x0, x1, y0, y1 = BIRD_EXTENT
    pad = 2
    width = int(math.ceil((x1 - x0) * resolution)) + 2 * pad
    height = int(math.ceil((y1 - y0) * resolution)) + 2 * pad
    mask = _rasterise(width, height, lambda p: (p - (x0, y0)) * resolution + pad, 720)
    rows, cols = np.nonzero(mask)
    area = mask.sum() / resolution ** 2
    cx = (cols.mean() + 0.5 - pad) / resolution + x0
    cy = (rows.mean() + 0.5 - pad) / resolution + y0
    return float(area), float(cx), float(cy)


def silhouette_mask(side: int, cx: float, cy: float, scale: float, facing: str) -> np.ndarray:
    """``(side, side)`` bool: the whole bird (tail, body, wing, head, beak) drawn with
    its body centre at ``(cx, cy)`` and body length ``scale`` (fractions of the
    side), facing ``"left"`` or ``"right"`` -- where a bird found at that place
    must have its pixels."""
    sign = 1.0 if facing == "right" else -1.0
    unit = scale * side
    return _rasterise(side, side, lambda p: p * (sign * unit, unit) + (cx * side, cy * side), 96)


def _rasterise(width: int, height: int, to_pixels, points: int) -> np.ndarray:
    """``(height, width)`` bool: the bird's parts, each outline (``points`` per
    ellipse) mapped to pixel coordinates by ``to_pixels([N, 2]) -> [N, 2]``."""
    from PIL import Image, ImageDraw  # local: keep this module free of drawing at import

    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for shape in (TAIL, BODY, WING, HEAD, BEAK):
        pixels = to_pixels(shape.outline(points))
        draw.polygon([(float(a), float(b)) for a, b in pixels], fill=255)
    return np.asarray(canvas) > 127
