"""Palettes, BirdSpec, the spec sampler and the class numbering."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from attngan_tf.synbirds import attributes as A
from attngan_tf.synbirds.geometry import BIRD_EXTENT
from attngan_tf.synbirds.oracle import rgb_to_lab


def _lab(colours) -> np.ndarray:
    return rgb_to_lab(np.array(list(colours), dtype=np.float64))


def test_palettes_have_the_promised_shape():
    assert list(A.BIRD_COLOURS) == ["red", "orange", "yellow", "green", "blue", "purple", "brown",
                                    "black", "white", "grey"]
    assert 5 <= len(A.BACKGROUND_COLOURS) <= 6
    assert A.SIZES == ("small", "large")
    assert A.ATTRIBUTE_NAMES == ("crown", "wing", "body", "tail", "beak", "size", "background")
    for rgb in list(A.BIRD_COLOURS.values()) + list(A.BACKGROUND_COLOURS.values()):
        assert len(rgb) == 3 and all(0 <= c <= 255 for c in rgb)


def test_colours_are_well_separated():
    bird = _lab(A.BIRD_COLOURS.values())
    pairwise = np.sqrt(((bird[:, None] - bird[None]) ** 2).sum(-1))
    np.fill_diagonal(pairwise, np.inf)
    assert pairwise.min() > 25.0  # CIE76 delta E
    backgrounds = _lab(A.BACKGROUND_COLOURS.values())
    shades = _lab(A.shade(c) for c in A.BACKGROUND_COLOURS.values())
    for own in (backgrounds, shades):
        to_bird = np.sqrt(((own[:, None] - bird[None]) ** 2).sum(-1)).min(1)
        assert to_bird.min() > 20.0, "a background (or its shade) is close to a bird colour"
        to_other = np.sqrt(((own[:, None] - backgrounds[None]) ** 2).sum(-1))
        nearest = to_other.argmin(1)
        assert (nearest == np.arange(len(backgrounds))).all()


def test_class_numbering():
    seen = set()
    for crown in A.BIRD_COLOURS:
        for body in A.BIRD_COLOURS:
            spec = A.BirdSpec(crown, "red", body, "red", "red", "small", "lilac")
            cid = A.class_id(spec)
            assert A.class_attributes(cid) == (crown, body)
            assert A.class_folder(cid) == f"{cid:03d}.{crown}_crown_{body}_body"
            seen.add(cid)
    assert seen == set(range(1, 101))
    assert A.class_folder(1) == "001.red_crown_red_body"
    assert A.class_folder(12) == "012.orange_crown_orange_body"
    assert A.class_folder(100) == "100.grey_crown_grey_body"
    with pytest.raises(ValueError):
        A.class_folder(0)
    with pytest.raises(ValueError):
        A.class_folder(101)


def test_spec_validation():
    good = A.BirdSpec("red", "blue", "white", "black", "yellow", "large", "peach", scale=0.4)
    assert good.attributes() == {"crown": "red", "wing": "blue", "body": "white", "tail": "black",
                                 "beak": "yellow", "size": "large", "background": "peach"}
    assert A.BirdSpec.from_dict(good.to_dict()) == good
    with pytest.raises(dataclasses.FrozenInstanceError):
        good.crown = "blue"  # type: ignore[misc]
    for change in ({"crown": "pink"}, {"background": "red"}, {"size": "medium"},
                   {"facing": "up"}, {"scale": 0.30}, {"horizon": 1.5}, {"two_tone": 1}):
        with pytest.raises(ValueError):
            dataclasses.replace(good, **change)


def test_sampler_is_uniform_and_keeps_the_bird_inside():
    rng = np.random.default_rng(11)
    specs = [A.sample_spec(rng) for _ in range(3000)]
    for part in A.PART_NAMES:
        counts = np.array([sum(getattr(s, part) == c for s in specs) for c in A.BIRD_COLOURS])
        assert counts.min() > 230 and counts.max() < 370, (part, counts)
    for name, values in (("size", A.SIZES), ("background", tuple(A.BACKGROUND_COLOURS)),
                         ("facing", A.FACINGS), ("two_tone", (False, True))):
        counts = np.array([sum(getattr(s, name) == v for s in specs) for v in values])
        expected = len(specs) / len(values)
        assert (np.abs(counts - expected) < 0.15 * expected).all(), (name, counts)
    x0, x1, y0, y1 = BIRD_EXTENT
    for s in specs:
        low, high = A.SCALE_RANGES[s.size]
        assert low <= s.scale <= high
        assert s.is_inside(A.IMAGE_MARGIN)
        left, right = (x0, x1) if s.facing == "right" else (-x1, -x0)
        assert 0 < s.cx + left * s.scale and s.cx + right * s.scale < 1
        assert 0 < s.cy + y0 * s.scale and s.cy + y1 * s.scale < 1
    # AttnGAN's evaluation transform (zoom by 76/64, centre crop) keeps the whole bird.
    zoom = 76 / 64
    for s in specs:
        left, right = (x0, x1) if s.facing == "right" else (-x1, -x0)
        for low, high in ((s.cx + left * s.scale, s.cx + right * s.scale),
                          (s.cy + y0 * s.scale, s.cy + y1 * s.scale)):
            assert 0 <= low * zoom - (zoom - 1) / 2 and high * zoom - (zoom - 1) / 2 <= 1
    # Size is recoverable from the scale: the ranges are disjoint around the threshold.
    assert A.SCALE_RANGES["small"][1] < A.SIZE_THRESHOLD < A.SCALE_RANGES["large"][0]
    # The same generator state gives the same spec.
    again = [A.sample_spec(np.random.default_rng([5, 7])) for _ in range(2)]
    assert again[0] == again[1]
