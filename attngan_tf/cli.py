"""The ``attngan`` command line.

Usage::

    attngan info --preset birds       # parameter counts of every network; every preset
    attngan parity FILE.npz           # compare with the original PyTorch outputs
    attngan data --source synbirds    # read (render) a dataset, summarise it, time a batch
    attngan train-damsm --dataset synbirds --out runs/damsm [--epochs N] [--max-minutes M]
        [--damsm-recipe damsm_bird]
    attngan train --dataset synbirds --damsm runs/damsm/damsm --out runs/attngan [--max-minutes M]
    attngan sample --model runs/attngan/model --captions captions.txt --out samples [--n K]
    attngan sample --model DIR --eval-recipe eval_bird --data-dir data/birds --out samples
    attngan export --model runs/attngan/model --out saved_models/NAME   # TF Serving layout
    attngan export --format tflite [--float16] --model runs/attngan/model --out DIR
    attngan evaluate --model DIR --dataset synbirds [--samples N] [--metrics is,fid,rprec,attr]
        [--inception-weights PATH] [--out report.json]
    attngan demo [--out runs/demo]    # the main job: SynBirds, DAMSM, AttnGAN, samples
    attngan convert-pytorch --netg bird_AttnGAN2.pth --text-encoder text_encoder200.pth
        --image-encoder image_encoder200.pth --captions captions.pickle --preset birds --out DIR

Subcommands are the first positional argument; flags are absl flags.
"""

from __future__ import annotations

import logging
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from .config import (DAMSM_PRESETS, EVAL_PRESETS, get_eval_preset,  # noqa: E402
                     get_preset, preset_names)

FLAGS = flags.FLAGS

flags.DEFINE_enum("preset", "birds", list(preset_names(aliases=True)),
                  "Configuration preset (bird_attn2 and coco_attn2: the original's names "
                  "of birds and coco).")
flags.DEFINE_enum("damsm_recipe", None, list(DAMSM_PRESETS),
                  "train-damsm: the original's DAMSM pretraining settings (cfg/DAMSM/*.yml: "
                  "preset, epochs, batch size, learning rate, gradient clip, caption length); "
                  "flags given explicitly win.")
flags.DEFINE_enum("eval_recipe", None, list(EVAL_PRESETS),
                  "sample: the original's evaluation settings (cfg/eval_*.yml): draw every "
                  "example caption of --data-dir (its example_filenames.txt), instead of "
                  "--captions.")
flags.DEFINE_boolean("verbose", False, "All commands (also -v): show TensorFlow's native log "
                     "lines (CUDA probing, XLA start-up) and absl's full log format.")
flags.DEFINE_boolean("version", False, "Print the package version and exit.")
flags.DEFINE_integer("vocab_size", None, "info: override the preset's vocabulary size.")
flags.DEFINE_boolean("quiet", False, "parity: print only the summary line.")
flags.DEFINE_enum("precision", "float64", ["float64", "float32"],
                  "parity: precision our models run in (float32 uses a looser bound).")
flags.DEFINE_string("forward", None, "parity FILE_train.npz: its forward file (default: the "
                    "file its forward_file key names, beside it).")
flags.DEFINE_boolean("jit_compile", False, "parity FILE_train.npz: XLA-compile the training step.")
flags.DEFINE_enum("strategy", "none", ["none", "mirrored"],
                  "parity FILE_train.npz: run the training step under a one-device "
                  "MirroredStrategy.")
flags.DEFINE_enum("source", "synbirds", ["cub", "coco", "folder", "synbirds"],
                  "data: dataset source.")
flags.DEFINE_string("data_dir", None,
                    "data: dataset directory (synbirds: cache root, default "
                    "$ATTNGAN_DATA_DIR or ~/.cache/attngan_tf).")
