"""Drawing a :class:`~attngan_tf.synbirds.attributes.BirdSpec` as an RGB image.

The bird is drawn with flat colours at ``size * supersample`` pixels and then
downsampled with a Lanczos filter, which gives smooth (anti-aliased) edges while
the inside of every part keeps its exact palette colour. Parts are drawn back to
front: tail, body, wing, head, beak, eye.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .attributes import BACKGROUND_COLOURS, BIRD_COLOURS, BirdSpec, shade
from .geometry import BEAK, BODY, EYE, EYE_RING, HEAD, TAIL, WING

__all__ = ["render", "EYE_COLOUR", "EYE_RING_COLOUR"]

EYE_COLOUR = (12, 12, 12)
#: Light ring around the eye so that it shows on a black head.
EYE_RING_COLOUR = (236, 236, 236)


def _to_pixels(points: np.ndarray, spec: BirdSpec, side: int) -> list[tuple[float, float]]:
    """Map bird-unit points to pixel coordinates of a ``side`` x ``side`` canvas."""
    unit = spec.scale * side
    sign = 1.0 if spec.facing == "right" else -1.0
    x = spec.cx * side + sign * points[:, 0] * unit
    y = spec.cy * side + points[:, 1] * unit
    return [(float(a), float(b)) for a, b in zip(x, y)]


def render(spec: BirdSpec, size: int = 256, supersample: int = 4) -> Image.Image:
    """Render ``spec`` as a ``size`` x ``size`` RGB image.

    Args:
        spec: the bird to draw.
        size: output side in pixels.
        supersample: the drawing is made at ``size * supersample`` pixels and
            reduced with ``Image.LANCZOS``; 1 disables anti-aliasing.

    Returns:
        A PIL image in mode ``"RGB"``.
    """
    if int(size) < 8:
        raise ValueError(f"size must be at least 8, got {size}")
    if int(supersample) < 1:
        raise ValueError(f"supersample must be at least 1, got {supersample}")
    side = int(size) * int(supersample)
    bg = BACKGROUND_COLOURS[spec.background]
    canvas = Image.new("RGB", (side, side), bg)
    draw = ImageDraw.Draw(canvas)
    if spec.two_tone:
        top = spec.horizon * side
        draw.rectangle([(0.0, top), (float(side), float(side))], fill=shade(bg))

    def fill(shape, colour) -> None:
        draw.polygon(_to_pixels(shape.outline(), spec, side), fill=colour)

    fill(TAIL, BIRD_COLOURS[spec.tail])
    fill(BODY, BIRD_COLOURS[spec.body])
    fill(WING, BIRD_COLOURS[spec.wing])
    fill(HEAD, BIRD_COLOURS[spec.crown])
    fill(BEAK, BIRD_COLOURS[spec.beak])
    fill(EYE_RING, EYE_RING_COLOUR)
    fill(EYE, EYE_COLOUR)
    if supersample == 1:
        return canvas
    return canvas.resize((int(size), int(size)), Image.Resampling.LANCZOS)
