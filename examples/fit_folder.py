"""Train AttnGAN on your own pictures: a folder of images, each with a caption file.

    python examples/fit_folder.py --data_dir my_photos --out runs/my_photos \\
        --damsm_minutes 30 --gan_minutes 120

Layout (``attngan data --source folder`` checks it)::

    my_photos/images/<class>/0001.jpg     any depth; .jpg, .jpeg or .png
    my_photos/images/<class>/0001.txt     captions for that picture, one per line
    my_photos/train.txt, test.txt         optional: image paths per split
                                          (otherwise a stable 90/10 split)

A first-level sub-folder of ``images/`` is a class (pictures of one class are
not used as each other's mismatched examples). The vocabulary is built from
your captions. The networks are the ``synbirds`` preset's, sized for a CPU: the
DAMSM image encoder is a small CNN trained from scratch at 64 px (no
pretrained weights needed), and ``--stages 2`` draws 128 px pictures (3: 256
px). Prints the DAMSM's test R-precision@1 and writes ``OUT/samples``. On 2 CPU
cores expect hours for recognisable pictures of real photos; the defaults
above are a first look. Running again resumes.
"""

import pathlib

from absl import app, flags

from attngan_tf.data import load_dataset
from attngan_tf.models import load_attngan
from attngan_tf.sampling import write_samples
from attngan_tf.training import DamsmRun, GanRun, train_attngan, train_damsm

flags.DEFINE_string("data_dir", None, "The folder (with images/ inside).", required=True)
flags.DEFINE_string("out", "runs/folder", "Output directory; running again resumes.")
flags.DEFINE_integer("stages", 2, "Generator stages: 1, 2 or 3 (64, 128 or 256 px).")
flags.DEFINE_float("damsm_minutes", 30.0, "DAMSM time limit.")
flags.DEFINE_float("gan_minutes", 120.0, "AttnGAN time limit.")
flags.DEFINE_integer("batch_size", 16, "AttnGAN batch size.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    out = pathlib.Path(FLAGS.out)
    test = load_dataset("folder", FLAGS.data_dir, "test")  # fails early, naming what is wrong
    print(f"{len(test)} test pictures; vocabulary of {len(test.vocabulary)} words")
    summary = train_damsm(DamsmRun(dataset="folder", data_dir=FLAGS.data_dir,
                                   out=str(out / "damsm_run"), preset="synbirds",
                                   max_minutes=FLAGS.damsm_minutes, verbose=2))
    print(f"DAMSM: {summary['epochs']} epochs, test R-precision@1 "
          f"{summary['r_precision_mean']:.3f}")
    summary = train_attngan(GanRun(dataset="folder", data_dir=FLAGS.data_dir,
                                   out=str(out / "attngan"),
                                   damsm=str(out / "damsm_run" / "damsm"), preset="synbirds",
                                   stages=FLAGS.stages, max_minutes=FLAGS.gan_minutes,
                                   batch_size=FLAGS.batch_size, verbose=2))
    model, _ = load_attngan(summary["model"])
    captions = [example.captions[0] for example in test.index.examples[:4]]
    for path in write_samples(model, captions, out / "samples", seed=0):
        print(path)


if __name__ == "__main__":
    app.run(main)