flags.DEFINE_string("split", "train", "data: split to read.")
flags.DEFINE_integer("synbirds_train", 10_000, "data: SynBirds training images.")
flags.DEFINE_integer("synbirds_test", 2_000, "data: SynBirds test images.")
flags.DEFINE_integer("synbirds_image_size", None, "SynBirds rendering size in px (default 256; "
                     "demo: 128). evaluate the demo's model with --synbirds-image-size 128 to "
                     "use the pictures it was trained on.")
flags.DEFINE_integer("batch_size", 16, "data: batch size of the timed batch; train-damsm "
                     "(default 48 there), train: training batch size; demo: AttnGAN's "
                     "(default 8 there).")
flags.DEFINE_string("vocabulary_out", None, "data: also save the vocabulary here.")
flags.DEFINE_enum("dataset", "synbirds", ["cub", "coco", "folder", "synbirds"],
                  "train-damsm, train: dataset source.")
flags.DEFINE_string("out", None, "train-damsm, train, demo: output directory (re-run to "
                    "resume); sample, export: where to write.")
flags.DEFINE_integer("epochs", 600,
                     "train-damsm, train: epochs (the reference's 600 by default).")
flags.DEFINE_float("max_minutes", None,
                   "train-damsm, train: stop once this many minutes have passed (the "
                   "epoch ends early; its checkpoint is saved).")
flags.DEFINE_string("trunk_weights", None, "train-damsm: local Inception-v3 weights file.")
flags.DEFINE_integer("eval_every", 1, "train-damsm: epochs between test R-precision runs.")
flags.DEFINE_integer("seed", 0, "train-damsm, train, sample, demo: random seed.")
flags.DEFINE_string("damsm", None,
                    "train: directory of an exported DAMSM (train-damsm's OUT/damsm).")
flags.DEFINE_integer("steps_per_epoch", None,
                     "train: steps per epoch (default: one pass over the training images).")
flags.DEFINE_integer("checkpoint_every", 500, "train: steps between checkpoints (and every epoch).")
flags.DEFINE_integer("sample_every", 200, "train: steps between TensorBoard sample grids.")
flags.DEFINE_boolean("skip_nonfinite", False, "train: skip (and count) an update whose loss or "
                     "gradients are NaN or infinite instead of stopping (one replica).")
flags.DEFINE_string("model", None, "sample, export, evaluate: directory of a trained model "
                    "(train's OUT/model); parity: check this model's networks instead of the "
                    "file's weights.")
flags.DEFINE_string("captions", None, "sample: text file with one caption per line; "
                    "convert-pytorch: the data set's captions.pickle.")
flags.DEFINE_string("netg", None, "convert-pytorch: the generator's .pth (G_NET state dict).")
flags.DEFINE_string("text_encoder", None, "convert-pytorch: the text encoder's .pth.")
flags.DEFINE_string("image_encoder", None, "convert-pytorch: the image encoder's .pth.")
flags.DEFINE_integer("n", 1, "sample: pictures per caption (seeds SEED, SEED+1, ...).")
flags.DEFINE_enum("format", "saved_model", ["saved_model", "tflite"], "export: output format.")
flags.DEFINE_boolean("float16", False, "export --format tflite: float16 weights (TFLite only).")
flags.DEFINE_integer("samples", 30_000, "evaluate: generated images (the paper's 30,000); "
                     "demo: test captions drawn and scored (default 200).")
flags.DEFINE_list("metrics", ["is", "fid", "rprec", "attr"],
                  "evaluate: metrics among is, fid, rprec, attr (attr: SynBirds only).")
flags.DEFINE_string("inception_weights", None,
                    "evaluate: local inception_v3_weights_tf_dim_ordering_tf_kernels.h5 "
                    "(needed for is and fid).")
flags.DEFINE_float("damsm_minutes", 3.0, "demo: DAMSM training time.")
flags.DEFINE_float("gan_minutes", 8.0, "demo: AttnGAN training time.")
flags.DEFINE_integer("stages", None, "train: generator stages and discriminators, 1-3 "
                     "(default: the preset's).")
