"""TFDS builders: cub and coco_captions_attngan from manual_dir, synbirds rendered locally."""

from __future__ import annotations

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

import attngan_tf.data.tfds_builders  # noqa: E402,F401  (registers the builders)
from attngan_tf.data import read_coco, read_cub  # noqa: E402
from tests.data import fixtures  # noqa: E402


def load(name, data_dir, manual_dir=None, split="train"):
    config = tfds.download.DownloadConfig(manual_dir=str(manual_dir)) if manual_dir else None
    return tfds.load(name, split=split, data_dir=str(data_dir),
                     download_and_prepare_kwargs={"download_config": config})


def test_cub_builder_reads_manual_dir_like_the_reader(tmp_path):
    root = fixtures.write_cub(tmp_path / "birds", train=4, test=2)
    fixtures.set_bbox(root, "002.Blue_bird/Blue_bird_0001", (500, 500, 10, 10))
    ds = load("cub", tmp_path / "tfds", root)
    records = sorted(tfds.as_numpy(ds), key=lambda r: r["key"])
    index = read_cub(root, "train")
    assert [r["key"].decode() for r in records] == sorted(e.key for e in index.examples)
    assert len(records) == 3, "the example with a bbox outside the image is skipped"
    first = records[0]
    example = next(e for e in index.examples if e.key == first["key"].decode())
    assert first["image"].shape == (70, 90, 3)
    assert tuple(first["crop"]) == example.crop
    assert [c.decode() for c in first["captions"]] == list(example.captions)
    assert first["class_id"] == example.class_id
    test = list(tfds.as_numpy(load("cub", tmp_path / "tfds", root, split="test")))
    assert len(test) == 2


def test_coco_builder(tmp_path):
    root = fixtures.write_coco(tmp_path / "coco", train=3, val=2)
    ds = load("coco_captions_attngan", tmp_path / "tfds", root, split="val")
    records = list(tfds.as_numpy(ds))
    assert len(records) == 2
    assert all(len(r["captions"]) == 5 for r in records)
    keys = {e.key for e in read_coco(root, "val").examples}
    assert {r["key"].decode() for r in records} == keys


def test_builders_are_registered_and_never_download():
    names = tfds.list_builders()
    for name in ("synbirds", "cub", "coco_captions_attngan"):
        assert name in names
    for cls in (attngan_tf.data.tfds_builders.Cub,
                attngan_tf.data.tfds_builders.CocoCaptionsAttngan):
        assert cls.MANUAL_DOWNLOAD_INSTRUCTIONS


def test_synbirds_tiny_renders_locally(tmp_path):
    ds = load("synbirds/tiny", tmp_path / "tfds", split="train")
    records = list(tfds.as_numpy(ds))
    assert len(records) == 32
    r = records[0]
    assert r["image"].shape == (256, 256, 3) and len(r["captions"]) == 10
    assert set(r["attributes"]) == {"crown", "wing", "body", "tail", "beak", "size", "background"}
    assert np.all(r["crop"] == [0, 0, 256, 256])


def test_builder_skips_images_that_fail_to_decode(tmp_path, monkeypatch):
    root = fixtures.write_cub(tmp_path / "birds", train=3, test=1)
    builders = attngan_tf.data.tfds_builders
    real = builders._image_value

    def flaky(path):
        if path.endswith("_0001.jpg"):
            raise OSError("broken data stream")
        return real(path)

    monkeypatch.setattr(builders, "_image_value", flaky)
    records = list(tfds.as_numpy(load("cub", tmp_path / "tfds", root)))
    assert sorted(r["key"].decode().split("_")[-1] for r in records) == ["0000", "0002"]
