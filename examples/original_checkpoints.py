"""Use the original AttnGAN release: convert its PyTorch files, draw captions, export for serving.

    pip install -e '.[torch]'    # torch reads the .pth files (this step only)
    python examples/original_checkpoints.py --netg bird_AttnGAN2.pth \\
        --text_encoder text_encoder200.pth --image_encoder image_encoder200.pth \\
        --captions data/birds/captions.pickle --preset birds --out runs/bird_release \\
        "this bird has a red crown and black wings" "a small yellow bird with a short beak"

The released files are the bird (or COCO: ``--preset coco``; the bird
AttnDCGAN's ``bird_AttnDCGAN2.pth``: ``--preset bird_attndcgan2``) generator and
DAMSM encoders, and ``captions.pickle`` holds the vocabulary they were trained
with. The three steps: ``convert_release`` reads them (tensors only, no code
from the files runs) into a model directory (``OUT/model``); ``write_samples``
draws the captions with their attention figures (``OUT/samples``);
``export_saved_model`` writes the TF Serving version directory
(``OUT/serving/1``). About a minute at the ``birds`` preset on a CPU, most of
it the export. The release has no discriminators: the model samples and
exports, but cannot resume training.
"""

import pathlib

from absl import app, flags

from attngan_tf.convert.pytorch import convert_release
from attngan_tf.export import export_saved_model
from attngan_tf.models import load_attngan
from attngan_tf.sampling import write_samples

flags.DEFINE_string("netg", None, "The released generator (bird_AttnGAN2.pth).", required=True)
flags.DEFINE_string("text_encoder", None, "The released text encoder (text_encoder200.pth).",
                    required=True)
flags.DEFINE_string("image_encoder", None, "The released image encoder (image_encoder200.pth).",
                    required=True)
flags.DEFINE_string("captions", None, "The data set's captions.pickle (its vocabulary).",
                    required=True)
flags.DEFINE_string("preset", "birds", "The configuration the files were trained with.")
flags.DEFINE_string("out", "runs/release", "Output directory.")
flags.DEFINE_integer("seed", 0, "Noise seed of the first caption.")
FLAGS = flags.FLAGS


def main(argv):
    captions = argv[1:]
    if not captions:
        raise app.UsageError("give at least one caption")
    out = pathlib.Path(FLAGS.out)
    convert_release(FLAGS.netg, FLAGS.text_encoder, FLAGS.image_encoder, FLAGS.captions,
                    FLAGS.preset, out / "model")
    model, vocabulary = load_attngan(out / "model")
    print(f"converted to {out / 'model'} ({len(vocabulary)} words, "
          f"{model.stages} stages up to {model.config.generator.image_sizes[-1]} px)")
    for path in write_samples(model, captions, out / "samples", seed=FLAGS.seed):
        print(path)
    print(f"exported for TF Serving to {export_saved_model(model, out / 'serving')}")


if __name__ == "__main__":
    app.run(main)
