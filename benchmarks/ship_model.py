"""Copies a trained model into ``saved_models/NAME`` the way the shipped one was made.

    python benchmarks/ship_model.py --model runs/attngan/model --out saved_models/synbirds_demo

Writes ``OUT/model`` (``save_attngan`` without discriminators: it samples,
exports and evaluates, and cannot resume training) and ``OUT/samples.png``:
caption 0 of SynBirds test images 10000-10017 (the data set of seed 0 with
10,000 training images; the captions are regenerated from the data set's
seeds, nothing is rendered) drawn with seeds 0-17. Then, with the package's
own commands::

    attngan evaluate --model OUT/model --dataset synbirds --synbirds-image-size 128 \\
        --samples 1000 --metrics rprec,attr --out OUT/evaluation.json
    attngan export --model OUT/model --out OUT/serving

About half a minute for this script.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
from absl import app, flags

flags.DEFINE_string("model", None, "A trained model directory (train's OUT/model).",
                    required=True)
flags.DEFINE_string("out", None, "Where to write (OUT/model, OUT/samples.png).", required=True)
flags.DEFINE_integer("count", 18, "Test captions in the grid.")
FLAGS = flags.FLAGS


def synbirds_test_captions(count: int, first: int = 10000) -> list[str]:
    """Caption 0 of SynBirds test images ``first..first+count-1`` (seed 0, 10,000 train)."""
    from attngan_tf.synbirds.attributes import sample_spec
    from attngan_tf.synbirds.captions import make_captions

    captions = []
    for index in range(first, first + count):
        rng = np.random.default_rng([0, index])
        captions.append(make_captions(sample_spec(rng), rng, n=10)[0])
    return captions


def main(argv):
    del argv
    from attngan_tf.figures import caption_grid
    from attngan_tf.models import load_attngan, save_attngan

    out = pathlib.Path(FLAGS.out)
    model, vocabulary = load_attngan(FLAGS.model)
    save_attngan(model, out / "model", vocabulary, discriminators=False)
    captions = synbirds_test_captions(FLAGS.count)
    drawn = model.generate(captions, seed=0)["images_uint8"]
    caption_grid(list(drawn), captions).save(out / "samples.png")
    print(f"wrote {out / 'model'} and {out / 'samples.png'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    app.run(main)