flags.DEFINE_float("g_lr", 2e-4, "train, demo: the generator's Adam learning rate (demo: "
                   "1e-3 unless given).")
flags.DEFINE_float("d_lr", 2e-4, "train, demo: each discriminator's Adam learning rate (demo: "
                   "1e-3 unless given).")
flags.DEFINE_enum("ema_warmup", "preset", ["preset", "on", "off"],
                  "train: warm the generator's weight average up (decay min(0.999, "
                  "(1+t)/(10+t))); preset: on for synbirds, synbirds_demo and tiny, off for "
                  "the paper's.")


def _no_arguments(command: str, args: list[str]) -> None:
    if args:
        raise app.UsageError(f"{command} takes no positional arguments, got {args}")


def _verbosity() -> int:
    """Keras verbosity: a progress bar on a terminal, one line per epoch otherwise."""
    return 1 if sys.stdout.isatty() else 2


def _synbirds_sizes() -> dict:
    sizes = {"num_train": FLAGS.synbirds_train, "num_test": FLAGS.synbirds_test}
    if FLAGS.synbirds_image_size is not None:
        sizes["image_size"] = FLAGS.synbirds_image_size
    return sizes


def _info(args: list[str]) -> int:
    """Prints the parameter count and a one-line summary of every network."""
    _no_arguments("info", args)
    from .info import describe

    config = get_preset(FLAGS.preset)
    if FLAGS.vocab_size is not None:
        config = config.replace(text=config.text.replace(vocab_size=FLAGS.vocab_size))
    print(f"preset {config.name}: vocabulary {config.text.vocab_size}, "
          f"{config.text.words_num} words/caption, embedding {config.text.embedding_dim}, "
          f"{config.generator.branch_num} stages"
          + (" (AttnDCGAN: one image)" if config.generator.single_image else ""))
    print(f"{'network':<22s} {'parameters':>12s}  summary")
    for net in describe(config):
        print(net.line())
    print()
    print(_catalogue())
    return 0


def _catalogue() -> str:
    """Every named configuration: model presets (with the original's names),
    DAMSM pretraining and evaluation recipes."""
    from .config import PRESET_ALIASES, PRESETS

    names = {name: [a for a, target in PRESET_ALIASES.items() if target == name]
             for name in PRESETS}
    lines = ["model presets (--preset):"]
    for name, aliases in names.items():
        config = PRESETS[name]
        gen = config.generator
        alias = f" (= {', '.join(aliases)})" if aliases else ""
        kind = "AttnDCGAN, one image" if gen.single_image else f"{gen.branch_num} stage(s)"
        lines.append(f"  {name + alias:<34s} {kind}, "
                     f"{'/'.join(map(str, gen.output_sizes))} px, gf {gen.gf_dim}, "
                     f"df {config.discriminator.df_dim}, lambda {config.loss.damsm_lambda:g}")
    lines.append("DAMSM pretraining recipes (train-damsm --damsm-recipe):")
    for name, recipe in DAMSM_PRESETS.items():
        lines.append(f"  {name:<34s} preset {recipe.model_preset}, {recipe.epochs} epochs, "
                     f"batch {recipe.batch_size}, lr {recipe.learning_rate:g}, clip "
                     f"{recipe.text_grad_clip:g}, {recipe.words_num} words")
    lines.append("evaluation recipes (sample --eval-recipe):")
    for name, recipe in EVAL_PRESETS.items():
        lines.append(f"  {name:<34s} preset {recipe.model_preset}, {recipe.net_g}, batch "
                     f"{recipe.batch_size}, {recipe.words_num} words, the captions of "
                     f"DATA/{recipe.captions}")
    return "\n".join(lines)


