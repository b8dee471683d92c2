"""Attribute accuracy on SynBirds: do generated birds show what their captions say?

For each generated image, the SynBirds oracle reads the seven attributes from
the pixels; every attribute the image's caption names is compared with it.
Reported per attribute (over the captions that name it) and as the mean over
all named attributes (the figure issue 6's target refers to), with the share
of images in which the oracle finds a bird at all (an outline with a bird's
head, body and tail: :func:`~attngan_tf.synbirds.oracle.locate_bird`).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from ..synbirds.attributes import ATTRIBUTE_NAMES
from ..synbirds.captions import mentioned_attributes
from ..synbirds.oracle import read_bird

__all__ = ["caption_attribute_accuracy", "named_attribute_accuracy", "read_birds"]


def read_birds(images) -> tuple[list[dict], list[bool]]:
    """The oracle on each image: ``(attribute predictions, whether a bird was found)``."""
    readings = [read_bird(image) for image in images]
    return [r[0] for r in readings], [r[1] is not None for r in readings]


def caption_attribute_accuracy(images, captions: Sequence[str]) -> dict:
    """Accuracy of the attributes ``captions`` name, read from ``images`` by the oracle.

    Args:
        images: ``N`` images (arrays ``[H, W, 3]`` in [-1, 1] or uint8, or PIL images).
        captions: ``N`` SynBirds captions (the grammar's; anything else is a
            ``ValueError`` from the caption parser).

    Returns ``{"mean": ..., "named": count, "per_attribute": {name: accuracy},
    "counts": {name: count}, "bird_found": share}``; attributes no caption
    names are left out.
    """
    if len(images) != len(captions):
        raise ValueError(f"{len(images)} images but {len(captions)} captions")
    if not len(captions):
        raise ValueError("no images")
    predictions, found = read_birds(images)
    return named_attribute_accuracy(predictions, captions, found=found)


def named_attribute_accuracy(predictions: Sequence[dict], captions: Sequence[str],
                             found: Sequence[bool] | None = None) -> dict:
    """:func:`caption_attribute_accuracy` from oracle predictions already made
    (``found``: per image, whether a bird was found; gives ``bird_found``)."""
    if len(predictions) != len(captions):
        raise ValueError(f"{len(predictions)} predictions but {len(captions)} captions")
    named, correct = Counter(), Counter()
    for prediction, caption in zip(predictions, captions):
        for name, value in mentioned_attributes(caption).items():
            named[name] += 1
            correct[name] += prediction[name] == value
    total = sum(named.values())
    if not total:
        raise ValueError("captions: none names an attribute")
    result = {"mean": sum(correct.values()) / total, "named": total,
              "per_attribute": {n: correct[n] / named[n] for n in ATTRIBUTE_NAMES if named[n]},
              "counts": {n: named[n] for n in ATTRIBUTE_NAMES if named[n]}}
    if found is not None:
        if len(found) != len(predictions):
            raise ValueError(f"{len(found)} found flags but {len(predictions)} predictions")
        result["bird_found"] = sum(bool(f) for f in found) / len(found)
    return result
