"""A plain folder of images, each with a sibling caption file.

::

    <root>/images/**/<name>.jpg|.jpeg|.png
    <root>/images/**/<name>.txt       one caption per line

Images in sub-folders of ``images/`` take their first-level folder as class
(folders numbered 1.. in sorted order); images directly in ``images/`` get
unique negative class ids (no same-class masking).

Splits: ``"all"`` takes every image. ``"train"``/``"test"`` read
``<root>/<split>.txt`` (image paths relative to ``images/``, one per line)
when it exists, otherwise a stable hash of each image's relative path puts
``test_fraction`` of them in ``"test"``.
"""

from __future__ import annotations

import os
import pathlib
import zlib

from ..text.tokenizer import python_tokenize
from ..text.vocabulary import Vocabulary
from .records import DataError, DatasetIndex, Problems, make_index, read_caption_file

__all__ = ["read_folder", "folder_vocabulary", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_SPLITS = ("all", "train", "test")


def _image_files(images: pathlib.Path) -> list[pathlib.Path]:
    # Not directories (a folder may be called "x.jpg"); dangling links are kept
    # (reported as missing images).
    return sorted(p for p in images.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())


def _in_split(relative: str, split: str, listed: set | None, test_fraction: float) -> bool:
    if split == "all":
        return True
    if listed is not None:
        return relative in listed
    is_test = zlib.crc32(relative.encode("utf-8")) % 10_000 < test_fraction * 10_000
    return is_test == (split == "test")


def read_folder(root: str | os.PathLike, split: str = "all", *,
                captions_per_image: int | None = None, test_fraction: float = 0.1,
                check_images: bool = True) -> DatasetIndex:
    """Reads a folder of captioned images.

    Args:
        root: directory holding ``images/``.
        split: ``"all"``, ``"train"`` or ``"test"`` (see the module docstring).
        captions_per_image: keep at most this many captions per image (all by default).
        test_fraction: share of images in ``"test"`` when no split file exists.
        check_images: inspect every image (see :func:`~attngan_tf.data.read_cub`).

    Raises:
        DataError: no ``images/`` directory, or no usable example.
    """
    if split not in _SPLITS:
        raise ValueError(f"split: must be one of {_SPLITS}, got {split!r}")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction: must be in [0, 1), got {test_fraction}")
    root = pathlib.Path(root).expanduser().resolve()
    images = root / "images"
    if not images.is_dir():
        raise DataError(f"{images}: not found; a folder dataset keeps its pictures under "
                        "images/ with one <name>.txt caption file beside each")
    listed = None
    split_file = root / f"{split}.txt"
    if split != "all" and split_file.is_file():
        listed = {line.strip() for line in split_file.read_text(encoding="utf-8").splitlines()
                  if line.strip()}
    files = _image_files(images)
    folders = sorted({p.relative_to(images).parts[0] for p in files
                      if len(p.relative_to(images).parts) > 1})
    class_of = {name: i + 1 for i, name in enumerate(folders)}
    stems: dict[str, int] = {}
    for path in files:
        stem = path.relative_to(images).with_suffix("").as_posix()
        stems[stem] = stems.get(stem, 0) + 1
    problems = Problems()
    candidates = []
    for position, path in enumerate(files):
        relative = path.relative_to(images).as_posix()
        if not _in_split(relative, split, listed, test_fraction):
            continue
        captions = read_caption_file(path.with_suffix(".txt"), captions_per_image, problems,
                                     relative)
        if captions is None:
            continue
        parts = relative.split("/")
        class_id = class_of[parts[0]] if len(parts) > 1 else -(position + 1)
        stem = os.path.splitext(relative)[0]
        # Keys drop the extension unless two images share a name (a.jpg, a.png).
        key = stem if stems[stem] == 1 else relative
        candidates.append({"key": key, "image_path": path,
                           "captions": captions, "class_id": class_id})
    return make_index("folder", split, root, candidates, problems, check_images)


def folder_vocabulary(root: str | os.PathLike, **kwargs) -> Vocabulary:
    """Vocabulary of every caption in the folder (all splits), first-appearance order."""
    index = read_folder(root, "all", check_images=False, **kwargs)
    return Vocabulary.build(python_tokenize(c) for e in index.examples for c in e.captions)
