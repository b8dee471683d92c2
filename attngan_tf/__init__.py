"""attngan_tf: AttnGAN text-to-image generation in TensorFlow 2 / Keras 3.

Networks live in :mod:`attngan_tf.models`, losses in :mod:`attngan_tf.losses`,
configuration presets in :mod:`attngan_tf.config`, weight import from the
original PyTorch release in :mod:`attngan_tf.convert`.
"""

__version__ = "0.1.0"

from .config import (AttnGANConfig, DiscriminatorConfig, GeneratorConfig,  # noqa: E402
                     ImageEncoderConfig, LossConfig, TextConfig, get_preset, preset_names)

__all__ = [
    "AttnGANConfig",
    "DiscriminatorConfig",
    "GeneratorConfig",
    "ImageEncoderConfig",
    "LossConfig",
    "TextConfig",
    "get_preset",
    "preset_names",
    "__version__",
]
