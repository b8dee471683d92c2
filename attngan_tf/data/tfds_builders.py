"""TensorFlow Datasets builders: ``synbirds``, ``cub`` and ``coco_captions_attngan``.

Importing this module registers them::

    import tensorflow_datasets as tfds
    import attngan_tf.data.tfds_builders  # noqa: F401  (registers the builders)

    ds = tfds.load("synbirds/tiny", split="train")          # renders locally
    ds = tfds.load("cub", split="train",
                   download_and_prepare_kwargs={"download_config":
                       tfds.download.DownloadConfig(manual_dir="/data/birds")})

Nothing is ever downloaded: ``synbirds`` is rendered on the machine, ``cub``
and ``coco_captions_attngan`` read the user's files from ``manual_dir`` (the
same layouts as :func:`~attngan_tf.data.read_cub` and
:func:`~attngan_tf.data.read_coco`), with the same checks, skips and repairs.
Each example holds the original image, the crop window the reference uses
(``crop``: top, left, bottom, right), the captions, the class id and the key.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

from .. import synbirds as _synbirds
from .coco import read_coco
from .cub import read_cub
from .records import DatasetIndex

__all__ = ["SynBirds", "Cub", "CocoCaptionsAttngan"]

_HOMEPAGE = "https://github.com/attngan-tf/attngan_tf"


def _image_value(path: str):
    """The file itself when it is an RGB JPEG, else its pixels converted to RGB.

    The image is fully decoded either way, so a corrupt file is found here
    (and skipped) rather than when the prepared data set is read.
    """
    with Image.open(path) as img:
        img.load()
        if img.format == "JPEG" and img.mode == "RGB":
            return path
        return np.asarray(img.convert("RGB"))


def _common_features(**extra) -> tfds.features.FeaturesDict:
    return tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
        "crop": tfds.features.Tensor(shape=(4,), dtype=np.int32),
        "captions": tfds.features.Sequence(tfds.features.Text()),
        "class_id": tfds.features.Scalar(dtype=np.int32),
        "key": tfds.features.Text(),
        **extra,
    })


def _examples(index: DatasetIndex, extra=None):
    index.log_summary()
    for example in index.examples:
        try:
            image = _image_value(example.image_path)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
            index.problems.skip("image failed to decode", example.image_path)
            logging.getLogger("attngan_tf.data").warning(
                "%s: skipped, the image failed to decode (%s)", example.image_path, e)
            continue
        value = {"image": image,
                 "crop": np.asarray(example.crop, np.int32),
                 "captions": list(example.captions), "class_id": example.class_id,
                 "key": example.key}
        if extra is not None:
            value.update(extra(example))
        yield example.key, value


def _synbirds_attribute_values() -> dict[str, list[str]]:
    colours = list(_synbirds.BIRD_COLOURS)
    values = {name: colours for name in _synbirds.ATTRIBUTE_NAMES}
    values["size"] = list(_synbirds.SIZES)
    values["background"] = list(_synbirds.BACKGROUND_COLOURS)
    return values


@dataclasses.dataclass
class SynBirdsConfig(tfds.core.BuilderConfig):
    """Size of the rendered set."""

    num_train: int = 10_000
    num_test: int = 2_000
    seed: int = 0


class SynBirds(tfds.core.GeneratorBasedBuilder):
    """SynBirds: procedurally rendered birds with known attributes and 10 captions each."""

    name = "synbirds"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [
        SynBirdsConfig(name="default", description="10,000 train / 2,000 test images."),
        SynBirdsConfig(name="small", description="1,000 train / 200 test images.",
                       num_train=1_000, num_test=200),
        SynBirdsConfig(name="tiny", description="32 train / 8 test images (tests, demos).",
                       num_train=32, num_test=8),
    ]
    DEFAULT_CONFIG_NAME = "default"

    def _info(self) -> tfds.core.DatasetInfo:
        attributes = {
            name: tfds.features.ClassLabel(names=list(values))
            for name, values in _synbirds_attribute_values().items()
        }
        return tfds.core.DatasetInfo(
            builder=self,
            description="Procedurally rendered bird-like figures (256 px) with their "
                        "attributes and 10 grammar-generated captions each.",
            features=_common_features(attributes=tfds.features.FeaturesDict(attributes)),
            homepage=_HOMEPAGE,
        )

    def _split_generators(self, dl_manager):
        root = _synbirds.materialize(pathlib.Path(dl_manager.download_dir),
                                     seed=self.builder_config.seed,
                                     num_train=self.builder_config.num_train,
                                     num_test=self.builder_config.num_test)
        attributes = _synbirds.load_attributes(root)
        return {split: self._generate_examples(root, split, attributes)
                for split in ("train", "test")}

    def _generate_examples(self, root, split, attributes):
        index = read_cub(root, split, source="synbirds")
        names = _synbirds.ATTRIBUTE_NAMES
        yield from _examples(index, lambda e: {"attributes": {
            n: attributes[e.key.split("/")[-1]][n] for n in names}})


class _ManualDirBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Reads the user's files from ``manual_dir`` with one of our readers."""

    SPLITS: tuple[str, ...] = ()
    DESCRIPTION = ""

    def _read(self, root, split) -> DatasetIndex:
        """The index of ``split`` under ``root``; each concrete builder defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define _read(root, split)")

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(builder=self, description=self.DESCRIPTION,
                                     features=_common_features(), homepage=_HOMEPAGE)

    def _split_generators(self, dl_manager):
        return {split: self._generate_examples(dl_manager.manual_dir, split)
                for split in self.SPLITS}

    def _generate_examples(self, root, split):
        yield from _examples(self._read(root, split))


class Cub(_ManualDirBuilder):
    """CUB-200-2011 with the captions of Reed et al., in the layout AttnGAN reads."""

    name = "cub"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place the AttnGAN birds data in manual_dir: CUB_200_2011/ (images/, images.txt, "
        "bounding_boxes.txt), text/ (captions), train/filenames.pickle and "
        "test/filenames.pickle.")
    SPLITS = ("train", "test")
    DESCRIPTION = ("CUB-200-2011 birds with 10 captions per image; crop = bounding box "
                   "enlarged 1.5x, as AttnGAN uses it.")

    def _read(self, root, split) -> DatasetIndex:
        return read_cub(root, split)


class CocoCaptionsAttngan(_ManualDirBuilder):
    """COCO-2014 images with 5 captions each, as AttnGAN uses them (no download)."""

    name = "coco_captions_attngan"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place the official COCO-2014 files in manual_dir: annotations/"
        "captions_train2014.json, annotations/captions_val2014.json, train2014/, val2014/.")
    SPLITS = ("train", "val")
    DESCRIPTION = "COCO-2014 train/val images with their first 5 captions."

    def _read(self, root, split) -> DatasetIndex:
        return read_coco(root, split)
