"""Train AttnGAN on the built-in SynBirds data with plain Keras calls.

    python examples/fit_synbirds.py --out runs/fit_synbirds

Shows the Keras-native path end to end: ``load_dataset`` -> ``to_tf_dataset``
-> ``DAMSM.fit`` (the text and image encoders) -> ``build_attngan`` ->
``compile`` -> ``fit`` with Keras callbacks (TensorBoard, the project's
checkpoint callback, the sample-grid callback) -> ``save_attngan`` ->
``generate``. Nothing is downloaded: SynBirds is rendered on first use (about a
minute at full settings). At the full settings (the defaults) it takes about 12
minutes on 2 CPU cores: 3 of DAMSM, 8 of AttnGAN -- the recipe of ``attngan
demo``, which also scores the result. Writes ``OUT/damsm``, ``OUT/model`` (read
by ``attngan sample/export/evaluate``), ``OUT/logs`` (``tensorboard --logdir``)
and ``OUT/samples/*.png``.
"""

import pathlib

import keras
from absl import app, flags
from PIL import Image

from attngan_tf import get_preset
from attngan_tf.data import PipelineConfig, load_dataset
from attngan_tf.models import DAMSM, default_gan_optimizer, save_attngan
from attngan_tf.sampling import to_uint8
from attngan_tf.training import (GanCheckpoint, SampleGrid, TimeLimit, build_attngan,
                                 make_gan_checkpoint)

flags.DEFINE_string("out", "runs/fit_synbirds", "Output directory.")
flags.DEFINE_float("damsm_minutes", 3.0, "DAMSM training time.")
flags.DEFINE_float("gan_minutes", 8.0, "AttnGAN training time.")
flags.DEFINE_integer("num_train", 10000, "SynBirds training images (rendered once, cached).")
flags.DEFINE_integer("num_test", 2000, "SynBirds test images.")
flags.DEFINE_integer("image_size", 128, "SynBirds render size in pixels.")
flags.DEFINE_string("data_dir", None, "SynBirds cache root (default: $ATTNGAN_DATA_DIR or "
                    "~/.cache/attngan_tf).")
FLAGS = flags.FLAGS

CAPTIONS = ["a small bird with a red crown, blue wings and a yellow belly against a light blue backdrop",
            "this big bird has a black head, white wings and an orange tail, pale green background"]


def main(argv):
    del argv
    out = pathlib.Path(FLAGS.out)
    keras.utils.set_random_seed(0)
    config = get_preset("synbirds_demo")  # 2 stages, 32 and 64 px
    synbirds = {"num_train": FLAGS.num_train, "num_test": FLAGS.num_test,
                "image_size": FLAGS.image_size}
    train = load_dataset("synbirds", FLAGS.data_dir, "train", synbirds=synbirds)
    config = config.replace(text=config.text.replace(vocab_size=len(train.vocabulary)))

    # 1. DAMSM: the text encoder and the image encoder, matched on the training pairs.
    pipeline = PipelineConfig(branch_num=1, initial_size=32, words_num=config.text.words_num,
                              batch_size=min(48, len(train)))
    damsm = DAMSM(config)
    damsm.compile()
    damsm.fit(train.to_tf_dataset(pipeline), epochs=100, verbose=2,
              callbacks=[TimeLimit(FLAGS.damsm_minutes)])
    damsm.export(out / "damsm", train.vocabulary)

    # 2. AttnGAN with those encoders (frozen), its own generator and discriminators.
    model, vocabulary = build_attngan(out / "damsm", config, seed=0, ema_warmup=True)
    pipeline = PipelineConfig.for_model(model.config, batch_size=8, repeat=True)
    model.compile(g_optimizer=default_gan_optimizer("g", 1e-3),
                  d_optimizers=[default_gan_optimizer(f"d{i}", 1e-3)
                                for i in range(model.stages)])
    manager, epoch = make_gan_checkpoint(model, out / "checkpoints")
    fixed = next(iter(train.to_tf_dataset(PipelineConfig.for_model(
        model.config, batch_size=4, training=False))))
    callbacks = [GanCheckpoint(manager, epoch, every=500),
                 keras.callbacks.TensorBoard(str(out / "logs")),
                 SampleGrid(out / "logs", fixed, vocabulary, every=200),
                 TimeLimit(FLAGS.gan_minutes)]
    model.fit(train.to_tf_dataset(pipeline), epochs=1000, steps_per_epoch=200,
              callbacks=callbacks, verbose=2)
    save_attngan(model, out / "model", vocabulary)

    # 3. Text in, pictures out (the weight-averaged generator, fixed seeds).
    images = model.generate(CAPTIONS, seed=0)["images"][-1]
    (out / "samples").mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(to_uint8(images).numpy()):
        Image.fromarray(image).save(out / "samples" / f"{i}.png")
        print(f"{out / 'samples' / f'{i}.png'}: {CAPTIONS[i]}")


if __name__ == "__main__":
    app.run(main)
