"""Datasets: readers for CUB, COCO, plain folders and SynBirds, and ``tf.data`` pipelines.

Typical use::

    from attngan_tf.data import PipelineConfig, load_dataset

    train = load_dataset("synbirds", split="train")
    batches = train.to_tf_dataset(PipelineConfig(batch_size=16, words_num=18))
"""

from .coco import read_coco
from .cub import read_cub
from .folder import read_folder
from .pipeline import CaptionDataset, PipelineConfig, image_sizes, preprocess_image
from .records import DataError, DatasetIndex, Example, Problems
from .sources import SOURCES, load_dataset, load_vocabulary, synbirds_directory

__all__ = [
    "CaptionDataset",
    "DataError",
    "DatasetIndex",
    "Example",
    "PipelineConfig",
    "Problems",
    "SOURCES",
    "image_sizes",
    "load_dataset",
    "load_vocabulary",
    "preprocess_image",
    "read_coco",
    "read_cub",
    "read_folder",
    "synbirds_directory",
]
