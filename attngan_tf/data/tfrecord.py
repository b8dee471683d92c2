"""Optional TFRecord cache of decoded, cropped and resized images.

The first pipeline built with ``PipelineConfig.cache_dir`` decodes every image
once, crops it (bounding box), resizes its shorter side to the pipeline's base
size (``76/64`` of the final size), re-encodes it as JPEG (quality 95) and
writes it with its caption ids to TFRecord shards. Later passes and later
runs read the shards instead of the original files, so repeat epochs skip the
expensive decode of full-size photos. The cache directory name carries a
fingerprint of the examples, vocabulary and size, so a changed dataset never
reads a stale cache; a cache is only used once its ``manifest.json`` exists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pathlib
import shutil
import uuid

import tensorflow as tf

from .decode import decode_file, resize_shorter_side

__all__ = ["cache_directory", "write_cache", "cached_records"]

logger = logging.getLogger("attngan_tf.data")
_VERSION = 1
_MANIFEST = "manifest.json"
_RECORDS_PER_SHARD = 1024
_JPEG_QUALITY = 95


def _fingerprint(dataset, base_size: int) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([_VERSION, base_size, list(dataset.vocabulary.words)]).encode())
    for example, captions in zip(dataset.index.examples, dataset.caption_ids):
        try:
            stat = os.stat(example.image_path)
            size, mtime = stat.st_size, stat.st_mtime_ns
        except OSError:  # gone since indexing; decoding will drop it
            size, mtime = -1, -1
        digest.update(json.dumps([example.key, example.image_path, size,
                                  mtime, example.crop, example.class_id,
                                  [c.tolist() for c in captions]]).encode())
    return digest.hexdigest()[:16]


def cache_directory(dataset, config) -> pathlib.Path:
    """Where ``dataset`` is cached for ``config`` (exists only once written)."""
    index = dataset.index
    fingerprint = _fingerprint(dataset, config.base_size)
    name = f"{index.source}-{index.split}-{config.base_size}px-{fingerprint}"
    return pathlib.Path(config.cache_dir).expanduser() / name


def _int64_list(values) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(map(int, values))))


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def write_cache(dataset, config, directory: pathlib.Path) -> pathlib.Path:
    """Writes the shards and the manifest of ``dataset`` into ``directory``."""
    examples = dataset.index.examples
    tmp = directory.with_name(f"{directory.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    def encode(element):
        image = resize_shorter_side(tf.cast(decode_file(element)["image"], tf.float32),
                                    config.base_size)
        image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
        return tf.io.encode_jpeg(image, quality=_JPEG_QUALITY)

    # Failed decodes are dropped; each result carries its example position.
    source = tf.data.Dataset.from_tensor_slices({
        "path": [e.image_path for e in examples],
        "crop": tf.constant([e.crop for e in examples], tf.int32),
        "position": tf.range(len(examples), dtype=tf.int64)})
    encoded = source.map(lambda e: (e["position"], encode(e)),
                         num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    # Record w goes to shard w % S: each shard mixes the whole (class-sorted)
    # index, and reading all shards round-robin restores the index order.
    num_shards = max(1, -(-len(examples) // _RECORDS_PER_SHARD))
    shards = [f"shard-{k:05d}-of-{num_shards:05d}.tfrecord" for k in range(num_shards)]
    writers = [tf.io.TFRecordWriter(str(tmp / name)) for name in shards]
    written = 0
    step = max(1, len(examples) // 10)
    for position, jpeg in encoded.as_numpy_iterator():
        example = examples[position]
        captions = dataset.caption_ids[position]
        features = {
            "image": _bytes(jpeg),
            "key": _bytes(example.key.encode("utf-8")),
            "class_id": _int64_list([example.class_id]),
            "caption_ids": _int64_list([i for c in captions for i in c]),
            "caption_lengths": _int64_list([len(c) for c in captions]),
        }
        writers[written % num_shards].write(
            tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString())
        written += 1
        if written % step == 0:
            logger.info("caching %s: %d/%d images", directory.name, written, len(examples))
    for writer in writers:
        writer.close()
    if not written:
        shutil.rmtree(tmp, ignore_errors=True)
        from .records import DataError
        raise DataError(f"{dataset.index.root}: no image could be decoded while caching")
    manifest = {"version": _VERSION, "records": written, "expected": len(examples),
                "base_size": config.base_size, "shards": shards}
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1))
    if (directory / _MANIFEST).is_file():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    logger.info("cached %d images in %d shards under %s (%d failed to decode)", written,
                len(shards), directory, len(examples) - written)
    return directory


_FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "key": tf.io.FixedLenFeature([], tf.string),
    "class_id": tf.io.FixedLenFeature([], tf.int64),
    "caption_ids": tf.io.VarLenFeature(tf.int64),
    "caption_lengths": tf.io.VarLenFeature(tf.int64),
}


def _parse(record):
    parsed = tf.io.parse_single_example(record, _FEATURES)
    ids = tf.cast(tf.sparse.to_dense(parsed["caption_ids"]), tf.int32)
    lengths = tf.sparse.to_dense(parsed["caption_lengths"])
    return {"encoded": parsed["image"], "keys": parsed["key"],
            "class_ids": tf.cast(parsed["class_id"], tf.int32),
            "caption_ids": tf.RaggedTensor.from_row_lengths(ids, lengths)}


def _decode_cached(element):
    element = dict(element)
    element["image"] = tf.io.decode_jpeg(element.pop("encoded"), channels=3)
    return element


def cached_records(dataset, config, shuffle: bool):
    """``(records dataset, decode function)`` reading (and first writing) the cache."""
    directory = cache_directory(dataset, config)
    if not (directory / _MANIFEST).is_file():
        logger.info("writing the TFRecord cache %s (once)", directory)
        write_cache(dataset, config, directory)
    manifest = json.loads((directory / _MANIFEST).read_text())
    files = [str(directory / name) for name in manifest["shards"]]
    ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        ds = ds.shuffle(len(files), seed=config.seed, reshuffle_each_iteration=True)
        ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=min(4, len(files)),
                           num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:  # round-robin over all shards gives back the index order
        ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=len(files), block_length=1,
                           num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        ds = ds.shuffle(min(manifest["records"], 2048), seed=config.seed,
                        reshuffle_each_iteration=True)
    return ds.map(_parse), _decode_cached
