"""Weight import from the original PyTorch AttnGAN (state dicts in its names).

:mod:`.pytorch` reads `torch.save` files (needs the optional torch) and converts a release.
"""

from .state_dict import (StateDictError, export_state_dict, load_discriminator, load_generator,
                         load_image_encoder, load_inception_trunk, load_state_dict,
                         load_text_encoder)

__all__ = [
    "StateDictError",
    "export_state_dict",
    "load_discriminator",
    "load_generator",
    "load_image_encoder",
    "load_inception_trunk",
    "load_state_dict",
    "load_text_encoder",
]
