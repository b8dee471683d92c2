"""The CUB reader and pipeline on the real CUB metadata and images in ../shared."""

from __future__ import annotations

import numpy as np
import pytest

from attngan_tf.data import CaptionDataset, PipelineConfig, read_cub
from attngan_tf.data.cub import cub_vocabulary
from tests.conftest import SHARED

BIRDS = SHARED / "data" / "birds"
pytestmark = pytest.mark.skipif(not (BIRDS / "CUB_200_2011").is_dir(),
                                reason="../shared/data/birds is absent")
ALBATROSS = "001.Black_footed_Albatross/Black_Footed_Albatross_0089_796069"


def test_real_images_are_found_with_real_captions_and_crops():
    train, test = read_cub(BIRDS, "train"), read_cub(BIRDS, "test")
    assert len(train) + len(test) == 9
    assert train.problems.skipped == {"missing image": 8_855 - len(train)}
    example = next(e for e in test.examples if e.key == ALBATROSS)
    text = (BIRDS / "text" / f"{ALBATROSS}.txt").read_text().splitlines()
    assert example.captions == tuple(text[:10])
    assert example.class_id == 1
    # bounding box 18: x=45 y=58 w=254 h=249 in a 500x334 image: r = int(254 * .75) = 190,
    # centre (172, 182) -> rows 0..334 (clipped), columns 0..362
    assert example.crop == (0, 0, 334, 362)
    assert {e.class_id for e in train.examples + test.examples} == {1, 24, 191}


def test_real_images_flow_through_the_pipeline():
    dataset = CaptionDataset(read_cub(BIRDS, "test"), cub_vocabulary(BIRDS))
    batch = next(iter(dataset.to_tf_dataset(PipelineConfig(batch_size=3, training=False))))
    big = batch["images"][2].numpy()
    assert big.shape == (3, 256, 256, 3)
    assert big.std() > 0.1, "decoded photos are not blank"
    words = dataset.vocabulary.decode(batch["captions"].numpy()[0])
    assert words[:3] == ["a", "tan", "and"]
    assert np.all(batch["lengths"].numpy() == np.minimum(
        [len(dataset.caption_ids[i][0]) for i in range(3)], 18))
