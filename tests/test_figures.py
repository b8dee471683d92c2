"""Attention figures: layout and heat maps."""

from __future__ import annotations

import numpy as np

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
