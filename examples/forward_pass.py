"""Encode two captions and run the (untrained) generator of the `tiny` preset.

    python examples/forward_pass.py

Prints the shapes of the text features, the three stages' images and the
word-attention maps. With trained weights the same calls produce birds.
"""

import numpy as np

from attngan_tf import get_preset
from attngan_tf.models import AttnGenerator, TextEncoder


def main():
    cfg = get_preset("tiny")
    text = TextEncoder(cfg.text)
    gen = AttnGenerator(cfg.generator, seed=0)
    ids = np.array([[5, 9, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0],
                    [3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])  # token ids, 0 = padding
    lengths = np.array([4, 2])
    words_emb, sent_emb = text(ids, lengths)
    noise = np.random.default_rng(0).normal(size=(2, cfg.generator.z_dim)).astype("float32")
    out = gen(noise, sent_emb, words_emb, ids > 0)
    print("words_emb", tuple(words_emb.shape), "sent_emb", tuple(sent_emb.shape))
    for image in out["images"]:
        print("image", tuple(image.shape), "range", float(np.min(image)), float(np.max(image)))
    for att in out["attention_maps"]:
        print("attention", tuple(att.shape))


if __name__ == "__main__":
    main()
