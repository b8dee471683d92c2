"""The AttnGAN networks (channels-last Keras 3 models)."""

from .attention import WordAttention
from .attngan import AttnGAN, default_gan_optimizer, load_attngan, save_attngan
from .damsm import DAMSM, damsm_learning_rate, load_damsm
from .discriminator import (ConditionalLogits, ConvBlock, Discriminator, UnconditionalLogits,
                            build_discriminators)
from .generator import AttnGenerator, ConditioningAugmentation, InitStage, NextStage
from .image_encoder import ImageEncoder, load_trunk_weights
from .inception import InceptionV3Trunk
from .small_cnn import SmallCNNTrunk
from .text_encoder import LSTMCell, TextEncoder

__all__ = [
    "AttnGAN",
    "default_gan_optimizer",
    "load_attngan",
    "save_attngan",
    "DAMSM",
    "damsm_learning_rate",
    "load_damsm",
    "SmallCNNTrunk",
    "AttnGenerator",
    "ConditionalLogits",
    "ConditioningAugmentation",
    "ConvBlock",
    "Discriminator",
    "ImageEncoder",
    "InceptionV3Trunk",
    "InitStage",
    "LSTMCell",
    "NextStage",
    "TextEncoder",
    "UnconditionalLogits",
    "WordAttention",
    "build_discriminators",
    "load_trunk_weights",
]
