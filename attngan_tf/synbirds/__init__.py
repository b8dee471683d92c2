"""SynBirds: a procedurally rendered, CUB-like birds data set with known ground truth.

Every image shows one flat-coloured bird described by seven attributes (crown,
wing, body, tail and beak colour, size, background colour) and comes with ten
captions that state some of them truthfully. The data set is written in the
layout of AttnGAN's CUB-200-2011 birds data, so the usual reader serves it, and
an attribute oracle reads the attributes back from pixels, which turns "does the
generated image match its caption?" into a measurable accuracy.

Modules: :mod:`.attributes` (palettes, :class:`BirdSpec`, classes),
:mod:`.geometry` (the bird's shape), :mod:`.render`, :mod:`.captions`,
:mod:`.oracle` and :mod:`.build` (:func:`materialize`). Nothing here imports
TensorFlow.
"""

from .attributes import (ATTRIBUTE_NAMES, BACKGROUND_COLOURS, BIRD_COLOURS, NUM_CLASSES,
                         PART_NAMES, SCALE_RANGES, SIZES, BirdSpec, class_attributes, class_folder,
                         class_id, sample_spec)
from .build import dataset_name, default_root, load_attributes, materialize
from .captions import caption_vocabulary, make_captions, mentioned_attributes, tokenize
from .oracle import (BirdLocation, attribute_accuracy, locate_bird, predict_attributes,
                     predict_batch, read_bird)
from .render import render

__all__ = [
    "ATTRIBUTE_NAMES",
    "BACKGROUND_COLOURS",
    "BIRD_COLOURS",
    "NUM_CLASSES",
    "PART_NAMES",
    "SCALE_RANGES",
    "SIZES",
    "BirdSpec",
    "sample_spec",
    "class_id",
    "class_folder",
    "class_attributes",
    "render",
    "make_captions",
    "caption_vocabulary",
    "mentioned_attributes",
    "tokenize",
    "predict_attributes",
    "predict_batch",
    "attribute_accuracy",
    "locate_bird",
    "read_bird",
    "BirdLocation",
    "materialize",
    "load_attributes",
    "default_root",
    "dataset_name",
]
