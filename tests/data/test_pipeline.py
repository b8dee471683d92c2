"""tf.data pipelines: element layout, augmentation, determinism, caching."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.config import get_preset
from attngan_tf.data import CaptionDataset, PipelineConfig, read_cub
from attngan_tf.data.cub import cub_vocabulary
from tests.data import fixtures


@pytest.fixture
def cub_dataset(tmp_path):
    root = fixtures.write_cub(tmp_path / "cub", train=6, test=3, image_size=(120, 100))
    return CaptionDataset(read_cub(root, "train"), cub_vocabulary(root))


def batches(dataset, **kwargs):
    config = PipelineConfig(**{"batch_size": 3, "words_num": 6, **kwargs})
    return [{k: (tuple(x.numpy() for x in v) if k == "images" else v.numpy())
             for k, v in b.items()} for b in dataset.to_tf_dataset(config)]


def test_elements_have_documented_keys_shapes_and_ranges(cub_dataset):
    out = batches(cub_dataset, training=True)
    assert len(out) == 2
    b = out[0]
    assert set(b) == {"images", "captions", "lengths", "class_ids", "keys"}
    assert [x.shape for x in b["images"]] == [(3, 64, 64, 3), (3, 128, 128, 3), (3, 256, 256, 3)]
    for x in b["images"]:
        assert x.dtype == np.float32 and x.min() >= -1.0 and x.max() <= 1.0
    assert b["captions"].shape == (3, 6) and b["captions"].dtype == np.int32
    assert np.all((b["lengths"] >= 1) & (b["lengths"] <= 6))
    for row, n in zip(b["captions"], b["lengths"]):
        assert np.all(row[:n] > 0) and np.all(row[n:] == 0)
    assert set(b["class_ids"]) <= {1, 2}
    assert all(k.startswith(b"00") for k in b["keys"])


def test_small_scales_are_downscaled_copies_of_the_largest(cub_dataset):
    b = batches(cub_dataset, training=True)[0]
    big = tf.constant(b["images"][2])
    small = tf.image.resize(big, [64, 64], method="bilinear", antialias=True).numpy()
    assert np.abs(small - b["images"][0]).max() < 0.02


def test_branch_num_and_preset_sizes(cub_dataset):
    config = PipelineConfig.for_model(get_preset("tiny"), batch_size=2)
    assert config.words_num == get_preset("tiny").text.words_num
    b = next(iter(cub_dataset.to_tf_dataset(
        PipelineConfig(branch_num=1, batch_size=2, words_num=6))))
    assert [x.shape[1] for x in b["images"]] == [64]
    with pytest.raises(ValueError, match="branch_num"):
        PipelineConfig(branch_num=4)


def test_evaluation_is_deterministic_and_uses_caption_index(cub_dataset):
    first = batches(cub_dataset, training=False)
    second = batches(cub_dataset, training=False)
    assert len(first) == 2 and first[1]["keys"].shape == (3,)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a["images"][2], b["images"][2])
        np.testing.assert_array_equal(a["captions"], b["captions"])
    assert [k.decode() for k in first[0]["keys"]] == [e.key for e in cub_dataset.index.examples[:3]]
    other = batches(cub_dataset, training=False, caption_index=3)
    assert not np.array_equal(other[0]["captions"], first[0]["captions"])
    expected = cub_dataset.caption_ids[0][3][:6]
    np.testing.assert_array_equal(other[0]["captions"][0][:len(expected)], expected)


def test_training_randomness_is_seeded_and_varies_between_passes(cub_dataset):
    config = PipelineConfig(batch_size=6, words_num=6, training=True, seed=5)
    ds = cub_dataset.to_tf_dataset(config)
    epoch1 = next(iter(ds))
    epoch2 = next(iter(ds))
    again = next(iter(cub_dataset.to_tf_dataset(config)))
    np.testing.assert_array_equal(epoch1["images"][2].numpy(), again["images"][2].numpy())
    np.testing.assert_array_equal(epoch1["keys"].numpy(), again["keys"].numpy())
    assert not np.array_equal(epoch1["keys"].numpy(), epoch2["keys"].numpy()) or \
        not np.array_equal(epoch1["images"][2].numpy(), epoch2["images"][2].numpy())
    other = next(iter(cub_dataset.to_tf_dataset(PipelineConfig(
        batch_size=6, words_num=6, training=True, seed=6))))
    assert not np.array_equal(epoch1["images"][2].numpy(), other["images"][2].numpy())


def test_an_endless_pipeline_resumes_at_any_batch_with_the_same_batches(cub_dataset):
    # 6 examples, batches of 4: one batch per pass (drop_remainder), so batch k is pass k.
    config = PipelineConfig(batch_size=4, words_num=6, training=True, seed=3, repeat=True)
    ds = cub_dataset.to_tf_dataset(config)
    stream = [b for b in ds.take(5)]
    keys = [b["keys"].numpy().tolist() for b in stream]
    assert len({tuple(k) for k in keys}) > 1, "each pass has its own order"
    for start in (1, 3):
        resumed = list(cub_dataset.to_tf_dataset(
            PipelineConfig(**{**config.__dict__, "start_batch": start})).take(5 - start))
        for got, want in zip(resumed, stream[start:]):
            np.testing.assert_array_equal(got["keys"].numpy(), want["keys"].numpy())
            np.testing.assert_array_equal(got["captions"].numpy(), want["captions"].numpy())
            np.testing.assert_array_equal(got["images"][2].numpy(), want["images"][2].numpy())


def test_resuming_inside_a_pass_continues_that_pass(cub_dataset):
    config = PipelineConfig(batch_size=2, words_num=6, training=True, seed=1, repeat=True)
    stream = [b["keys"].numpy().tolist() for b in cub_dataset.to_tf_dataset(config).take(7)]
    assert sorted(sum(stream[:3], [])) == sorted(sum(stream[3:6], [])), "a pass: every example"
    resumed = [b["keys"].numpy().tolist() for b in cub_dataset.to_tf_dataset(
        PipelineConfig(**{**config.__dict__, "start_batch": 4})).take(3)]
    assert resumed == stream[4:7]


def test_start_batch_needs_an_endless_pipeline_without_a_cache(tmp_path):
    with pytest.raises(ValueError, match="start_batch: needs repeat=True"):
        PipelineConfig(start_batch=2)
    with pytest.raises(ValueError, match="start_batch: not available with cache_dir"):
        PipelineConfig(start_batch=2, repeat=True, cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="start_batch: must be an integer >= 0"):
        PipelineConfig(start_batch=-1, repeat=True)


def test_training_draws_different_captions_and_flips(cub_dataset):
    config = PipelineConfig(batch_size=6, words_num=40, training=True, shuffle=False)
    ds = cub_dataset.to_tf_dataset(config)
    captions, images = [], []
    for batch in ds.repeat(8):
        captions.append(batch["captions"].numpy()[0])
        images.append(batch["images"][2].numpy()[0])
    assert len({tuple(c) for c in captions}) >= 3, "one caption drawn per image per pass"
    flipped = [np.abs(img[:, ::-1] - images[0]).mean() < np.abs(img - images[0]).mean()
               for img in images[1:]]
    assert any(flipped), "horizontal flips should occur"


def test_long_captions_keep_random_words_in_order(tmp_path):
    root = fixtures.write_cub(tmp_path, train=3, test=1)
    for path in (root / "text").rglob("*.txt"):
        path.write_text("a b c d e f g h i j k l\n" * 10)
    dataset = CaptionDataset(read_cub(root, "train"), cub_vocabulary(root))
    seen = set()
    for b in dataset.to_tf_dataset(PipelineConfig(batch_size=3, words_num=5)).repeat(4):
        for row in b["captions"].numpy():
            assert np.all(np.diff(row) > 0) and len(row) == 5
            seen.add(tuple(row))
    assert len(seen) > 3
    evaluation = next(iter(dataset.to_tf_dataset(PipelineConfig(
        batch_size=3, words_num=5, training=False))))
    np.testing.assert_array_equal(evaluation["captions"].numpy()[0], [1, 2, 3, 4, 5])


def test_tfrecord_cache_matches_direct_decoding_and_is_reused(cub_dataset, tmp_path, caplog):
    cache = tmp_path / "cache"
    direct = batches(cub_dataset, training=False)
    with caplog.at_level(logging.INFO, logger="attngan_tf.data"):
        cached = batches(cub_dataset, training=False, cache_dir=str(cache))
    assert any("cached 6 images" in r.message for r in caplog.records)
    shards = list(cache.rglob("*.tfrecord"))
    assert shards
    mtime = shards[0].stat().st_mtime_ns
    cached_again = batches(cub_dataset, training=False, cache_dir=str(cache))
    assert shards[0].stat().st_mtime_ns == mtime, "cache must not be rewritten"
    for a, b, c in zip(direct, cached, cached_again):
        np.testing.assert_array_equal(a["keys"], b["keys"])
        np.testing.assert_array_equal(a["captions"], b["captions"])
        assert np.abs(a["images"][2] - b["images"][2]).mean() < 0.02  # JPEG q95 re-encode
        np.testing.assert_array_equal(b["images"][2], c["images"][2])
    train = batches(cub_dataset, training=True, cache_dir=str(cache))
    assert sum(len(b["keys"]) for b in train) == 6


def test_pass_summary_logged_once_per_pass(cub_dataset, caplog):
    ds = cub_dataset.to_tf_dataset(PipelineConfig(batch_size=2, words_num=6, training=False))
    with caplog.at_level(logging.INFO, logger="attngan_tf.data"):
        for _ in range(2):
            for _ in ds:
                pass
    messages = [r.message for r in caplog.records if "examples delivered" in r.message]
    assert len(messages) == 2
    assert "pass 1: 6 examples delivered, 0 failed to decode" in messages[0]
    assert "pass 2" in messages[1]


def test_partial_iteration_does_not_leak_into_the_next_pass_summary(cub_dataset, caplog):
    ds = cub_dataset.to_tf_dataset(PipelineConfig(batch_size=2, words_num=6, training=False))
    next(iter(ds))
    with caplog.at_level(logging.INFO, logger="attngan_tf.data"):
        for _ in ds:
            pass
    messages = [r.message for r in caplog.records if "examples delivered" in r.message]
    assert len(messages) == 1 and "6 examples delivered, 0 failed to decode" in messages[0]
