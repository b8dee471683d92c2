"""Figures for people: a sample's stages and its word-attention maps, as in the paper.

:func:`attention_figure` lays out, for one caption, the images of every stage
side by side (top row), then for each attention stage one tile per word: the
stage's image with a heat map of that word's attention over it and the word
written underneath. :func:`caption_grid` lays out many samples, each with its
caption wrapped underneath. Pure PIL and numpy; the default bitmap font
(nothing is downloaded).
"""

from __future__ import annotations

import textwrap
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .images import to_uint8

__all__ = ["attention_figure", "caption_grid", "heat_overlay"]

TILE = 128
LABEL = 16


def heat_overlay(image: np.ndarray, attention: np.ndarray, size: int = TILE) -> Image.Image:
    """An image ``[S, S, 3]`` in [-1, 1] blended with a red-yellow heat map of ``attention [h, w]``.

    The map is stretched to its own [min, max], so every word's tile shows
    where its attention is relatively high, even when it is nearly uniform.
    """
    base = Image.fromarray(np.asarray(to_uint8(image))).resize((size, size), Image.BILINEAR)
    heat = np.asarray(attention, np.float32)
    heat = (heat - heat.min()) / max(float(heat.max() - heat.min()), 1e-12)
    heat = np.asarray(Image.fromarray((heat * 255).astype(np.uint8)).resize(
        (size, size), Image.BILINEAR), np.float32)[..., None] / 255.0
    colour = np.concatenate([np.ones_like(heat), heat, np.zeros_like(heat)], axis=-1) * 255
    grey = np.asarray(base.convert("L").convert("RGB"), np.float32)
    blended = grey * (1 - 0.7 * heat) + colour * 0.7 * heat
    return Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))


def attention_figure(images: Sequence[np.ndarray], attention_maps: Sequence[np.ndarray],
                     words: Sequence[str], caption: str = "",
                     max_words: int | None = None) -> Image.Image:
    """One caption's figure.

    Args:
        images: per stage ``[S, S, 3]`` in [-1, 1].
        attention_maps: per refinement stage ``[S, S, T]`` (word t at channel t).
        words: the caption's known words, in order (``len(words) <= T``).
        caption: the raw caption, written on top.
        max_words: at most this many word tiles per row (default: all).

    Returns a PIL RGB image.
    """
    words = list(words)[:max_words] if max_words else list(words)
    columns = max(len(images), len(words), 1)
    font = ImageFont.load_default()
    header = LABEL + 4
    rows = 1 + len(attention_maps)
    figure = Image.new("RGB", (columns * TILE, header + rows * (TILE + LABEL)), "white")
    draw = ImageDraw.Draw(figure)
    draw.text((4, 2), caption[:columns * TILE // 6], fill="black", font=font)
    for c, image in enumerate(images):
        y = header
        tile = Image.fromarray(np.asarray(to_uint8(image))).resize((TILE, TILE), Image.BILINEAR)
        figure.paste(tile, (c * TILE, y))
        size = np.asarray(image).shape[0]
        draw.text((c * TILE + 4, y + TILE + 2), f"stage {c + 1}: {size} px", fill="black",
                  font=font)
    for r, attention in enumerate(attention_maps):
        y = header + (r + 1) * (TILE + LABEL)
        image = images[min(r + 1, len(images) - 1)]
        for c, word in enumerate(words):
            figure.paste(heat_overlay(image, np.asarray(attention)[..., c]), (c * TILE, y))
            draw.text((c * TILE + 4, y + TILE + 2), word, fill="black", font=font)
    return figure


def caption_grid(images: Sequence[np.ndarray], captions: Sequence[str], columns: int = 6,
                 tile: int = TILE, lines: int = 4) -> Image.Image:
    """Samples in a grid, each with its caption wrapped underneath (at most ``lines`` lines).

    Args:
        images: ``N`` pictures ``[S, S, 3]`` (uint8, or float in [-1, 1]); shown at
            ``tile`` px, nearest-neighbour scaled so that pixels stay visible.
        captions: ``N`` strings.
        columns: pictures per row.

    Returns a PIL RGB image.
    """
    if len(images) != len(captions):
        raise ValueError(f"{len(images)} images but {len(captions)} captions")
    if not len(images):
        raise ValueError("no images")
    font = ImageFont.load_default()
    width = max(8, tile // 6)  # characters per caption line (the bitmap font is 6 px wide)
    text_height = lines * 11 + 4
    rows = -(-len(images) // columns)
    cell_w, cell_h = tile + 8, tile + text_height + 8
    figure = Image.new("RGB", (min(columns, len(images)) * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(figure)
    for i, (image, caption) in enumerate(zip(images, captions)):
        x, y = (i % columns) * cell_w + 4, (i // columns) * cell_h + 4
        pixels = np.asarray(image)
        if pixels.dtype != np.uint8:
            pixels = np.asarray(to_uint8(pixels))
        figure.paste(Image.fromarray(pixels).resize((tile, tile), Image.NEAREST), (x, y))
        wrapped = textwrap.wrap(caption, width)
        if len(wrapped) > lines:
            wrapped = wrapped[:lines - 1] + [wrapped[lines - 1][:width - 3] + "..."]
        draw.multiline_text((x, y + tile + 3), "\n".join(wrapped), fill="black", font=font,
                            spacing=1)
    return figure
