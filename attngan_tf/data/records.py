"""The index a reader builds: one :class:`Example` per usable image, plus problems.

Readers (:mod:`.cub`, :mod:`.coco`, :mod:`.folder`) look at every file once,
in Python, before any ``tf.data`` work starts. Whatever is wrong with an
example -- a missing, empty, corrupt or truncated image, a missing, empty or
non-UTF-8 caption file, a bounding box reaching outside the image -- is either
repaired (bounding box clipped, undecodable bytes replaced) or the example is
skipped, and either way it is counted in a :class:`Problems` record. If no
example survives, :class:`DataError` names the directory and the first
problems.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import logging
import os
import pathlib
import re
from typing import Callable, Iterable, Sequence

from PIL import Image, UnidentifiedImageError

__all__ = [
    "DataError",
    "Example",
    "Problems",
    "DatasetIndex",
    "ImageProblem",
    "inspect_image",
    "read_caption_file",
    "bbox_crop",
    "inspect_all",
    "build_examples",
    "make_index",
]

logger = logging.getLogger("attngan_tf.data")
_WORD = re.compile(r"\w")

#: Image formats TensorFlow's ``decode_image`` reads.
_DECODABLE = {"JPEG", "MPO", "PNG", "GIF", "BMP"}
_TAIL_BYTES = 1024
_LONG_TAIL_BYTES = 1 << 16
#: Images (or crops) more elongated than this are skipped: resizing their
#: shorter side to the pipeline's size would need gigabytes.
MAX_ASPECT_RATIO = 20.0
MIN_SIDE = 8


class DataError(ValueError):
    """A dataset cannot be used (nothing usable, or a required file is missing)."""


@dataclasses.dataclass(frozen=True)
class Example:
    """One image with its captions.

    Attributes:
        key: identifier, unique in the dataset (e.g. ``"001.Black_footed_Albatross/..._0046_18"``).
        image_path: absolute path of the image file.
        captions: the caption strings (at least one).
        class_id: class (>= 1) for same-class masking in the DAMSM losses, or a
            unique negative number when the source has no classes.
        crop: ``(top, left, bottom, right)`` pixel window taken from the image
            (the enlarged bounding box for CUB, else the whole image).
    """

    key: str
    image_path: str
    captions: tuple[str, ...]
    class_id: int
    crop: tuple[int, int, int, int]


class Problems:
    """Counts of skipped and repaired examples by reason, with the first few messages."""

    def __init__(self, keep: int = 10):
        self.skipped: collections.Counter = collections.Counter()
        self.repaired: collections.Counter = collections.Counter()
        self.messages: list[str] = []
        self._keep = keep

    def _note(self, what: str, reason: str, where) -> None:
        if len(self.messages) < self._keep:
            self.messages.append(f"{where}: {reason} ({what})")

    def skip(self, reason: str, where) -> None:
        """Counts an example dropped for ``reason``."""
        self.skipped[reason] += 1
        self._note("skipped", reason, where)

    def repair(self, reason: str, where) -> None:
        """Counts an example kept after fixing ``reason``."""
        self.repaired[reason] += 1
        self._note("repaired", reason, where)

    @property
    def num_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def num_repaired(self) -> int:
        return sum(self.repaired.values())

    def summary(self) -> str:
        """One line, e.g. ``"2 skipped (1 truncated image, 1 missing image), 0 repaired"``."""
        def part(counter, label):
            total = sum(counter.values())
            if not total:
                return f"0 {label}"
            detail = ", ".join(f"{n} {reason}" for reason, n in sorted(counter.items()))
            return f"{total} {label} ({detail})"
        return f"{part(self.skipped, 'skipped')}, {part(self.repaired, 'repaired')}"


@dataclasses.dataclass
class DatasetIndex:
    """The usable examples of one split of one source.

    Attributes:
        source: reader name (``"cub"``, ``"coco"``, ``"folder"``, ``"synbirds"``).
        split: split name.
        root: the directory read.
        examples: usable examples, in a fixed order.
        problems: what was skipped or repaired while reading.
        images_checked: whether images were inspected (only then do examples
            carry crop windows and can feed a pipeline).
    """

    source: str
    split: str
    root: pathlib.Path
    examples: list[Example]
    problems: Problems
    images_checked: bool = True

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def num_captions(self) -> int:
        return sum(len(e.captions) for e in self.examples)

    def require_examples(self) -> "DatasetIndex":
        """Raises :class:`DataError` when nothing usable is left."""
        if not self.examples:
            first = "; ".join(self.problems.messages[:5]) or "no images found"
            raise DataError(f"{self.root}: no usable examples in the {self.split!r} split of this "
                            f"{self.source} dataset ({self.problems.summary()}). "
                            f"First problems: {first}")
        return self

    def log_summary(self) -> None:
        """Logs the problem counts once (only when something was wrong)."""
        if self.problems.num_skipped or self.problems.num_repaired:
            logger.warning("%s %s split at %s: %d usable examples; %s", self.source, self.split,
                           self.root, len(self.examples), self.problems.summary())


def _usable_shape(width: int, height: int) -> bool:
    short, long = min(width, height), max(width, height)
    return short >= MIN_SIDE and long <= MAX_ASPECT_RATIO * short


class ImageProblem(Exception):
    """Why an image file cannot be used (the message is the reason)."""


def _tail(path: pathlib.Path, size: int, count: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(max(0, size - count))
        return f.read()


def _has_end_marker(path: pathlib.Path, fmt: str, size: int) -> bool:
    marker = {"JPEG": b"\xff\xd9", "MPO": b"\xff\xd9", "PNG": b"IEND"}.get(fmt)
    if marker is None:
        return True
    # Cameras may append data after the end marker: look further back before
    # calling a file truncated (only such files pay for the longer read).
    return marker in _tail(path, size, _TAIL_BYTES) or marker in _tail(path, size,
                                                                      _LONG_TAIL_BYTES)


def inspect_image(path: str | os.PathLike) -> tuple[int, int]:
    """Cheap validity checks of one image file; returns ``(width, height)``.

    Reads the header (PIL, no full decode) and the last KiB: a JPEG must end
    with its end-of-image marker, a PNG with its ``IEND`` chunk, which catches
    truncated downloads without decoding.

    Raises:
        ImageProblem: ``missing image``, ``empty image file``,
            ``unreadable image``, ``unsupported image format`` or
            ``truncated image``.
    """
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise ImageProblem("missing image") from None
    if size == 0:
        raise ImageProblem("empty image file")
    try:
        with Image.open(path) as img:
            fmt, (width, height) = img.format, img.size
    except Image.DecompressionBombError:
        raise ImageProblem("image too large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageProblem("unreadable image") from None
    if fmt not in _DECODABLE:
        raise ImageProblem("unsupported image format")
    if not _usable_shape(width, height):
        raise ImageProblem("image too small or too thin")
    if not _has_end_marker(path, fmt, size):
        raise ImageProblem("truncated image")
    return width, height


def read_caption_file(path: str | os.PathLike, limit: int | None, problems: Problems,
                      where: str) -> tuple[str, ...] | None:
    """Caption lines of a text file, or ``None`` (counted in ``problems``) if unusable.

    Empty lines and lines without any word character are ignored, as in the reference;
    at most ``limit`` captions are kept. Bytes that are not UTF-8 are replaced
    (counted as a repair).
    """
    try:
        raw = pathlib.Path(path).read_bytes()
    except OSError:
        problems.skip("missing caption file", where)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        problems.repair("non-UTF-8 caption text", where)
    captions = []
    for line in text.split("\n"):
        line = line.strip("\r")
        # As the reference: a line with word characters counts as a caption even
        # when all its words are non-ASCII (it then has no tokens and is dropped
        # later, without shifting which captions are kept).
        if _WORD.search(line):
            captions.append(line)
            if limit is not None and len(captions) == limit:
                break
    if not captions:
        problems.skip("empty caption file", where)
        return None
    return tuple(captions)


def bbox_crop(bbox: Sequence[float], width: int, height: int, problems: Problems,
              where: str) -> tuple[int, int, int, int] | None:
    """The reference's crop window: the box enlarged 1.5x around its centre.

    ``bbox`` is ``(x, y, w, h)`` as in CUB's ``bounding_boxes.txt``. Integer
    arithmetic follows the reference's ``get_imgs``; the window is clipped to
    the image. A box reaching outside the image is clipped (counted as a
    repair); a box with no overlap is skipped.
    """
    x, y, w, h = (float(v) for v in bbox)
    if not (w > 0 and h > 0):
        problems.skip("invalid bounding box", where)
        return None
    if x < 0 or y < 0 or x + w > width or y + h > height:
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            problems.skip("bounding box outside the image", where)
            return None
        problems.repair("bounding box clipped to the image", where)
    r = int(max(w, h) * 0.75)
    center_x = int((2 * x + w) / 2)
    center_y = int((2 * y + h) / 2)
    top, bottom = max(0, center_y - r), min(height, center_y + r)
    left, right = max(0, center_x - r), min(width, center_x + r)
    if not _usable_shape(right - left, bottom - top):
        problems.skip("bounding box crop too small or too thin", where)
        return None
    return top, left, bottom, right


def inspect_all(paths: Iterable[str | os.PathLike],
                threads: int = 8) -> list[tuple[int, int] | ImageProblem]:
    """:func:`inspect_image` over many files (threaded; I/O bound). Keeps order."""
    def one(path):
        try:
            return inspect_image(path)
        except ImageProblem as e:
            return e
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, list(paths), chunksize=64))


def build_examples(candidates: Sequence[dict], problems: Problems,
                   make_crop: Callable[[dict, int, int], tuple | None] | None = None,
                   ) -> list[Example]:
    """Turns reader candidates into checked :class:`Example` objects.

    Each candidate is a dict with ``key``, ``image_path``, ``captions`` (a
    tuple, already read) and ``class_id``; ``make_crop(candidate, width,
    height)`` returns the crop window or ``None`` to skip (default: whole
    image).
    """
    sizes = inspect_all(c["image_path"] for c in candidates)
    examples = []
    for cand, size in zip(candidates, sizes):
        if isinstance(size, ImageProblem):
            problems.skip(str(size), cand["image_path"])
            continue
        width, height = size
        crop = make_crop(cand, width, height) if make_crop else (0, 0, height, width)
        if crop is None:
            continue
        examples.append(Example(key=cand["key"], image_path=str(cand["image_path"]),
                                captions=tuple(cand["captions"]), class_id=int(cand["class_id"]),
                                crop=tuple(int(v) for v in crop)))
    return examples


def make_index(source: str, split: str, root: pathlib.Path, candidates: Sequence[dict],
               problems: Problems, check_images: bool,
               make_crop: Callable[[dict, int, int], tuple | None] | None = None) -> DatasetIndex:
    """The :class:`DatasetIndex` of reader candidates (see :func:`build_examples`).

    With ``check_images=False`` images are not opened and examples carry an
    empty crop window (captions-only use). Raises :class:`DataError` when no
    example is usable.
    """
    if check_images:
        examples = build_examples(candidates, problems, make_crop)
    else:
        examples = [Example(c["key"], str(c["image_path"]), tuple(c["captions"]),
                            int(c["class_id"]), (0, 0, 0, 0)) for c in candidates]
    index = DatasetIndex(source, split, root, examples, problems, images_checked=check_images)
    return index.require_examples()
