"""CUB, COCO and folder readers on fixtures the tests write."""

from __future__ import annotations

import pickle

import pytest

from attngan_tf.data import DataError, read_coco, read_cub, read_folder
from attngan_tf.data.coco import coco_vocabulary
from attngan_tf.data.cub import cub_vocabulary
from attngan_tf.data.folder import folder_vocabulary
from attngan_tf.text import python_tokenize
from tests.data import fixtures


def test_cub_reader_reads_split_captions_classes_and_crop(tmp_path):
    root = fixtures.write_cub(tmp_path, train=6, test=3, image_size=(90, 70))
    train, test = read_cub(root, "train"), read_cub(root, "test")
    assert len(train) == 6 and len(test) == 3
    assert train.problems.num_skipped == 0 and train.problems.num_repaired == 0
    first = train.examples[0]
    assert first.key == "001.Red_bird/Red_bird_0000"
    assert len(first.captions) == 10
    assert [e.class_id for e in train.examples] == [1, 2, 1, 2, 1, 2]
    # bbox = (18, 17.5, 45, 28): r = int(45 * .75) = 33, centre (40, 31)
    assert first.crop == (0, 7, 64, 73)
    assert first.image_path.endswith("CUB_200_2011/images/001.Red_bird/Red_bird_0000.jpg")


def test_cub_split_falls_back_to_train_test_split_file(tmp_path):
    root = fixtures.write_cub(tmp_path, train=4, test=2)
    for split in ("train", "test"):
        (root / split / "filenames.pickle").unlink()
    lines = (root / "CUB_200_2011" / "images.txt").read_text().splitlines()
    (root / "CUB_200_2011" / "train_test_split.txt").write_text(
        "".join(f"{l.split()[0]} {int(i < 4)}\n" for i, l in enumerate(lines)))
    assert len(read_cub(root, "train")) == 4
    assert len(read_cub(root, "test")) == 2


def test_cub_vocabulary_built_or_read_from_captions_pickle(tmp_path):
    root = fixtures.write_cub(tmp_path)
    vocab = cub_vocabulary(root)
    train = read_cub(root, "train")
    first_tokens = python_tokenize(train.examples[0].captions[0])
    assert vocab.words[1] == first_tokens[0]
    words = ["<end>"] + sorted(set(vocab.words[1:]))
    with open(root / "captions.pickle", "wb") as f:
        pickle.dump([[], [], dict(enumerate(words)), {w: i for i, w in enumerate(words)}], f,
                    protocol=2)
    assert cub_vocabulary(root).words == tuple(words)


def test_cub_layout_errors_name_the_directory(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path)):
        read_cub(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        read_cub(tmp_path, "validation")


def test_coco_reader(tmp_path):
    root = fixtures.write_coco(tmp_path, train=4, val=2)
    train, val = read_coco(root, "train"), read_coco(root, "test")
    assert len(train) == 4 and len(val) == 2
    assert all(len(e.captions) == 5 for e in train.examples)
    ids = [e.class_id for e in train.examples]
    assert all(i < 0 for i in ids) and len(set(ids)) == 4
    assert train.examples[0].key == "train2014/COCO_train2014_000000000100"
    assert train.examples[0].crop == (0, 0, 70, 90)
    vocab = coco_vocabulary(root)
    assert vocab.words[1] == python_tokenize(train.examples[0].captions[0])[0]
    with pytest.raises(DataError, match="captions_train2014.json"):
        read_coco(tmp_path / "nowhere", "train")


def test_folder_reader_classes_formats_and_splits(tmp_path):
    root = fixtures.write_folder(tmp_path, count=12)
    everything = read_folder(root, "all")
    assert len(everything) == 12
    assert {e.class_id for e in everything.examples} == {1, 2}
    assert any(e.image_path.endswith(".png") for e in everything.examples)
    assert all(len(e.captions) == 3 for e in everything.examples)
    train = read_folder(root, "train", test_fraction=0.3)
    test = read_folder(root, "test", test_fraction=0.3)
    keys = lambda index: {e.key for e in index.examples}  # noqa: E731
    assert keys(train).isdisjoint(keys(test)) and keys(train) | keys(test) == keys(everything)
    (root / "test.txt").write_text("cat_a/001.jpg\ncat_b/000.png\n")
    assert keys(read_folder(root, "test")) == {"cat_a/001", "cat_b/000"}
    assert len(folder_vocabulary(root)) > 5


def test_folder_without_subfolders_has_unique_negative_classes(tmp_path):
    root = fixtures.write_folder(tmp_path, count=4, classes=False)
    ids = [e.class_id for e in read_folder(root).examples]
    assert all(i < 0 for i in ids) and len(set(ids)) == 4
    with pytest.raises(DataError, match="images"):
        read_folder(tmp_path / "images")


def test_coco_vocabulary_prefers_reference_captions_pickle(tmp_path):
    root = fixtures.write_coco(tmp_path)
    words = ["<end>", "zebra", "this", "red"]
    with open(root / "captions.pickle", "wb") as f:
        pickle.dump([[], [], dict(enumerate(words)), {w: i for i, w in enumerate(words)}], f,
                    protocol=2)
    assert coco_vocabulary(root).words == tuple(words)


def test_folder_keys_stay_unique_when_names_collide(tmp_path):
    root = fixtures.write_folder(tmp_path, count=2, classes=False)
    (root / "images" / "000.jpg").write_bytes((root / "images" / "001.jpg").read_bytes())
    keys = [e.key for e in read_folder(root).examples]
    assert sorted(keys) == ["000.jpg", "000.png", "001"]
