"""Random training batches at a configuration's sizes, shared by the benchmarks."""

import numpy as np


def random_captions(words_num: int, vocab_size: int, size: int, rng):
    """``(ids [size, words_num], lengths [size])``: lengths in [T/2, T], padding 0."""
    lengths = rng.integers(words_num // 2, words_num + 1, size)
    ids = rng.integers(1, vocab_size, (size, words_num))
    ids[np.arange(words_num)[None, :] >= lengths[:, None]] = 0
    return ids, lengths


def random_tf_batch(config, size: int, rng) -> dict:
    """A batch as ``AttnGAN.train_step`` takes it (images in [-1, 1] at every stage)."""
    import tensorflow as tf

    ids, lengths = random_captions(config.text.words_num, config.text.vocab_size, size, rng)
    return {"images": tuple(tf.constant(rng.uniform(-1, 1, (size, s, s, 3)), tf.float32)
                            for s in config.generator.image_sizes),
            "captions": tf.constant(ids, tf.int32), "lengths": tf.constant(lengths, tf.int32),
            "class_ids": tf.constant(rng.integers(1, 201, size), tf.int32)}


#: The caption the sampling benchmarks draw (16 words, as the port's sampling timing).
CAPTION = "this small bird has a red crown, a white belly and black wings with white bars"


def placeholder_vocabulary(config):
    """A vocabulary of the preset's size holding :data:`CAPTION`'s words, then fillers."""
    from attngan_tf.text import Vocabulary

    words = CAPTION.replace(",", "").split()
    filler = [f"word{i}" for i in range(config.text.vocab_size - 1 - len(set(words)))]
    return Vocabulary(["<end>", *dict.fromkeys(words), *filler])
