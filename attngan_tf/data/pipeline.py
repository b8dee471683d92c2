"""``tf.data`` pipelines over a :class:`~attngan_tf.data.records.DatasetIndex`.

Every element (before batching) is a dict:

* ``images``: tuple with one float32 ``[s, s, 3]`` image in [-1, 1] per
  generator stage, ``s`` = 64, 128, 256 (``branch_num`` of them);
* ``captions``: int32 ``[T]`` token ids, zero-padded (``T = words_num``);
* ``lengths``: int32 scalar, number of real words (1..T);
* ``class_ids``: int32 scalar (>= 1, or a unique negative id: no class);
* ``keys``: string scalar, the example's key.

Batching adds a leading batch axis to each. Training (as the reference):
resize the cropped image so its shorter side is ``76/64`` of the final size,
take a random square crop of the final size, flip horizontally with
probability 1/2, then downscale that crop for the smaller stages; draw one of
the image's captions at random and, when it is longer than T, keep T random
words in order. Evaluation: centre crop, no flip, caption number
``caption_index`` (modulo the image's caption count), first T words.

All randomness is stateless, derived from ``PipelineConfig.seed``: pass ``p``
over the data shuffles with the key ``(seed, p)`` and element ``i`` of that pass
draws its crop, flip and caption with ``(seed, p, i)``, so the same seed gives
the same epochs, and an endless pipeline (``repeat``) can start at any batch
(``start_batch``) without decoding the skipped ones: a resumed run sees the
batches an uninterrupted one would have. Images that still fail to decode are skipped
(``ignore_errors``) and counted; a summary is logged at the end of each pass
over the data, and a pass that delivers nothing raises an error naming the
dataset directory.
"""

from __future__ import annotations

import copy
import dataclasses
import logging

import numpy as np
import tensorflow as tf

from ..config import INITIAL_SIZES
from ..text.tokenizer import CaptionTokenizer, select_words
from ..text.vocabulary import Vocabulary
from .decode import decode_file, resize_shorter_side
from .records import DataError, DatasetIndex
from .tfrecord import cached_records

__all__ = ["PipelineConfig", "CaptionDataset", "image_sizes", "preprocess_image"]

logger = logging.getLogger("attngan_tf.data")
AUTOTUNE = tf.data.AUTOTUNE


