"""One entry point for every supported data source.

``load_dataset("cub", root, "train")`` reads the split, builds (or reads) the
vocabulary and returns a :class:`~attngan_tf.data.pipeline.CaptionDataset`;
``.to_tf_dataset(PipelineConfig(...))`` then gives the batches.

Sources:

* ``"cub"``: CUB-200-2011 in the reference layout (:mod:`.cub`);
* ``"coco"``: COCO-2014 official files (:mod:`.coco`);
* ``"folder"``: images with sibling caption files (:mod:`.folder`);
* ``"synbirds"``: the built-in procedural set, rendered on first use into
  ``root`` (default ``$ATTNGAN_DATA_DIR`` or ``~/.cache/attngan_tf``) and
  read with the CUB reader.
"""

from __future__ import annotations

import os
import pathlib

from ..text.vocabulary import Vocabulary
from .coco import coco_vocabulary, read_coco
from .cub import cub_vocabulary, read_cub
from .folder import folder_vocabulary, read_folder
from .pipeline import CaptionDataset

__all__ = ["SOURCES", "load_dataset", "load_vocabulary", "synbirds_directory"]

SOURCES = ("cub", "coco", "folder", "synbirds")


def synbirds_directory(root: str | os.PathLike | None = None, *, seed: int = 0,
                       num_train: int = 10_000, num_test: int = 2_000,
                       image_size: int = 256) -> pathlib.Path:
    """The SynBirds dataset directory, rendered first if needed."""
    from ..synbirds import materialize
    return materialize(root, seed=seed, num_train=num_train, num_test=num_test,
                       image_size=image_size)


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"source: must be one of {', '.join(SOURCES)}, got {source!r}")


def load_vocabulary(source: str, root: str | os.PathLike,
                    captions_per_image: int | None = None) -> Vocabulary:
    """The vocabulary of a dataset directory (for ``synbirds``, the rendered directory).

    ``captions_per_image`` must match the reader's, so every caption read is covered
    (default: the source's own default).
    """
    _check_source(source)
    limit = {} if captions_per_image is None else {"captions_per_image": captions_per_image}
    if source in ("cub", "synbirds"):
        return cub_vocabulary(root, **limit)
    if source == "coco":
        return coco_vocabulary(root, **limit)
    return folder_vocabulary(root, **limit)


def load_dataset(source: str, root: str | os.PathLike | None = None, split: str = "train", *,
                 vocabulary: Vocabulary | str | os.PathLike | None = None,
                 synbirds: dict | None = None, **reader_kwargs) -> CaptionDataset:
    """Reads one split of a source into a :class:`CaptionDataset`.

    Args:
        source: ``"cub"``, ``"coco"``, ``"folder"`` or ``"synbirds"``.
        root: dataset directory (for ``synbirds``: the cache root, optional).
        split: split name of that source.
        vocabulary: a vocabulary or a saved one's path; default: built from the
            source's captions (or its ``captions.pickle``).
        synbirds: ``materialize`` options for ``synbirds`` (``seed``,
            ``num_train``, ``num_test``, ``image_size``).
        **reader_kwargs: passed to the reader (e.g. ``captions_per_image``).

    Raises:
        DataError: missing files or nothing usable.
    """
    _check_source(source)
    if source == "synbirds":
        root = synbirds_directory(root, **(synbirds or {}))
        index = read_cub(root, split, source="synbirds", **reader_kwargs)
    elif root is None:
        raise ValueError(f"root: the {source} source needs its dataset directory")
    elif source == "cub":
        index = read_cub(root, split, **reader_kwargs)
    elif source == "coco":
        index = read_coco(root, split, **reader_kwargs)
    else:
        index = read_folder(root, split, **reader_kwargs)
    if vocabulary is None:
        vocabulary = load_vocabulary(source, root, reader_kwargs.get("captions_per_image"))
    elif not isinstance(vocabulary, Vocabulary):
        vocabulary = Vocabulary.load(vocabulary)
    index.log_summary()
    return CaptionDataset(index, vocabulary)
