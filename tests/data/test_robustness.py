"""Bad data never crashes an epoch: defects are skipped or repaired, and counted."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from attngan_tf.data import CaptionDataset, DataError, PipelineConfig, read_cub, read_folder
from attngan_tf.data.cub import cub_vocabulary
from tests.data import fixtures


def image_path(root, name):
    return root / "CUB_200_2011" / "images" / f"{name}.jpg"


@pytest.fixture
def defective(tmp_path):
    """Ten CUB train images; eight of them carry one defect each."""
    root = fixtures.write_cub(tmp_path / "cub", train=10, test=1, image_size=(80, 60))
    names = [e.key for e in read_cub(root, "train", check_images=False).examples]
    good = image_path(root, names[0]).read_bytes()
    image_path(root, names[1]).write_bytes(b"\x00garbage, not a picture" * 20)   # corrupt
    image_path(root, names[2]).write_bytes(good[: len(good) // 2])              # truncated
    (root / "text" / f"{names[3]}.txt").unlink()                                  # no captions
    (root / "text" / f"{names[4]}.txt").write_text("\n \n\n")                     # empty captions
    (root / "text" / f"{names[5]}.txt").write_bytes(
        b"a red bird with \xff\xfe blue wings\nthe bird is small\n")              # not UTF-8
    fixtures.set_bbox(root, names[6], (10, 5, 200, 150))                          # bigger than image
    fixtures.set_bbox(root, names[7], (500, 400, 30, 30))                         # outside image
    image_path(root, names[8]).unlink()                                           # missing image
    return root, names


def test_reader_skips_repairs_and_counts_each_defect(defective):
    root, names = defective
    index = read_cub(root, "train")
    problems = index.problems
    assert dict(problems.skipped) == {
        "unreadable image": 1, "truncated image": 1, "missing caption file": 1,
        "empty caption file": 1, "bounding box outside the image": 1, "missing image": 1}
    assert problems.repaired["non-UTF-8 caption text"] == 1
    assert problems.repaired["bounding box clipped to the image"] == 1
    assert problems.repaired["fewer than 10 captions"] == 1
    keys = [e.key for e in index.examples]
    assert keys == [names[0], names[5], names[6], names[9]]
    repaired_text = next(e for e in index.examples if e.key == names[5]).captions
    assert repaired_text[0].startswith("a red bird with") and len(repaired_text) == 2
    clipped = next(e for e in index.examples if e.key == names[6])
    assert clipped.crop == (0, 0, 60, 80)
    assert "skipped" in problems.summary() and problems.messages


def test_epoch_runs_through_and_logs_a_summary(defective, caplog):
    root, names = defective
    dataset = CaptionDataset(read_cub(root, "train"), cub_vocabulary(root))
    with caplog.at_level(logging.INFO, logger="attngan_tf.data"):
        keys = [k.decode() for b in dataset.to_tf_dataset(PipelineConfig(
            batch_size=2, words_num=8, training=False)) for k in b["keys"].numpy()]
    assert keys == [names[0], names[5], names[6], names[9]]
    summary = [r.message for r in caplog.records if "examples delivered" in r.message]
    assert len(summary) == 1 and "6 skipped" in summary[0]


def test_images_that_break_after_indexing_are_skipped_in_graph(defective, caplog):
    root, names = defective
    dataset = CaptionDataset(read_cub(root, "train"), cub_vocabulary(root))
    image_path(root, names[9]).write_bytes(b"broken after the index was built")
    with caplog.at_level(logging.INFO, logger="attngan_tf.data"):
        keys = [k.decode() for b in dataset.to_tf_dataset(PipelineConfig(
            batch_size=4, words_num=8, training=True, drop_remainder=False))
            for k in b["keys"].numpy()]
    assert sorted(keys) == sorted([names[0], names[5], names[6]])
    summary = [r.message for r in caplog.records if "examples delivered" in r.message]
    assert "3 examples delivered, 1 failed to decode" in summary[0]


def test_nothing_usable_raises_a_clear_error(tmp_path):
    root = fixtures.write_cub(tmp_path / "cub", train=2, test=1)
    for path in (root / "CUB_200_2011" / "images").rglob("*.jpg"):
        path.write_bytes(b"junk")
    with pytest.raises(DataError) as info:
        read_cub(root, "train")
    message = str(info.value)
    assert str(root) in message and "unreadable image" in message


def test_pass_that_decodes_nothing_raises(tmp_path):
    root = fixtures.write_cub(tmp_path / "cub", train=2, test=1)
    dataset = CaptionDataset(read_cub(root, "train"), cub_vocabulary(root))
    for path in (root / "CUB_200_2011" / "images").rglob("*.jpg"):
        path.write_bytes(b"junk")
    with pytest.raises(Exception, match="no example could be decoded"):
        for _ in dataset.to_tf_dataset(PipelineConfig(batch_size=2, words_num=8)):
            pass


def test_folder_reader_skips_missing_and_empty_captions(tmp_path):
    root = fixtures.write_folder(tmp_path, count=6)
    files = sorted((root / "images").rglob("*.txt"))
    files[0].unlink()
    files[1].write_text("")
    index = read_folder(root)
    assert len(index) == 4
    assert index.problems.skipped == {"missing caption file": 1, "empty caption file": 1}
    np.testing.assert_array_equal(sorted({e.class_id for e in index.examples}), [1, 2])


def test_trailing_bytes_after_jpeg_end_are_not_truncation_but_thin_images_are_skipped(tmp_path):
    root = fixtures.write_cub(tmp_path / "cub", train=3, test=1)
    names = [e.key for e in read_cub(root, "train", check_images=False).examples]
    with open(image_path(root, names[0]), "ab") as f:
        f.write(b"\x00" * 4096)  # camera-style trailer after the end marker
    from PIL import Image
    Image.new("RGB", (300, 10), "red").save(image_path(root, names[1]), "JPEG")
    index = read_cub(root, "train")
    assert [e.key for e in index.examples] == [names[0], names[2]]
    assert index.problems.skipped == {"image too small or too thin": 1}


def test_only_non_ascii_caption_lines_keep_their_slot(tmp_path):
    root = fixtures.write_cub(tmp_path / "cub", train=2, test=1)
    name = read_cub(root, "train", check_images=False).examples[0].key
    (root / "text" / f"{name}.txt").write_text("ñéü ößç\nthe bird is red\n", encoding="utf-8")
    index = read_cub(root, "train")
    assert index.examples[0].captions == ("ñéü ößç", "the bird is red")
    dataset = CaptionDataset(index, cub_vocabulary(root))
    assert len(dataset.caption_ids[0]) == 1
    assert dataset.index.problems.repaired["caption without known words dropped"] == 1
    assert "caption without known words dropped" not in index.problems.repaired, \
        "the caller's index must not be changed"
