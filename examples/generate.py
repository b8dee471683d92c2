"""Text in, pictures out: a trained model draws captions given on the command line.

    python examples/generate.py "a small bird with a red crown and blue wings" \\
        "this big bird has a yellow belly, lilac background" --out runs/generated

Loads a model directory written by ``attngan train`` / ``save_attngan`` (by
default the shipped ``saved_models/synbirds``), draws each caption with a fixed
seed and writes, per caption, the last stage's picture ``NNN.png`` and the
paper-style attention figure ``NNN_attention.png`` (every stage, then each
refinement stage's attention map over every known word). Seconds on a CPU.
"""

import pathlib

from absl import app, flags
from PIL import Image

from attngan_tf.figures import attention_figure
from attngan_tf.models import load_attngan

flags.DEFINE_string("model", "saved_models/synbirds", "Model directory (save_attngan's).")
flags.DEFINE_string("out", "runs/generated", "Output directory.")
flags.DEFINE_integer("seed", 0, "Noise seed of the first caption (caption i: seed + i).")
FLAGS = flags.FLAGS


def main(argv):
    captions = argv[1:]
    if not captions:
        raise app.UsageError("give at least one caption, e.g. "
                             "python examples/generate.py \"a bird with a red crown\"")
    model, _ = load_attngan(FLAGS.model)
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    result = model.generate(captions, seed=FLAGS.seed)
    for i, caption in enumerate(captions):
        Image.fromarray(result["images_uint8"][i]).save(out / f"{i:03d}.png")
        figure = attention_figure([stage[i] for stage in result["images"]],
                                  [maps[i] for maps in result["attention_maps"]],
                                  result["words"][i], caption)
        figure.save(out / f"{i:03d}_attention.png")
        print(f"{out / f'{i:03d}.png'}: {caption!r} (words the model knows: "
              f"{' '.join(result['words'][i]) or 'none'})")


if __name__ == "__main__":
    app.run(main)
