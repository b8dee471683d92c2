"""Train AttnGAN on CUB-200-2011 in the original release's layout: DAMSM, then AttnGAN.

    python examples/fit_cub.py --data_dir data/birds --out runs/cub \\
        --trunk_weights inception_v3.weights.h5 --damsm_minutes 600 --gan_minutes 6000

``data_dir`` is the original ``data/birds`` folder: ``CUB_200_2011/`` (images,
``bounding_boxes.txt``), ``text/`` (ten captions per image) and the
``train/``/``test/`` ``filenames.pickle`` files (and ``captions.pickle`` if you
have it: its vocabulary is then the model's). Uses the library's run
configurations (:class:`DamsmRun`, :class:`GanRun`) -- the same code as
``attngan train-damsm`` and ``attngan train``, with checkpoints, resuming when
run again, TensorBoard logs and time limits. With ``--trunk_weights`` (a local
Inception-v3 weights file; nothing is downloaded) the image encoder starts
pretrained as in the paper; without, from random initialisation. At the
paper's ``birds`` preset this is days of CPU time (the paper: 600 DAMSM epochs
and 600 AttnGAN epochs on a GPU); ``--preset tiny`` runs a small network in
minutes, to check the data and the setup.
"""

import pathlib

from absl import app, flags

from attngan_tf.models import load_attngan
from attngan_tf.sampling import write_samples
from attngan_tf.training import DamsmRun, GanRun, train_attngan, train_damsm

flags.DEFINE_string("data_dir", None, "The original data/birds folder.", required=True)
flags.DEFINE_string("out", "runs/cub", "Output directory (DAMSM in OUT/damsm, AttnGAN in "
                    "OUT/attngan); running again resumes both.")
flags.DEFINE_string("preset", "birds", "Model preset (birds: the paper's; tiny: a quick check).")
flags.DEFINE_string("trunk_weights", None, "Local Inception-v3 weights for the image encoder.")
flags.DEFINE_float("damsm_minutes", None, "DAMSM time limit (default: its epochs).")
flags.DEFINE_float("gan_minutes", None, "AttnGAN time limit (default: its epochs).")
flags.DEFINE_integer("damsm_epochs", 600, "DAMSM epochs (the paper's 600).")
flags.DEFINE_integer("gan_epochs", 600, "AttnGAN epochs (the paper's 600).")
flags.DEFINE_integer("batch_size", 16, "AttnGAN batch size (DAMSM: 48, the reference's).")
FLAGS = flags.FLAGS

CAPTIONS = ["this bird has a red crown, black wings and a white belly",
            "a small yellow bird with grey wings and a short pointed beak"]


def main(argv):
    del argv
    out = pathlib.Path(FLAGS.out)
    damsm = DamsmRun(dataset="cub", data_dir=FLAGS.data_dir, out=str(out / "damsm_run"),
                     preset=FLAGS.preset, trunk_weights=FLAGS.trunk_weights,
                     epochs=FLAGS.damsm_epochs, max_minutes=FLAGS.damsm_minutes, verbose=2)
    summary = train_damsm(damsm)
    print(f"DAMSM: {summary['epochs']} epochs, test R-precision@1 "
          f"{summary['r_precision_mean']:.3f}")
    gan = GanRun(dataset="cub", data_dir=FLAGS.data_dir, out=str(out / "attngan"),
                 damsm=str(out / "damsm_run" / "damsm"), preset=FLAGS.preset,
                 epochs=FLAGS.gan_epochs, max_minutes=FLAGS.gan_minutes,
                 batch_size=FLAGS.batch_size, verbose=2)
    summary = train_attngan(gan)
    print(f"AttnGAN: {summary['steps']} steps, model in {summary['model']}")
    model, _ = load_attngan(summary["model"])
    for path in write_samples(model, CAPTIONS, out / "samples", seed=0):
        print(path)


if __name__ == "__main__":
    app.run(main)
