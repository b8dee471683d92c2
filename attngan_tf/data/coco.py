"""COCO-2014 captions from the official files.

::

    <root>/annotations/captions_train2014.json
    <root>/annotations/captions_val2014.json
    <root>/train2014/COCO_train2014_<id>.jpg
    <root>/val2014/COCO_val2014_<id>.jpg

The reference trained on train2014 and tested on val2014, with 5 captions per
image (``TEXT.CAPTIONS_PER_IMAGE``); split ``"test"`` is an alias of
``"val"``. Captions are taken in annotation-id order. COCO has no classes, so
each image gets a unique negative class id (same-class masking is off).
"""

from __future__ import annotations

import json
import os
import pathlib

from ..text.tokenizer import python_tokenize
from ..text.vocabulary import Vocabulary
from .records import DataError, DatasetIndex, Problems, make_index

__all__ = ["read_coco", "coco_vocabulary", "CAPTIONS_PER_IMAGE"]

CAPTIONS_PER_IMAGE = 5
_SPLITS = {"train": "train2014", "val": "val2014", "test": "val2014"}


def _annotations(root: pathlib.Path, folder: str) -> dict:
    path = root / "annotations" / f"captions_{folder}.json"
    if not path.is_file():
        raise DataError(f"{path}: COCO caption annotations not found (expected the official "
                        "annotations/captions_{train,val}2014.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise DataError(f"{path}: not valid JSON: {e}") from e


def read_coco(root: str | os.PathLike, split: str = "train", *,
              captions_per_image: int = CAPTIONS_PER_IMAGE,
              check_images: bool = True) -> DatasetIndex:
    """Reads one split of COCO-2014 captions.

    Args:
        root: directory holding ``annotations/`` and ``train2014/``/``val2014/``.
        split: ``"train"``, ``"val"`` or ``"test"`` (= val).
        captions_per_image: captions kept per image.
        check_images: inspect every image (see :func:`~attngan_tf.data.read_cub`).

    Raises:
        DataError: files missing, or no usable example.
    """
    if split not in _SPLITS:
        raise ValueError(f"split: must be one of {sorted(_SPLITS)}, got {split!r}")
    root = pathlib.Path(root).expanduser().resolve()
    folder = _SPLITS[split]
    data = _annotations(root, folder)
    problems = Problems()
    by_image: dict[int, list] = {}
    for ann in sorted(data.get("annotations", []), key=lambda a: a.get("id", 0)):
        by_image.setdefault(ann.get("image_id"), []).append(str(ann.get("caption", "")))
    candidates = []
    for position, image in enumerate(sorted(data.get("images", []), key=lambda i: i["id"])):
        name = image["file_name"]
        captions = [c.strip() for c in by_image.get(image["id"], []) if python_tokenize(c)]
        if not captions:
            problems.skip("no captions", name)
            continue
        captions = tuple(captions[:captions_per_image])
        if len(captions) < captions_per_image:
            problems.repair(f"fewer than {captions_per_image} captions", name)
        candidates.append({"key": f"{folder}/{os.path.splitext(name)[0]}",
                           "image_path": root / folder / name, "captions": captions,
                           "class_id": -(position + 1)})
    return make_index("coco", split, root, candidates, problems, check_images)


def coco_vocabulary(root: str | os.PathLike, *,
                    captions_per_image: int = CAPTIONS_PER_IMAGE) -> Vocabulary:
    """The vocabulary of a COCO directory.

    The reference's ``captions.pickle`` (at ``<root>/captions.pickle``) is used
    when present, so ids match models trained by the original code; otherwise
    the vocabulary is built from the train then val captions, in
    first-appearance order.
    """
    pickled = pathlib.Path(root) / "captions.pickle"
    if pickled.is_file():
        return Vocabulary.from_reference_pickle(pickled)
    token_lists = []
    for split in ("train", "val"):
        index = read_coco(root, split, captions_per_image=captions_per_image, check_images=False)
        token_lists.extend(python_tokenize(c) for e in index.examples for c in e.captions)
    return Vocabulary.build(token_lists)
