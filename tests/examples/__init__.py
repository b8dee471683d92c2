"""Tests of examples/: each script run as a user runs it, at tiny settings."""

from attngan_tf.models import AttnGAN
from attngan_tf.text import Vocabulary
from tests.models.test_attngan import small_config
from tests.test_sampling import WORDS


def tiny_model(seed: int) -> AttnGAN:
    """An untrained 2-stage (64/128 px) AttnGAN with the small test vocabulary attached."""
    cfg = small_config(2)
    model = AttnGAN(cfg.replace(text=cfg.text.replace(vocab_size=len(WORDS))), seed=seed)
    model.build()
    model.set_vocabulary(Vocabulary(WORDS))
    return model
