"""The renderer draws each part in its palette colour where the geometry says."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from attngan_tf.synbirds import geometry as geo
from attngan_tf.synbirds.attributes import (BACKGROUND_COLOURS, BIRD_COLOURS, PART_NAMES, BirdSpec,
                                            sample_spec, shade)
from attngan_tf.synbirds.render import render


def _pixel(image: np.ndarray, spec: BirdSpec, x: float, y: float) -> np.ndarray:
    side = image.shape[0]
    sign = 1 if spec.facing == "right" else -1
    col = int((spec.cx + sign * x * spec.scale) * side)
    row = int((spec.cy + y * spec.scale) * side)
    return image[row, col].astype(int)


def test_parts_have_their_colours_at_the_probes():
    rng = np.random.default_rng(3)
    for _ in range(40):
        spec = sample_spec(rng)
        image = np.asarray(render(spec, size=256))
        assert image.shape == (256, 256, 3) and image.dtype == np.uint8
        for part in PART_NAMES:
            probe = geo.PROBES[part]
            got = _pixel(image, spec, probe.x, probe.y)
            assert np.abs(got - BIRD_COLOURS[getattr(spec, part)]).max() <= 2, (spec, part)
        top = image[1, 1].astype(int)
        assert np.abs(top - BACKGROUND_COLOURS[spec.background]).max() <= 1
        bottom = image[-2, 1].astype(int)
        expected = shade(BACKGROUND_COLOURS[spec.background]) if spec.two_tone else \
            BACKGROUND_COLOURS[spec.background]
        assert np.abs(bottom - expected).max() <= 1


def test_eye_is_dark_with_a_light_ring():
    spec = BirdSpec("black", "red", "red", "red", "red", "large", "lilac", scale=0.42)
    image = np.asarray(render(spec, size=256))
    assert _pixel(image, spec, geo.EYE.cx, geo.EYE.cy).max() < 40
    ring_x = geo.EYE.cx + (geo.EYE.rx + geo.EYE_RING.rx) / 2
    assert _pixel(image, spec, ring_x, geo.EYE.cy).min() > 200


def test_left_is_the_mirror_of_right_and_rendering_is_deterministic():
    spec = BirdSpec("red", "blue", "white", "black", "yellow", "large", "peach", cx=0.5,
                    scale=0.4, two_tone=True)
    right = np.asarray(render(spec, size=128)).astype(int)
    left = np.asarray(render(dataclasses.replace(spec, facing="left"), size=128)).astype(int)
    assert np.abs(left - right[:, ::-1]).max() <= 3
    assert (np.asarray(render(spec, size=128)) == right).all()
    assert render(spec, size=64, supersample=1).size == (64, 64)
    with pytest.raises(ValueError):
        render(spec, size=4)


def test_probes_lie_inside_the_visible_part_and_extent_is_tight():
    spec = BirdSpec("red", "blue", "yellow", "green", "purple", "large", "lilac", cx=0.5, cy=0.55,
                    scale=0.44)
    side = 600
    image = np.asarray(render(spec, size=side, supersample=1)).astype(int)
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    unit = spec.scale * side
    for part in PART_NAMES:
        probe = geo.PROBES[part]
        disc = ((xx - (spec.cx * side + probe.x * unit)) ** 2
                + (yy - (spec.cy * side + probe.y * unit)) ** 2) <= (probe.radius * unit) ** 2
        assert disc.sum() > 100
        assert (image[disc] == BIRD_COLOURS[getattr(spec, part)]).all(), part
    outlines = np.concatenate([shape.outline() for shape in (geo.TAIL, geo.BODY, geo.WING,
                                                             geo.HEAD, geo.BEAK)])
    extent = (outlines[:, 0].min(), outlines[:, 0].max(), outlines[:, 1].min(),
              outlines[:, 1].max())
    assert np.allclose(extent, geo.BIRD_EXTENT, atol=1e-3)
    bird = (image != BACKGROUND_COLOURS["lilac"]).any(-1)
    rows, cols = np.nonzero(bird)
    measured = ((cols.min() - spec.cx * side) / unit, (cols.max() + 1 - spec.cx * side) / unit,
                (rows.min() - spec.cy * side) / unit, (rows.max() + 1 - spec.cy * side) / unit)
    assert np.allclose(measured, geo.BIRD_EXTENT, atol=0.02)
    area, _, _ = geo.silhouette_moments()
    assert abs(bird.sum() / unit ** 2 / area - 1) < 0.01