def image_sizes(branch_num: int, initial_size: int = 64) -> tuple[int, ...]:
    """Image size of each generator stage: 64, 128, 256 for three branches
    (32, 64, 128 with ``initial_size`` 32)."""
    if branch_num not in (1, 2, 3):
        raise ValueError(f"branch_num: must be 1, 2 or 3, got {branch_num!r}")
    if initial_size not in INITIAL_SIZES:
        raise ValueError(f"initial_size: must be {' or '.join(map(str, INITIAL_SIZES))}, "
                         f"got {initial_size!r}")
    return tuple(initial_size * 2**i for i in range(branch_num))


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """How an index becomes batches.

    Attributes:
        branch_num: generator stages (1..3); images come at initial_size * 2**i px.
        initial_size: the first stage's image side (64, or 32).
        words_num: T, caption length.
        batch_size: examples per batch.
        training: random crop/flip/caption/word choice (True) or the fixed
            evaluation view (False).
        seed: seed of every random choice (shuffle, crop, flip, captions).
        caption_index: caption used per image when not training.
        shuffle: shuffle examples each pass (default: when training).
        drop_remainder: drop the last short batch (default: when training).
        num_parallel_calls: parallel decoding (default AUTOTUNE).
        cache_dir: when set, decoded and resized images are stored once as
            TFRecord shards there and later passes read those.
        repeat: endless passes over the examples (for
            ``fit(steps_per_epoch=...)``); each pass is batched on its own (with
            ``drop_remainder`` a pass gives ``len // batch_size`` batches, as a
            PyTorch ``DataLoader(drop_last=True)`` epoch) and summarised.
        start_batch: with ``repeat``, the number of batches already used: the
            pipeline begins with batch ``start_batch`` of the endless sequence
            (pass ``start_batch // batches_per_pass``), skipping the examples
            before it without reading them. Exact when every image decodes
            (a failed one shifts the later batches of its pass by one example).
            Not available with ``cache_dir`` (cached records are a stream).
    """

    branch_num: int = 3
    words_num: int = 18
    batch_size: int = 16
    training: bool = True
    seed: int = 0
    caption_index: int = 0
    shuffle: bool | None = None
    drop_remainder: bool | None = None
    num_parallel_calls: int = AUTOTUNE
    cache_dir: str | None = None
    repeat: bool = False
    initial_size: int = 64
    start_batch: int = 0

    def __post_init__(self):
        image_sizes(self.branch_num, self.initial_size)
        for name in ("words_num", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"PipelineConfig.{name}: must be a positive integer, "
                                 f"got {value!r}")
        if not isinstance(self.start_batch, int) or self.start_batch < 0:
            raise ValueError(f"PipelineConfig.start_batch: must be an integer >= 0, "
                             f"got {self.start_batch!r}")
        if self.start_batch and not self.repeat:
            raise ValueError("PipelineConfig.start_batch: needs repeat=True (a single pass "
                             "starts at its first batch)")
        if self.start_batch and self.cache_dir:
            raise ValueError("PipelineConfig.start_batch: not available with cache_dir "
                             "(cached records are read as a stream)")
        if self.caption_index < 0:
            raise ValueError(f"PipelineConfig.caption_index: must be >= 0, "
                             f"got {self.caption_index}")

    @classmethod
    def for_model(cls, config, **overrides) -> "PipelineConfig":
        """Stage count and caption length from an :class:`~attngan_tf.config.AttnGANConfig`."""
        overrides.setdefault("initial_size", config.generator.initial_size)
        return cls(branch_num=config.generator.branch_num, words_num=config.text.words_num,
                   **overrides)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Image side of each stage."""
        return image_sizes(self.branch_num, self.initial_size)

    @property
    def final_size(self) -> int:
        return self.sizes[-1]

    @property
    def base_size(self) -> int:
        """Shorter side before cropping: ``int(final * 76 / 64)`` (304 for 256 px)."""
        return int(self.final_size * 76 / 64)


def preprocess_image(image, config: PipelineConfig, seed=None):
    """Cropped uint8 image ``[H, W, 3]`` -> tuple of float ``[s, s, 3]`` in [-1, 1].

    Args:
        image: the (bounding-box) cropped image.
        config: sizes.
        seed: stateless seed ``[2]`` for the random crop and flip; ``None``
            gives the centre crop.
    """
    final = config.final_size
    image = resize_shorter_side(tf.cast(image, tf.float32), config.base_size)
    shape = tf.shape(image)
    if seed is None:
        top, left = (shape[0] - final) // 2, (shape[1] - final) // 2
    else:
        seeds = tf.random.experimental.stateless_split(seed, 3)
        top = tf.random.stateless_uniform([], seeds[0], 0, shape[0] - final + 1, dtype=tf.int32)
        left = tf.random.stateless_uniform([], seeds[1], 0, shape[1] - final + 1, dtype=tf.int32)
    image = tf.image.crop_to_bounding_box(image, top, left, final, final)
    if seed is not None:
        flip = tf.random.stateless_uniform([], seeds[2]) < 0.5
        image = tf.cond(flip, lambda: tf.reverse(image, axis=[1]), lambda: image)
    sizes = config.sizes
    scales = [tf.image.resize(image, [size, size], method="bilinear", antialias=True)
              for size in sizes[:-1]] + [image]
    return tuple(tf.ensure_shape(tf.clip_by_value(scaled / 127.5 - 1.0, -1.0, 1.0), [size, size, 3])
                 for scaled, size in zip(scales, sizes))


class _PassReport:
    """Logs a summary at the end of each complete pass over the data.

    Delivered examples are counted by a ``Dataset.scan`` inside the pipeline,
    so every iterator has its own count: a pass cut short (``take``,
    ``steps_per_epoch``) neither logs nor leaks into the next one, and no
    ``tf.Variable`` is involved (pipelines can be built inside a distribution
    strategy's scope).
    """

    def __init__(self, index: DatasetIndex):
        self.index = index
        self.passes = 0

    def _log(self, delivered, expected) -> np.int64:
        delivered, expected = int(delivered), int(expected)
        self.passes += 1
        failed = expected - delivered
        where = f"{self.index.source} {self.index.split} split at {self.index.root}"
        if delivered == 0:
            raise DataError(f"{where}: no example could be decoded in this pass "
                            f"({expected} tried). First problems: "
                            f"{'; '.join(self.index.problems.messages[:5]) or 'none recorded'}")
        message = (f"{where}, pass {self.passes}: {delivered} examples delivered, "
                   f"{failed} failed to decode; when indexing: {self.index.problems.summary()}")
        if failed:
            logger.warning(message)
        else:
            logger.info(message)
        return np.int64(delivered)

    def attach(self, ds: tf.data.Dataset, expected) -> tf.data.Dataset:
        """``ds`` (one pass of ``expected`` examples) with the end-of-pass summary
        (same elements)."""
        marker = tf.data.Dataset.from_tensors(
            (tf.nest.map_structure(_empty_like, ds.element_spec), tf.constant(True)))
        marked = ds.map(lambda e: (e, tf.constant(False))).concatenate(marker)

        def count(total, item):
            element, is_marker = item
            total += tf.cast(tf.logical_not(is_marker), tf.int64)
            return total, (element, is_marker, total)

        def report(element, is_marker, total):
            done = tf.cond(is_marker,
                           lambda: tf.py_function(self._log, [total, expected], tf.int64),
                           lambda: total)
            with tf.control_dependencies([done]):
                return tf.nest.map_structure(tf.identity, element), is_marker

        counted = marked.scan(tf.constant(0, tf.int64), count).map(report)
        return counted.filter(lambda e, is_marker: tf.logical_not(is_marker)).map(
            lambda e, is_marker: e)


def _empty_like(spec: tf.TensorSpec):
    if spec.dtype == tf.string:
        return tf.fill(spec.shape, "")
    return tf.zeros(spec.shape, spec.dtype)


class CaptionDataset:
    """A dataset index with its vocabulary, ready to produce ``tf.data`` pipelines.

    Captions are tokenized once, by the same in-graph tokenizer that sampling
    and serving use. Captions without any known word are dropped (and images
    left with none are skipped), both counted in ``self.index.problems`` (a
    copy of the given index).

    Args:
        index: examples from a reader, with images checked.
        vocabulary: the token table (built from the training and test captions).
    """

    def __init__(self, index: DatasetIndex, vocabulary: Vocabulary):
        if not index.images_checked:
            raise ValueError("index: was read with check_images=False; it has no crop windows "
                             "and cannot feed a pipeline")
        index.require_examples()
        # A private copy: dropping captions below must not change the caller's index.
        index = dataclasses.replace(index, examples=list(index.examples),
                                    problems=copy.deepcopy(index.problems))
        self.index = index
        self.vocabulary = vocabulary
        flat = [c for e in index.examples for c in e.captions]
        counts = [len(e.captions) for e in index.examples]
        ids = CaptionTokenizer(vocabulary, words_num=1).token_ids(tf.constant(flat))
        lengths = ids.row_lengths().numpy()
        flat_ids = ids.flat_values.numpy()
        starts = np.concatenate([[0], np.cumsum(lengths)])
        examples, captions = [], []
        position = 0
        for example, count in zip(index.examples, counts):
            kept = []
            for i in range(position, position + count):
                if lengths[i] > 0:
                    kept.append(flat_ids[starts[i]:starts[i + 1]])
                else:
                    index.problems.repair("caption without known words dropped", example.key)
            position += count
            if kept:
                examples.append(example)
                captions.append(kept)
            else:
                index.problems.skip("no caption with known words", example.key)
        index.examples = examples
        index.require_examples()
        self.caption_ids = captions

    def __len__(self) -> int:
        return len(self.index.examples)

    def _source_tensors(self) -> dict:
        examples = self.index.examples
        per_example = [len(caps) for caps in self.caption_ids]
        lengths = [len(c) for caps in self.caption_ids for c in caps]
        flat = np.concatenate([c for caps in self.caption_ids for c in caps]).astype(np.int32)
        ragged = tf.RaggedTensor.from_nested_row_lengths(
            flat, [np.asarray(per_example, np.int64), np.asarray(lengths, np.int64)])
        return {
            "path": tf.constant([e.image_path for e in examples]),
            "crop": tf.constant([e.crop for e in examples], dtype=tf.int32),
            "class_ids": tf.constant([e.class_id for e in examples], dtype=tf.int32),
            "keys": tf.constant([e.key for e in examples]),
            "caption_ids": ragged,
        }

    def to_tf_dataset(self, config: PipelineConfig = PipelineConfig()) -> tf.data.Dataset:
        """The batched, prefetched pipeline: one pass, or endless with ``config.repeat``."""
        training = config.training
        shuffle = training if config.shuffle is None else config.shuffle
        drop = training if config.drop_remainder is None else config.drop_remainder
        report = _PassReport(self.index)
        if config.cache_dir:
            ds, decode = cached_records(self, config, shuffle)
            ds = tf.data.Dataset.zip(ds, _seed_pairs(config.seed))
            ds = self._finish_pass(ds, decode, config, report, len(self))
            ds = ds.repeat() if config.repeat else ds
            return ds.prefetch(AUTOTUNE)
        count = len(self)
        source = self._source_tensors()

        def one_pass(number, skip):
            """Pass ``number`` (shuffled by ``(seed, number)``) from its example ``skip``."""
            order = tf.range(count, dtype=tf.int64)
            if shuffle:
                order = tf.random.experimental.stateless_shuffle(
                    order, seed=tf.stack([tf.constant(config.seed, tf.int64), number]))
            examples = tf.nest.map_structure(lambda t: tf.gather(t, order), source)
            seeds = tf.random.experimental.stateless_split(  # one per example of the pass
                tf.stack([tf.constant(config.seed, tf.int64), number]), count)
            ds = tf.data.Dataset.from_tensor_slices((examples, seeds)).skip(skip)
            return self._finish_pass(ds, decode_file, config, report, count - skip)

        if config.repeat:
            per_pass = count // config.batch_size if drop else -(-count // config.batch_size)
            if per_pass == 0:
                raise DataError(f"{self.index.root}: {count} examples make no batch of "
                                f"{config.batch_size}")
            first, skipped = divmod(config.start_batch, per_pass)
            ds = tf.data.Dataset.counter(first).map(
                lambda n: (n, tf.where(n == first, tf.constant(skipped * config.batch_size,
                                                                 tf.int64), 0)))
        else:  # a new pass number each time the dataset is iterated
            ds = _seed_pairs(config.seed).take(1).map(
                lambda pair: (pair[0], tf.constant(0, tf.int64)))
        return ds.flat_map(one_pass).prefetch(AUTOTUNE)

    def _finish_pass(self, ds, decode, config: PipelineConfig, report: _PassReport,
                     expected) -> tf.data.Dataset:
        """``(element, seed)`` pairs of one pass -> its batches (decoded, augmented, summarised)."""
        training = config.training
        drop = training if config.drop_remainder is None else config.drop_remainder

        def load(element, seed):
            return _finish(decode(element), config, seed if training else None)

        ds = ds.map(load, num_parallel_calls=config.num_parallel_calls).ignore_errors()
        ds = report.attach(ds, expected)
        return ds.batch(config.batch_size, drop_remainder=drop)


def _seed_pairs(seed: int) -> tf.data.Dataset:
    """Endless ``int64 [2]`` seeds, new ones each time the dataset is iterated."""
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(
        2, drop_remainder=True)


def _finish(element, config: PipelineConfig, seed):
    """Augments the image and picks the caption of one decoded element."""
    captions = element["caption_ids"]
    count = tf.cast(captions.nrows(), tf.int32)
    if seed is None:
        image_seed = None
        choice = config.caption_index % count
        word_seed = None
    else:
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
        image_seed, word_seed = seeds[0], seeds[2]
        choice = tf.random.stateless_uniform([], seeds[1], 0, count, dtype=tf.int32)
    ids, length = select_words(captions[choice], config.words_num, word_seed)
    return {
        "images": preprocess_image(element["image"], config, image_seed),
        "captions": ids,
        "lengths": length,
        "class_ids": element["class_ids"],
        "keys": element["keys"],
    }