def _parity(args: list[str]) -> int:
    """Runs the parity check on a reference-vectors file."""
    if len(args) != 1:
        raise app.UsageError("usage: attngan parity FILE.npz")
    from .tools import parity, training_parity

    if FLAGS.model and os.path.isfile(args[0]) and training_parity.is_training_file(args[0]):
        raise app.UsageError("parity: --model does not apply to a training-vectors file")
    networks = None
    if FLAGS.model:
        from .models import load_attngan

        model, _ = load_attngan(FLAGS.model)
        networks = parity.networks_of(model)
        print(f"parity: text encoder, image encoder and generator from {FLAGS.model}")
    return parity.run(args[0], verbose=not FLAGS.quiet, precision=FLAGS.precision,
                      networks=networks, forward=FLAGS.forward, jit_compile=FLAGS.jit_compile,
                      strategy=FLAGS.strategy)


def _data(args: list[str]) -> int:
    """Reads (for SynBirds: renders) a dataset split and summarises it."""
    _no_arguments("data", args)
    import time

    from .data import PipelineConfig, load_dataset

    start = time.perf_counter()
    dataset = load_dataset(FLAGS.source, FLAGS.data_dir, FLAGS.split, synbirds=_synbirds_sizes())
    index = dataset.index
    print(f"{index.source} {index.split} split at {index.root}")
    print(f"  {len(index)} images, {index.num_captions} captions, vocabulary "
          f"{len(dataset.vocabulary)} words; {index.problems.summary()} "
          f"({time.perf_counter() - start:.1f} s)")
    config = PipelineConfig.for_model(get_preset(FLAGS.preset), batch_size=FLAGS.batch_size,
                                      drop_remainder=False)
    start = time.perf_counter()
    batch = next(iter(dataset.to_tf_dataset(config)))
    sizes = " ".join(f"{tuple(x.shape)}" for x in batch["images"])
    print(f"  first training batch ({time.perf_counter() - start:.1f} s): images {sizes}")
    for ids, key in list(zip(batch["captions"].numpy(), batch["keys"].numpy()))[:3]:
        print(f"    {key.decode()}: {' '.join(dataset.vocabulary.decode(ids))}")
    if FLAGS.vocabulary_out:
        print(f"  vocabulary saved to {dataset.vocabulary.save(FLAGS.vocabulary_out)}")
    return 0


def _train_damsm(args: list[str]) -> int:
    """Trains (or resumes) DAMSM text and image encoders; reports R-precision."""
    _no_arguments("train-damsm", args)
    if not FLAGS.out:
        raise app.UsageError("train-damsm needs --out DIR")
    from .training import DamsmRun, train_damsm

    explicit = {name: getattr(FLAGS, name) for name in ("preset", "epochs", "batch_size")
                if FLAGS[name].present}
    options = dict(dataset=FLAGS.dataset, out=FLAGS.out, data_dir=FLAGS.data_dir,
                   max_minutes=FLAGS.max_minutes, trunk_weights=FLAGS.trunk_weights,
                   eval_every=FLAGS.eval_every, seed=FLAGS.seed, verbose=_verbosity(),
                   synbirds=_synbirds_sizes(), **explicit)
    if FLAGS.damsm_recipe:  # its settings, the flags given explicitly over them
        run = DamsmRun.from_recipe(FLAGS.damsm_recipe, **options)
    else:
        run = DamsmRun(**options)
    train_damsm(run)
    return 0


def _train(args: list[str]) -> int:
    """Trains (or resumes) AttnGAN against a pretrained DAMSM; writes samples."""
    _no_arguments("train", args)
    if not FLAGS.out or not FLAGS.damsm:
        raise app.UsageError("train needs --damsm DIR and --out DIR")
    from .training import GanRun, train_attngan
    from .training.damsm import DEFAULT_PRESETS

    preset = FLAGS.preset if FLAGS["preset"].present else DEFAULT_PRESETS[FLAGS.dataset]
    run = GanRun(dataset=FLAGS.dataset, out=FLAGS.out, damsm=FLAGS.damsm,
                 data_dir=FLAGS.data_dir, preset=preset,
                 epochs=FLAGS.epochs, steps_per_epoch=FLAGS.steps_per_epoch,
                 batch_size=FLAGS.batch_size, max_minutes=FLAGS.max_minutes,
                 checkpoint_every=FLAGS.checkpoint_every, sample_every=FLAGS.sample_every,
                 seed=FLAGS.seed, verbose=_verbosity(),
                 synbirds=_synbirds_sizes(), stages=FLAGS.stages,
                 g_learning_rate=FLAGS.g_lr, d_learning_rate=FLAGS.d_lr,
                 ema_warmup={"preset": None, "on": True, "off": False}[FLAGS.ema_warmup],
                 skip_nonfinite=FLAGS.skip_nonfinite)
    train_attngan(run)
    return 0


