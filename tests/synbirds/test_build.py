"""materialize() writes a deterministic, complete CUB-style data set exactly once."""

from __future__ import annotations

import json
import logging
import os
import pathlib
import pickle

import numpy as np
import pytest
from PIL import Image

from attngan_tf.synbirds import build
from attngan_tf.synbirds.attributes import (ATTRIBUTE_NAMES, BirdSpec, class_attributes,
                                            class_folder, class_id)
from attngan_tf.synbirds.captions import mentioned_attributes
from attngan_tf.synbirds.oracle import predict_attributes

SMALL = dict(seed=3, num_train=12, num_test=4, image_size=64, progress=False)


def _files(directory: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> pathlib.Path:
    return build.materialize(tmp_path_factory.mktemp("one"), workers=1, **SMALL)


def test_same_seed_gives_identical_bytes_whatever_the_worker_count(dataset, tmp_path):
    assert dataset.name == "synbirds-s3-n12-4-64"
    again = build.materialize(tmp_path / "two", workers=2, **SMALL)
    assert again != dataset
    assert _files(again) == _files(dataset)
    other = build.materialize(tmp_path / "three", workers=1, **dict(SMALL, seed=4))
    ours, theirs = _files(dataset), _files(other)
    images = [k for k in ours if k.endswith(".jpg")]
    assert not any(ours[k] == theirs.get(k) for k in images)
    assert ours["CUB_200_2011/images.txt"] != theirs["CUB_200_2011/images.txt"]


def test_existing_data_set_is_returned_without_rendering(dataset, monkeypatch):
    marker = dataset / build.MARKER
    stamp = marker.stat().st_mtime_ns
    before = _files(dataset)

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(build, "render", fail)
    assert build.materialize(dataset.parent, workers=1, **SMALL) == dataset
    assert marker.stat().st_mtime_ns == stamp and _files(dataset) == before


def test_layout(dataset):
    cub = dataset / "CUB_200_2011"
    images = [line.split() for line in (cub / "images.txt").read_text().splitlines()]
    assert [int(i) for i, _ in images] == list(range(1, 17))
    paths = [p for _, p in images]
    keys = [f"synbird_{i:06d}" for i in range(16)]
    assert [pathlib.PurePosixPath(p).stem for p in paths] == keys
    boxes = (cub / "bounding_boxes.txt").read_text().splitlines()
    assert boxes == [f"{i} 0.0 0.0 64.0 64.0" for i in range(1, 17)]
    classes = (cub / "classes.txt").read_text().splitlines()
    assert classes == [f"{c} {class_folder(c)}" for c in range(1, 101)]
    labels = [int(line.split()[1])
              for line in (cub / "image_class_labels.txt").read_text().splitlines()]
    assert [class_folder(c) for c in labels] == [p.split("/")[0] for p in paths]
    split = [line.split() for line in (cub / "train_test_split.txt").read_text().splitlines()]
    assert [s for _, s in split] == ["1"] * 12 + ["0"] * 4

    names = {p[:-len(".jpg")] for p in paths}
    for part, count, ids in (("train", 12, labels[:12]), ("test", 4, labels[12:])):
        raw = (dataset / part / "filenames.pickle").read_bytes()
        assert raw[:2] == b"\x80\x02"  # pickle protocol 2
        filenames = pickle.loads(raw)
        assert len(filenames) == count and set(filenames) <= names
        assert filenames == sorted(filenames, key=lambda f: f.split("/")[1])
        with open(dataset / part / "class_info.pickle", "rb") as f:
            assert pickle.load(f) == ids

    records = build.load_attributes(dataset)
    assert list(records) == keys
    for path, label in zip(paths, labels):
        folder, key = path[:-len(".jpg")].split("/")
        record = records[key]
        spec = BirdSpec.from_dict({**{n: record[n] for n in ATTRIBUTE_NAMES}, **record["pose"]})
        assert record["class_id"] == label == class_id(spec)
        assert class_attributes(label) == (record["crown"], record["body"])
        assert record["split"] == ("train" if int(key[-6:]) < 12 else "test")
        image = Image.open(cub / "images" / path)
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (64, 64)
        text = (dataset / "text" / folder / f"{key}.txt").read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n")
        captions = text.splitlines()
        assert len(captions) == 10
        for caption in captions:
            for name, value in mentioned_attributes(caption).items():
                assert record[name] == value
        # End to end: the oracle reads the stored 64 px image back.
        assert predict_attributes(image) == spec.attributes()

    marker = json.loads((dataset / build.MARKER).read_text())
    assert marker["format_version"] == build.FORMAT_VERSION
    assert {k: marker[k] for k in ("seed", "num_train", "num_test", "image_size")} == \
        {"seed": 3, "num_train": 12, "num_test": 4, "image_size": 64}
    assert sorted(p.name for p in dataset.parent.iterdir()) == [dataset.name]  # no leftovers


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real_render = build.render

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) > 5:
            raise RuntimeError("power cut")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(build, "render", flaky)
    with pytest.raises(RuntimeError, match="power cut"):
        build.materialize(tmp_path, workers=1, **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_incomplete_directory_is_not_trusted(tmp_path):
    target = tmp_path / build.dataset_name(3, 12, 4, 64)
    (target / "CUB_200_2011").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        build.materialize(tmp_path, workers=1, **SMALL)
    (target / build.MARKER).write_text(json.dumps({"format_version": -1}))
    with pytest.raises(FileExistsError):
        build.materialize(tmp_path, workers=1, **SMALL)
    with pytest.raises(ValueError):
        build.materialize(tmp_path, seed=-1)


def test_default_root_and_progress_log(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ATTNGAN_DATA_DIR", str(tmp_path / "data"))
    assert build.default_root() == tmp_path / "data"
    with caplog.at_level(logging.INFO, logger="attngan_tf.synbirds"):
        path = build.materialize(seed=1, num_train=10, num_test=0, image_size=32, workers=1)
    assert path == tmp_path / "data" / "synbirds-s1-n10-0-32"
    progress = [r.getMessage() for r in caplog.records if "rendered" in r.getMessage()]
    assert len(progress) == 10 and progress[-1].startswith("SynBirds: rendered 10/10")
    monkeypatch.delenv("ATTNGAN_DATA_DIR")
    assert build.default_root() == pathlib.Path(os.path.expanduser("~")) / ".cache" / "attngan_tf"
    assert np.asarray(Image.open(next(path.rglob("*.jpg")))).shape == (32, 32, 3)


_UNGUARDED = """
from attngan_tf.data import load_dataset
data = load_dataset("synbirds", {root!r}, "train",
                    synbirds={{"num_train": 6, "num_test": 2, "image_size": 32}})
print("images", len(data))
"""


@pytest.mark.parametrize("how", ["script", "stdin"])
def test_rendering_works_from_a_script_without_a_main_guard(tmp_path, how):
    """Two worker processes, started from a script with no __main__ guard (or fed on stdin)."""
    import subprocess
    import sys

    code = _UNGUARDED.format(root=str(tmp_path / "data"))
    script = tmp_path / "script.py"
    script.write_text(code)
    args = [sys.executable, str(script)] if how == "script" else [sys.executable, "-"]
    proc = subprocess.run(args, input=None if how == "script" else code, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "images 6" in proc.stdout and "bootstrapping" not in proc.stderr
    serial = build.materialize(tmp_path / "serial", workers=1, num_train=6, num_test=2,
                               image_size=32, seed=0)
    rendered = next((tmp_path / "data").glob("synbirds-*"))
    for name in ("attributes.jsonl", "CUB_200_2011/images.txt"):
        assert (rendered / name).read_bytes() == (serial / name).read_bytes()


def test_a_failing_worker_is_an_error_not_a_retry(tmp_path):
    jobs = [(str(tmp_path / "file"), 0, i, 32, "train") for i in range(4)]
    (tmp_path / "file").write_text("a file where a directory must be")
    with pytest.raises(RuntimeError, match="rendering worker . failed"):
        list(build._records(jobs, workers=2, progress=False))
