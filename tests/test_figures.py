"""Attention figures: layout and heat maps."""

from __future__ import annotations

import numpy as np
import pytest

from attngan_tf.figures import TILE, attention_figure, heat_overlay


def test_heat_overlay_marks_where_attention_is_high():
    image = np.zeros((64, 64, 3), np.float32)  # mid grey
    attention = np.full((8, 8), 0.1, np.float32)
    attention[:2, :2] = 0.2  # hot top-left corner, nearly uniform elsewhere
    tile = np.asarray(heat_overlay(image, attention), np.float32)
    corner, rest = tile[:16, :16], tile[-32:, -32:]
    assert corner[..., 0].mean() > rest[..., 0].mean() + 50  # red where attention is high
    assert np.allclose(rest[..., 0], rest[..., 2], atol=2)  # grey elsewhere


def test_figure_layout():
    images = [np.zeros((64, 64, 3)), np.zeros((128, 128, 3)), np.zeros((256, 256, 3))]
    maps = [np.random.default_rng(0).random((64, 64, 12)), np.random.default_rng(1).random(
        (128, 128, 12))]
    words = ["a", "red", "bird", "with", "blue", "wings"]
    figure = attention_figure(images, maps, words, "a red bird with blue wings")
    assert figure.size[0] == len(words) * TILE
    assert figure.size[1] > 3 * TILE and figure.mode == "RGB"
    assert attention_figure(images, maps, words, max_words=2).size[0] == 3 * TILE


def test_caption_grid_places_every_sample_and_refuses_mismatches():
    from attngan_tf.figures import caption_grid

    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    blue = -np.ones((16, 16, 3), np.float32)
    blue[..., 2] = 1.0
    grid = caption_grid([red, blue, red], ["a red bird " * 20, "blue", "red"], columns=2,
                        tile=64)
    assert grid.size == (2 * 72, 2 * (64 + 4 * 11 + 4 + 8))
    pixels = np.asarray(grid)
    assert tuple(pixels[10, 10]) == (255, 0, 0) and tuple(pixels[10, 72 + 10]) == (0, 0, 255)
    assert tuple(pixels[(64 + 60) + 10, 10]) == (255, 0, 0)  # third sample, second row
    assert (pixels[70:110, 4:68] < 128).any()  # caption text under the first picture
    with pytest.raises(ValueError, match="2 images but 1"):
        caption_grid([red, red], ["x"])
