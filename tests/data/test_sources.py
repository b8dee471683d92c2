"""load_dataset() end to end, with SynBirds: pipeline images keep their ground truth."""

from __future__ import annotations

import pytest

from attngan_tf.data import PipelineConfig, load_dataset
from attngan_tf.synbirds import ATTRIBUTE_NAMES, load_attributes, predict_batch
from tests.data import fixtures


@pytest.fixture(scope="module")
def synbirds_test(tmp_path_factory):
    root = tmp_path_factory.mktemp("synbirds")
    return load_dataset("synbirds", root, "test",
                        synbirds={"num_train": 8, "num_test": 12, "seed": 2})


def test_synbirds_through_the_evaluation_pipeline_keeps_attributes(synbirds_test):
    truth = load_attributes(synbirds_test.index.root)
    batch = next(iter(synbirds_test.to_tf_dataset(PipelineConfig(
        batch_size=12, training=False))))
    keys = [k.decode().split("/")[-1] for k in batch["keys"].numpy()]
    for scale in (0, 2):  # 64 px and 256 px
        predictions = predict_batch(batch["images"][scale].numpy())
        for key, predicted in zip(keys, predictions):
            expected = {n: truth[key][n] for n in ATTRIBUTE_NAMES}
            assert predicted == expected, key
    folders = {k.decode().split("/")[0] for k in batch["keys"].numpy()}
    classes = {int(f.split(".")[0]) for f in folders}
    assert set(batch["class_ids"].numpy()) == classes


def test_synbirds_captions_use_the_small_vocabulary(synbirds_test):
    assert 40 < len(synbirds_test.vocabulary) < 120
    assert len(synbirds_test) == 12 and synbirds_test.index.num_captions == 120


def test_load_dataset_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="source"):
        load_dataset("flowers", tmp_path)
    with pytest.raises(ValueError, match="root"):
        load_dataset("cub")
    root = fixtures.write_folder(tmp_path / "f", count=4)
    dataset = load_dataset("folder", root, "all")
    saved = dataset.vocabulary.save(tmp_path / "v")
    again = load_dataset("folder", root, "all", vocabulary=saved)
    assert again.vocabulary == dataset.vocabulary
