"""attngan_tf: AttnGAN text-to-image generation in TensorFlow 2 / Keras 3.

Networks live in :mod:`attngan_tf.models`, losses in :mod:`attngan_tf.losses`,
configuration presets in :mod:`attngan_tf.config`, weight import from the
original PyTorch release in :mod:`attngan_tf.convert`.
"""

import os as _os

# TensorFlow's C++ INFO and WARNING lines (oneDNN, CUDA probing) stay quiet unless
# the user asked otherwise; this only takes effect when TensorFlow is not yet
# imported. The ``attngan`` command also filters the lines logged before the
# variable is read (:mod:`attngan_tf.native_logs`).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