def _sample(args: list[str]) -> int:
    """Draws pictures and word-attention figures for captions from a trained model."""
    _no_arguments("sample", args)
    if FLAGS.eval_recipe:
        return _sample_examples()
    if not (FLAGS.model and FLAGS.captions and FLAGS.out):
        raise app.UsageError("sample needs --model DIR --captions FILE --out DIR (or "
                             "--eval-recipe NAME --data-dir DIR instead of --captions)")
    if FLAGS.n < 1:
        raise ValueError(f"--n: must be at least 1, got {FLAGS.n}")
    from .models import load_attngan
    from .sampling import read_caption_file, write_samples

    try:
        captions, replaced = read_caption_file(FLAGS.captions)
    except OSError as e:
        raise ValueError(f"--captions: cannot read {FLAGS.captions}: {e}") from e
    if replaced:
        print(f"--captions: {replaced} line(s) of {FLAGS.captions} are not valid UTF-8; "
              "their invalid bytes are read as word separators", file=sys.stderr)
    if not captions:
        raise ValueError(f"--captions: {FLAGS.captions} has no caption")
    model, _ = load_attngan(FLAGS.model)
    paths = write_samples(model, captions, FLAGS.out, seed=FLAGS.seed, per_caption=FLAGS.n)
    print(f"wrote {len(paths)} pictures and their attention figures to {FLAGS.out}")
    return 0


def _sample_examples() -> int:
    """``sample --eval-recipe``: every example caption file of the data set (gen_example)."""
    if not (FLAGS.model and FLAGS.data_dir and FLAGS.out):
        raise app.UsageError("sample --eval-recipe needs --model DIR --data-dir DIR --out DIR")
    if FLAGS["captions"].present:
        raise app.UsageError("sample: give --captions or --eval-recipe, not both")
    if FLAGS.n < 1:
        raise ValueError(f"--n: must be at least 1, got {FLAGS.n}")
    from .models import load_attngan
    from .sampling import read_example_captions, write_samples

    settings = get_eval_preset(FLAGS.eval_recipe)
    examples = read_example_captions(FLAGS.data_dir, settings.captions)
    model, _ = load_attngan(FLAGS.model)
    total = 0
    for name, captions in examples:
        paths = write_samples(model, captions, pathlib.Path(FLAGS.out) / name, seed=FLAGS.seed,
                              per_caption=FLAGS.n, batch_size=settings.batch_size,
                              words_num=settings.words_num)
        total += len(paths)
    print(f"wrote {total} pictures of {len(examples)} example caption file(s) "
          f"({FLAGS.eval_recipe}) to {FLAGS.out}")
    return 0


def _export(args: list[str]) -> int:
    """Exports a trained model: SavedModel for TF Serving, or TFLite (--format tflite)."""
    _no_arguments("export", args)
    if not (FLAGS.model and FLAGS.out):
        raise app.UsageError("export needs --model DIR --out saved_models/NAME")
    from .export import export_saved_model, export_tflite
    from .models import load_attngan

    model, _ = load_attngan(FLAGS.model)
    if FLAGS.float16 and FLAGS.format != "tflite":
        raise ValueError("--float16 applies to --format tflite only")
    if FLAGS.format == "tflite":
        target = export_tflite(model, FLAGS.out, float16=FLAGS.float16)
        print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB"
              f"{', float16 weights' if FLAGS.float16 else ''}) and vocabulary.json")
        return 0
    target = export_saved_model(model, FLAGS.out)
    print(f"wrote the SavedModel to {target} (signatures serving_default, generate_with_seed)")
    return 0


