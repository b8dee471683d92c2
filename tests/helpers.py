"""Input builders shared by the tests."""

import numpy as np


def make_captions(lengths, words: int, vocab_size: int, seed: int = 0):
    """Random token ids ``[B, words]`` with 0-padding after each length."""
    rng = np.random.default_rng(seed)
    lengths = np.asarray(lengths, dtype=np.int64)
    ids = rng.integers(1, vocab_size, size=(len(lengths), words), dtype=np.int64)
    ids[np.arange(words)[None, :] >= lengths[:, None]] = 0
    return ids, lengths
