"""CUB-200-2011 in the layout the original AttnGAN code reads.

::

    <root>/CUB_200_2011/images/<class>/<name>.jpg
    <root>/CUB_200_2011/images.txt            "<id> <class>/<name>.jpg"
    <root>/CUB_200_2011/bounding_boxes.txt    "<id> <x> <y> <w> <h>"
    <root>/text/<class>/<name>.txt            10 captions, one per line
    <root>/train/filenames.pickle             ["<class>/<name>", ...]
    <root>/test/filenames.pickle
    <root>/captions.pickle                    optional: the reference vocabulary

Images are cropped to the bounding box enlarged 1.5x around its centre, as the
reference did; the class id is the number the class folder starts with
(``"017.Cardinal"`` -> 17). When a split has no ``filenames.pickle`` the
split is taken from ``CUB_200_2011/train_test_split.txt``.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import re

from ..pickles import load_plain_pickle
from ..text.tokenizer import python_tokenize
from ..text.vocabulary import Vocabulary
from .records import DataError, DatasetIndex, Problems, bbox_crop, make_index, read_caption_file

__all__ = ["read_cub", "cub_filenames", "cub_vocabulary", "CAPTIONS_PER_IMAGE"]

CAPTIONS_PER_IMAGE = 10
_SPLITS = ("train", "test")


def _require_dir(path: pathlib.Path, what: str) -> None:
    if not path.is_dir():
        raise DataError(f"{path}: {what} not found (expected the CUB layout of the original "
                        "AttnGAN birds data: CUB_200_2011/, text/, train/, test/)")


def _read_id_table(path: pathlib.Path) -> dict[int, list[str]]:
    """``"<id> values..."`` lines; malformed lines are left out (their images then
    count as having no entry)."""
    table = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            table[int(parts[0])] = parts[1:]
    return table


def cub_filenames(root: str | os.PathLike, split: str) -> list[str]:
    """The ``"<class>/<name>"`` list of a split."""
    if split not in _SPLITS:
        raise ValueError(f"split: must be one of {_SPLITS}, got {split!r}")
    root = pathlib.Path(root)
    pickled = root / split / "filenames.pickle"
    if pickled.is_file():
        try:
            with open(pickled, "rb") as f:
                names = load_plain_pickle(f)
        except (pickle.UnpicklingError, EOFError, ValueError) as e:
            raise DataError(f"{pickled}: not a list of file names: {e}") from e
        if not isinstance(names, (list, tuple)) or not all(
                isinstance(n, (str, bytes)) for n in names):
            raise DataError(f"{pickled}: not a list of file names (holds a "
                            f"{type(names).__name__})")
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    cub = root / "CUB_200_2011"
    images, split_file = cub / "images.txt", cub / "train_test_split.txt"
    if not (images.is_file() and split_file.is_file()):
        raise DataError(f"{root}: neither {pickled} nor {split_file} exists; cannot tell which "
                        f"images form the {split!r} split")
    paths = _read_id_table(images)
    is_train = _read_id_table(split_file)
    wanted = "1" if split == "train" else "0"
    return [os.path.splitext(paths[i][0])[0] for i in sorted(paths) if is_train[i][0] == wanted]


def _bounding_boxes(cub: pathlib.Path) -> dict[str, tuple[float, ...]]:
    images, boxes = cub / "images.txt", cub / "bounding_boxes.txt"
    if not (images.is_file() and boxes.is_file()):
        return {}
    paths = _read_id_table(images)
    table = _read_id_table(boxes)
    result = {}
    for i, path in paths.items():
        try:
            box = tuple(float(v) for v in table[i])
        except (KeyError, ValueError):
            continue
        if len(box) == 4:
            result[os.path.splitext(path[0])[0]] = box
    return result


def _class_id(name: str, fallback: dict[str, int]) -> int:
    folder = name.split("/")[0]
    match = re.match(r"(\d+)\.", folder)
    if match:
        return int(match.group(1))
    return fallback.setdefault(folder, len(fallback) + 1)


def read_cub(root: str | os.PathLike, split: str = "train", *,
             captions_per_image: int = CAPTIONS_PER_IMAGE, check_images: bool = True,
             source: str = "cub") -> DatasetIndex:
    """Reads one split of a CUB-layout dataset.

    Args:
        root: the directory holding ``CUB_200_2011/`` and ``text/``.
        split: ``"train"`` or ``"test"``.
        captions_per_image: captions kept per image (the reference's
            ``TEXT.CAPTIONS_PER_IMAGE``).
        check_images: inspect every image and compute its crop window. With
            ``False`` only captions are read (fast; for vocabulary building and
            statistics) and the examples carry no usable crop.
        source: name recorded in the index.

    Returns:
        A :class:`DatasetIndex`; unusable examples are skipped and counted.

    Raises:
        DataError: the layout is wrong, or no example is usable.
    """
    if split not in _SPLITS:
        raise ValueError(f"split: must be one of {_SPLITS}, got {split!r}")
    root = pathlib.Path(root).expanduser().resolve()
    _require_dir(root, "dataset directory")
    _require_dir(root / "text", "caption directory text/")
    names = cub_filenames(root, split)
    cub = root / "CUB_200_2011"
    if check_images:
        _require_dir(cub / "images", "image directory CUB_200_2011/images/")
    boxes = _bounding_boxes(cub)
    problems = Problems()
    classes: dict[str, int] = {}
    candidates = []
    for name in names:
        captions = read_caption_file(root / "text" / f"{name}.txt", captions_per_image,
                                     problems, name)
        if captions is None:
            continue
        if len(captions) < captions_per_image:
            problems.repair(f"fewer than {captions_per_image} captions", name)
        candidates.append({"key": name, "image_path": cub / "images" / f"{name}.jpg",
                           "captions": captions, "class_id": _class_id(name, classes)})

    def crop(cand, width, height):
        box = boxes.get(cand["key"])
        if box is None:
            problems.repair("no bounding box, whole image used", cand["key"])
            return 0, 0, height, width
        return bbox_crop(box, width, height, problems, cand["key"])

    return make_index(source, split, root, candidates, problems, check_images, crop)


def cub_vocabulary(root: str | os.PathLike, *,
                   captions_per_image: int = CAPTIONS_PER_IMAGE) -> Vocabulary:
    """The vocabulary of a CUB-layout dataset.

    ``captions.pickle`` (the reference's) is used when present; otherwise the
    vocabulary is built from the train then test captions, as the reference's
    ``build_dictionary``.
    """
    root = pathlib.Path(root)
    pickled = root / "captions.pickle"
    if pickled.is_file():
        return Vocabulary.from_reference_pickle(pickled)
    token_lists = []
    for split in _SPLITS:
        index = read_cub(root, split, captions_per_image=captions_per_image, check_images=False)
        token_lists.extend(python_tokenize(c) for e in index.examples for c in e.captions)
    return Vocabulary.build(token_lists)