def _evaluate(args: list[str]) -> int:
    """Generates for a split's captions and reports IS, FID, R-precision, attribute accuracy."""
    _no_arguments("evaluate", args)
    if not FLAGS.model:
        raise app.UsageError("evaluate needs --model DIR")
    from .evaluation import EvalRun, evaluate

    run = EvalRun(model=FLAGS.model, dataset=FLAGS.dataset, data_dir=FLAGS.data_dir,
                  split=FLAGS.split if FLAGS["split"].present else "test",
                  samples=FLAGS.samples, metrics=tuple(FLAGS.metrics),
                  inception_weights=FLAGS.inception_weights, seed=FLAGS.seed,
                  report=FLAGS.out, verbose=_verbosity(),
                  synbirds=_synbirds_sizes())
    report = evaluate(run)
    print(f"{'metric':<22s} value")
    for name, value in report["metrics"].items():
        figure = value.get("mean", value.get("value"))
        spread = f" ± {value['std']:.3f}" if "std" in value else ""
        print(f"{name:<22s} {figure:.3f}{spread}")
        if "bird_found" in value:
            print(f"{'bird_found':<22s} {value['bird_found']:.3f}")
    print(f"report: {report['report']}")
    return 0


def _demo(args: list[str]) -> int:
    """The main job: SynBirds, DAMSM, AttnGAN, scored pictures (about 14 min on 2 CPU cores)."""
    _no_arguments("demo", args)
    from .training.demo import DemoRun, run_demo

    defaults = DemoRun(out="")
    run = DemoRun(out=FLAGS.out or "runs/demo", data_dir=FLAGS.data_dir,
                  damsm_minutes=FLAGS.damsm_minutes, gan_minutes=FLAGS.gan_minutes,
                  preset=FLAGS.preset if FLAGS["preset"].present else defaults.preset,
                  gan_batch_size=(FLAGS.batch_size if FLAGS["batch_size"].present
                                  else defaults.gan_batch_size),
                  g_learning_rate=(FLAGS.g_lr if FLAGS["g_lr"].present
                                   else defaults.g_learning_rate),
                  d_learning_rate=(FLAGS.d_lr if FLAGS["d_lr"].present
                                   else defaults.d_learning_rate),
                  samples=FLAGS.samples if FLAGS["samples"].present else defaults.samples,
                  seed=FLAGS.seed, verbose=_verbosity(),
                  synbirds=_synbirds_sizes())
    run_demo(run)
    return 0


def _convert_pytorch(args: list[str]) -> int:
    """Converts the original AttnGAN's released .pth files to a model directory."""
    _no_arguments("convert-pytorch", args)
    needed = {"--netg": FLAGS.netg, "--text-encoder": FLAGS.text_encoder,
              "--image-encoder": FLAGS.image_encoder, "--captions": FLAGS.captions,
              "--out": FLAGS.out}
    absent = [name for name, value in needed.items() if not value]
    if absent:
        raise app.UsageError(f"convert-pytorch needs {' '.join(absent)}")
    if not FLAGS["preset"].present:
        raise app.UsageError("convert-pytorch needs --preset (birds or coco for the release)")
    from .convert.pytorch import convert_release

    target = convert_release(FLAGS.netg, FLAGS.text_encoder, FLAGS.image_encoder,
                             FLAGS.captions, FLAGS.preset, FLAGS.out)
    print(f"wrote {target} (preset {FLAGS.preset}, reference_mask_quirk on; no "
          f"discriminators): use it with attngan sample / export / evaluate --model {target}")
    return 0


COMMANDS = {
    "info": _info,
    "parity": _parity,
    "data": _data,
    "train-damsm": _train_damsm,
    "train": _train,
    "sample": _sample,
    "export": _export,
    "evaluate": _evaluate,
    "demo": _demo,
    "convert-pytorch": _convert_pytorch,
}


def _usage() -> str:
    lines = ["usage: attngan COMMAND [flags]", "", "commands:"]
    for name, fn in COMMANDS.items():
        lines.append(f"  {name:<15s} {fn.__doc__.strip().splitlines()[0]}")
    return "\n".join(lines)


class _PlainFormatter(logging.Formatter):
    """``attngan: warning: message`` instead of absl's ``W1203 15:02:04.97 123 file.py:1] ...``."""

    def format(self, record):
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"attngan: {record.levelname.lower()}: {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _main(argv: list[str]) -> int:
    if FLAGS.version:
        from . import __version__

        print(f"attngan_tf {__version__}")
        return 0
    if not FLAGS.verbose:
        from absl import logging as absl_logging

        absl_logging.get_absl_handler().setFormatter(_PlainFormatter())
    if len(argv) < 2:
        raise app.UsageError(_usage())
    command, args = argv[1], argv[2:]
    if command not in COMMANDS:
        raise app.UsageError(f"unknown command {command!r}\n\n{_usage()}")
    try:
        return COMMANDS[command](args)
    except Exception as e:  # noqa: BLE001
        # Bad data or arguments: DataError is a ValueError; raised inside a
        # tf.data function it arrives as an InvalidArgumentError.
        # A non-finite loss (FloatingPointError) says which step and loss;
        # a missing file or optional dependency (torch) says what is needed; any
        # other OSError (a path that is a file, permissions) names the path.
        # A run directory another trainer holds, whose checkpoints are all
        # unreadable, or where a checkpoint cannot be written (disk full), is
        # named with what to do.
        from .convert.pytorch import MissingDependencyError
        from .training.checkpoint import CheckpointError, CheckpointWriteError
        from .training.rundir import RunDirectoryLocked

        if not isinstance(e, (ValueError, FloatingPointError, OSError,
                              MissingDependencyError, CheckpointError,
                              CheckpointWriteError, RunDirectoryLocked)) and (
                type(e).__name__ != "InvalidArgumentError"):
            raise
        print(f"attngan {command}: error: {e}", file=sys.stderr)
        return 1


def _underscore_flags(argv: list[str]) -> list[str]:
    """Accepts ``--data-dir`` as well as absl's ``--data_dir``, and ``-v`` for ``--verbose``
    (absl's own ``-v N``, a number after it, is left as it is)."""
    out = []
    for i, arg in enumerate(argv):
        if arg == "-v" and not (i + 1 < len(argv) and argv[i + 1].lstrip("-").isdigit()):
            arg = "--verbose"
        if arg.startswith("--") and len(arg) > 2:
            name, sep, value = arg[2:].partition("=")
            arg = "--" + name.replace("-", "_") + sep + value
        out.append(arg)
    return out


def _quiet_unless_verbose(argv: list[str]) -> None:
    """Without ``--verbose``: TensorFlow's native log lines (CUDA probing, XLA
    start-up) are dropped from stderr (:mod:`attngan_tf.native_logs`)."""
    if "--verbose" not in argv and "--verbose=true" not in argv:
        from .native_logs import filter_native_logs

        filter_native_logs()


def main() -> None:
    """Console-script entry point (``attngan``)."""
    argv = _underscore_flags(sys.argv)
    _quiet_unless_verbose(argv)
    app.run(_main, argv=argv)


def run_subcommand(name: str, args: list[str]) -> None:
    """Runs one subcommand as if called as ``attngan NAME ARGS`` (exits)."""
    argv = _underscore_flags([sys.argv[0], name, *args])
    _quiet_unless_verbose(argv)
    app.run(_main, argv=argv)


if __name__ == "__main__":
    main()
