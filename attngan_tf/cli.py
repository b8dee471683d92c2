"""The ``attngan`` command line: one subcommand per job, each with its own flags.

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

``attngan COMMAND --help`` lists a command's flags, their defaults and an
example; ``attngan --version`` prints the version. Flags are spelled with
dashes (``--data-dir``); absl's underscore spelling (``--data_dir``) is
accepted too. The parser is absl's :mod:`absl.flags.argparse_flags` (one
sub-parser per command) run by :func:`absl.app.run`.
"""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sys

from absl import app, flags
from absl.flags import argparse_flags

from .config import (DAMSM_PRESETS, EVAL_PRESETS, DemoRun, get_eval_preset, get_preset,
                     preset_names)

SOURCES = ["cub", "coco", "folder", "synbirds"]


def _verbosity() -> int:
    """Keras verbosity: a progress bar on a terminal, one line per epoch otherwise."""
    return 1 if sys.stdout.isatty() else 2


def _synbirds_sizes(args) -> dict:
    sizes = {"num_train": args.synbirds_train, "num_test": args.synbirds_test}
    if args.synbirds_image_size is not None:
        sizes["image_size"] = args.synbirds_image_size
    return sizes


def _given(args, *names) -> dict:
    """The flags among ``names`` given on the command line (their default is None)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


# -- the commands ------------------------------------------------------------------------------
def _info(args) -> int:
    """Prints the parameter count and a one-line summary of every network."""
    from .info import describe

    config = get_preset(args.preset)
    if args.vocab_size is not None:
        config = config.replace(text=config.text.replace(vocab_size=args.vocab_size))
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


def _parity(args) -> int:
    """Compares our networks (or a trained model's) with the original's outputs in FILE.npz."""
    from .tools import parity, training_parity

    if args.model and os.path.isfile(args.file) and training_parity.is_training_file(args.file):
        raise app.UsageError("parity: --model does not apply to a training-vectors file")
    networks = None
    if args.model:
        from .models import load_attngan

        model, _ = load_attngan(args.model)
        networks = parity.networks_of(model)
        print(f"parity: text encoder, image encoder and generator from {args.model}")
    return parity.run(args.file, verbose=not args.quiet, precision=args.precision,
                      networks=networks, forward=args.forward, jit_compile=args.jit_compile,
                      strategy=args.strategy)


def _data(args) -> int:
    """Reads (for SynBirds: renders) a dataset split and summarises it."""
    import time

    from .data import PipelineConfig, load_dataset

    start = time.perf_counter()
    dataset = load_dataset(args.source, args.data_dir, args.split, synbirds=_synbirds_sizes(args))
    index = dataset.index
    print(f"{index.source} {index.split} split at {index.root}")
    print(f"  {len(index)} images, {index.num_captions} captions, vocabulary "
          f"{len(dataset.vocabulary)} words; {index.problems.summary()} "
          f"({time.perf_counter() - start:.1f} s)")
    config = PipelineConfig.for_model(get_preset(args.preset), batch_size=args.batch_size,
                                      drop_remainder=False)
    start = time.perf_counter()
    batch = next(iter(dataset.to_tf_dataset(config)))
    sizes = " ".join(f"{tuple(x.shape)}" for x in batch["images"])
    print(f"  first training batch ({time.perf_counter() - start:.1f} s): images {sizes}")
    for ids, key in list(zip(batch["captions"].numpy(), batch["keys"].numpy()))[:3]:
        print(f"    {key.decode()}: {' '.join(dataset.vocabulary.decode(ids))}")
    if args.vocabulary_out:
        print(f"  vocabulary saved to {dataset.vocabulary.save(args.vocabulary_out)}")
    return 0


def _train_damsm(args) -> int:
    """Trains (or resumes) the DAMSM text and image encoders; reports R-precision."""
    from .training import DamsmRun, train_damsm

    options = dict(dataset=args.dataset, out=args.out, data_dir=args.data_dir,
                   max_minutes=args.max_minutes, trunk_weights=args.trunk_weights,
                   eval_every=args.eval_every, seed=args.seed, verbose=_verbosity(),
                   synbirds=_synbirds_sizes(args),
                   **_given(args, "preset", "epochs", "batch_size"))
    if args.damsm_recipe:  # its settings, the flags given explicitly over them
        run = DamsmRun.from_recipe(args.damsm_recipe, **options)
    else:
        run = DamsmRun(**options)
    train_damsm(run)
    return 0


def _train(args) -> int:
    """Trains (or resumes) AttnGAN against a pretrained DAMSM; writes samples."""
    from .training import GanRun, train_attngan
    from .training.damsm import DEFAULT_PRESETS

    run = GanRun(dataset=args.dataset, out=args.out, damsm=args.damsm,
                 data_dir=args.data_dir, preset=args.preset or DEFAULT_PRESETS[args.dataset],
                 epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                 batch_size=args.batch_size, max_minutes=args.max_minutes,
                 checkpoint_every=args.checkpoint_every, sample_every=args.sample_every,
                 seed=args.seed, verbose=_verbosity(),
                 synbirds=_synbirds_sizes(args), stages=args.stages,
                 g_learning_rate=args.g_lr, d_learning_rate=args.d_lr,
                 ema_warmup={"preset": None, "on": True, "off": False}[args.ema_warmup],
                 skip_nonfinite=args.skip_nonfinite)
    train_attngan(run)
    return 0


def _sample(args) -> int:
    """Draws pictures and word-attention figures for captions from a trained model."""
    if args.n < 1:
        raise ValueError(f"--n: must be at least 1, got {args.n}")
    if args.eval_recipe:
        return _sample_examples(args)
    if args.captions is None:
        raise app.UsageError("sample needs --captions FILE (or --eval-recipe NAME "
                             "--data-dir DIR)")
    from .models import load_attngan
    from .sampling import read_caption_file, write_samples

    try:
        captions, replaced = read_caption_file(args.captions)
    except OSError as e:
        raise ValueError(f"--captions: cannot read {args.captions}: {e}") from e
    if replaced:
        print(f"--captions: {replaced} line(s) of {args.captions} are not valid UTF-8; "
              "their invalid bytes are read as word separators", file=sys.stderr)
    if not captions:
        raise ValueError(f"--captions: {args.captions} has no caption")
    model, _ = load_attngan(args.model)
    paths = write_samples(model, captions, args.out, seed=args.seed, per_caption=args.n)
    noun = "picture" if len(paths) == 1 else "pictures"
    print(f"wrote {len(paths)} {noun} and their attention figures to {args.out}")
    return 0


def _sample_examples(args) -> int:
    """``sample --eval-recipe``: every example caption file of the data set (gen_example)."""
    if not args.data_dir:
        raise app.UsageError("sample --eval-recipe needs --data-dir DIR")
    if args.captions is not None:
        raise app.UsageError("sample: give --captions or --eval-recipe, not both")
    from .models import load_attngan
    from .sampling import read_example_captions, write_samples

    settings = get_eval_preset(args.eval_recipe)
    examples = read_example_captions(args.data_dir, settings.captions)
    model, _ = load_attngan(args.model)
    total = 0
    for name, captions in examples:
        paths = write_samples(model, captions, pathlib.Path(args.out) / name, seed=args.seed,
                              per_caption=args.n, batch_size=settings.batch_size,
                              words_num=settings.words_num)
        total += len(paths)
    print(f"wrote {total} pictures of {len(examples)} example caption file(s) "
          f"({args.eval_recipe}) to {args.out}")
    return 0


def _export(args) -> int:
    """Exports a trained model: a SavedModel for TF Serving, or TFLite (--format tflite)."""
    for flag in ("float16", "plain_upsampling"):
        if getattr(args, flag) and args.format != "tflite":
            raise ValueError(f"--{flag.replace('_', '-')} applies to --format tflite only")
    if args.precision != "float32" and args.format != "saved_model":
        raise ValueError("--precision applies to --format saved_model only "
                         "(TFLite: --float16 for half-size weights)")
    from .export import export_saved_model, export_tflite
    from .models import load_attngan

    model, _ = load_attngan(args.model)
    if args.format == "tflite":
        target = export_tflite(model, args.out, float16=args.float16,
                               transposed_upsampling=not args.plain_upsampling)
        print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB"
              f"{', float16 weights' if args.float16 else ''}) and vocabulary.json")
        return 0
    target = export_saved_model(model, args.out, precision=args.precision)
    print(f"wrote the SavedModel to {target} (signatures serving_default, generate_with_seed"
          f"{'; generator in bfloat16' if args.precision == 'bfloat16' else ''})")
    return 0


def _evaluate(args) -> int:
    """Generates for a split's captions and reports IS, FID, R-precision, attribute accuracy."""
    from .evaluation import EvalRun, evaluate

    run = EvalRun(model=args.model, dataset=args.dataset, data_dir=args.data_dir,
                  split=args.split, samples=args.samples, metrics=tuple(args.metrics),
                  inception_weights=args.inception_weights, seed=args.seed,
                  report=args.out, verbose=_verbosity(), synbirds=_synbirds_sizes(args))
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


def _demo(args) -> int:
    """The main job: SynBirds, DAMSM, AttnGAN, scored pictures (about 14 min on 2 CPU cores)."""
    from .training.demo import run_demo

    run = DemoRun(out=args.out, data_dir=args.data_dir, damsm_minutes=args.damsm_minutes,
                  gan_minutes=args.gan_minutes, preset=args.preset,
                  gan_batch_size=args.batch_size, g_learning_rate=args.g_lr,
                  d_learning_rate=args.d_lr, samples=args.samples, seed=args.seed,
                  verbose=_verbosity(), synbirds=_synbirds_sizes(args))
    run_demo(run)
    return 0


def _convert_pytorch(args) -> int:
    """Converts the original AttnGAN's released .pth files to a model directory."""
    from .convert.pytorch import convert_release

    target = convert_release(args.netg, args.text_encoder, args.image_encoder,
                             args.captions, args.preset, args.out)
    print(f"wrote {target} (preset {args.preset}, reference_mask_quirk on; no "
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

EXAMPLES = {
    "info": "attngan info --preset birds",
    "parity": "attngan parity ../shared/reference_vectors/attngan_small.npz",
    "data": "attngan data --source cub --data-dir data/birds --split train --preset birds",
    "train-damsm": "attngan train-damsm --dataset synbirds --out runs/damsm --max-minutes 28",
    "train": ("attngan train --dataset synbirds --damsm runs/damsm/damsm --out runs/attngan "
              "--max-minutes 60"),
    "sample": ("attngan sample --model saved_models/synbirds_demo/model --captions "
               "captions.txt --out samples"),
    "export": "attngan export --model runs/attngan/model --out saved_models/synbirds",
    "evaluate": ("attngan evaluate --model runs/attngan/model --dataset synbirds --samples 2000 "
                 "--metrics rprec,attr"),
    "demo": "attngan demo --out runs/demo",
    "convert-pytorch": ("attngan convert-pytorch --netg bird_AttnGAN2.pth --text-encoder "
                        "text_encoder200.pth --image-encoder image_encoder200.pth --captions "
                        "captions.pickle --preset birds --out models/bird_attngan"),
}


# -- the flags of each command -----------------------------------------------------------------
class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows a flag's default after its help (unless it has none or is off)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (action.option_strings and "%(default)" not in text
                and action.default not in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


def _csv(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def _add_run_flags(p, presets) -> None:
    """The flags of a training run: its directory, data and model preset."""
    p.add_argument("--out", required=True, metavar="DIR",
                   help="run directory (run again to resume)")
    p.add_argument("--dataset", choices=SOURCES, default="synbirds", help="dataset source")
    p.add_argument("--data-dir", metavar="DIR", help="dataset directory")
    p.add_argument("--preset", choices=presets,
                   help="model preset (default: the dataset's: synbirds, birds or coco)")


def _add_synbirds_flags(parser) -> None:
    group = parser.add_argument_group("SynBirds rendering (--dataset/--source synbirds)")
    group.add_argument("--synbirds-train", type=int, default=10_000, metavar="N",
                       help="training images")
    group.add_argument("--synbirds-test", type=int, default=2_000, metavar="N",
                       help="test images")
    group.add_argument("--synbirds-image-size", type=int, metavar="PX",
                       help="rendering size in px (default 256; demo: 128); evaluate the "
                            "demo's model with 128 to use the pictures it was trained on")


def _define_flags(name: str, p) -> None:
    """Adds the flags of command ``name`` to its parser ``p``."""
    presets = list(preset_names(aliases=True))
    preset_help = "configuration preset (bird_attn2 and coco_attn2: the original's names)"
    if name == "info":
        p.add_argument("--preset", choices=presets, default="birds", help=preset_help)
        p.add_argument("--vocab-size", type=int, metavar="N",
                       help="override the preset's vocabulary size")
    elif name == "parity":
        p.add_argument("file", metavar="FILE.npz",
                       help="reference vectors of the original's modules, or of its training "
                            "iterations (*_train.npz)")
        p.add_argument("--quiet", action="store_true", help="print only the summary line")
        p.add_argument("--precision", choices=["float64", "float32"], default="float64",
                       help="precision our models run in (float32 uses a looser bound)")
        p.add_argument("--forward", metavar="FILE",
                       help="training file: its forward file (default: the one its "
                            "forward_file key names, beside it)")
        p.add_argument("--jit-compile", action="store_true",
                       help="training file: XLA-compile the training step")
        p.add_argument("--strategy", choices=["none", "mirrored"], default="none",
                       help="training file: run the step under a one-device MirroredStrategy")
        p.add_argument("--model", metavar="DIR",
                       help="check this trained model's networks instead of the file's weights")
    elif name == "data":
        p.add_argument("--source", choices=SOURCES, default="synbirds", help="dataset source")
        p.add_argument("--data-dir", metavar="DIR",
                       help="dataset directory (synbirds: cache root, default "
                            "$ATTNGAN_DATA_DIR or ~/.cache/attngan_tf)")
        p.add_argument("--split", default="train", help="split to read")
        p.add_argument("--preset", choices=presets, default="birds",
                       help="preset whose image sizes the timed batch has")
        p.add_argument("--batch-size", type=int, default=16, help="size of the timed batch")
        p.add_argument("--vocabulary-out", metavar="DIR", help="also save the vocabulary here")
        _add_synbirds_flags(p)
    elif name == "train-damsm":
        _add_run_flags(p, presets)
        p.add_argument("--damsm-recipe", choices=list(DAMSM_PRESETS),
                       help="the original's DAMSM settings (cfg/DAMSM/*.yml: preset, epochs, "
                            "batch size, learning rate, gradient clip, caption length); flags "
                            "given explicitly win")
        p.add_argument("--epochs", type=int, help="epochs (default 600, the reference's)")
        p.add_argument("--batch-size", type=int, help="batch size (default 48)")
        p.add_argument("--max-minutes", type=float, metavar="M",
                       help="stop once this many minutes have passed (checkpoint saved)")
        p.add_argument("--trunk-weights", metavar="FILE",
                       help="local Inception-v3 weights file (none: random initialisation)")
        p.add_argument("--eval-every", type=int, default=1, metavar="N",
                       help="epochs between test R-precision runs")
        p.add_argument("--seed", type=int, default=0, help="random seed")
        _add_synbirds_flags(p)
    elif name == "train":
        _add_run_flags(p, presets)
        p.add_argument("--damsm", required=True, metavar="DIR",
                       help="an exported DAMSM (train-damsm's OUT/damsm)")
        p.add_argument("--stages", type=int, choices=[1, 2, 3],
                       help="generator stages and discriminators (default: the preset's)")
        p.add_argument("--epochs", type=int, default=600, help="epochs")
        p.add_argument("--steps-per-epoch", type=int, metavar="N",
                       help="steps per epoch (default: one pass over the training images)")
        p.add_argument("--batch-size", type=int, default=16, help="batch size")
        p.add_argument("--max-minutes", type=float, metavar="M",
                       help="stop once this many minutes have passed (checkpoint saved)")
        p.add_argument("--checkpoint-every", type=int, default=500, metavar="STEPS",
                       help="steps between checkpoints (and every epoch)")
        p.add_argument("--sample-every", type=int, default=200, metavar="STEPS",
                       help="steps between TensorBoard sample grids")
        p.add_argument("--g-lr", type=float, default=2e-4,
                       help="the generator's Adam learning rate")
        p.add_argument("--d-lr", type=float, default=2e-4,
                       help="each discriminator's Adam learning rate")
        p.add_argument("--ema-warmup", choices=["preset", "on", "off"], default="preset",
                       help="warm the generator's weight average up (decay min(0.999, "
                            "(1+t)/(10+t))); preset: on for synbirds, synbirds_demo and tiny")
        p.add_argument("--skip-nonfinite", action="store_true",
                       help="skip (and count) an update whose loss or gradients are not "
                            "finite instead of stopping (one replica)")
        p.add_argument("--seed", type=int, default=0, help="random seed")
        _add_synbirds_flags(p)
    elif name == "sample":
        p.add_argument("--model", required=True, metavar="DIR",
                       help="a trained model (train's OUT/model)")
        p.add_argument("--out", required=True, metavar="DIR", help="where to write")
        p.add_argument("--captions", metavar="FILE", help="text file, one caption per line")
        p.add_argument("--eval-recipe", choices=list(EVAL_PRESETS),
                       help="the original's evaluation settings (cfg/eval_*.yml): draw every "
                            "example caption of --data-dir instead of --captions")
        p.add_argument("--data-dir", metavar="DIR", help="--eval-recipe: the dataset directory")
        p.add_argument("--n", type=int, default=1,
                       help="pictures per caption (seeds SEED, SEED+1, ...)")
        p.add_argument("--seed", type=int, default=0, help="random seed")
    elif name == "export":
        p.add_argument("--model", required=True, metavar="DIR",
                       help="a trained model (train's OUT/model)")
        p.add_argument("--out", required=True, metavar="DIR",
                       help="where to write (SavedModel: saved_models/NAME, version 1 inside)")
        p.add_argument("--format", choices=["saved_model", "tflite"], default="saved_model",
                       help="output format")
        p.add_argument("--float16", action="store_true",
                       help="--format tflite: float16 weights")
        p.add_argument("--plain-upsampling", action="store_true",
                       help="--format tflite: up-blocks as nearest upsampling + CONV_2D "
                            "instead of TRANSPOSE_CONV (for a runtime without it)")
        p.add_argument("--precision", choices=["float32", "bfloat16"], default="float32",
                       help="--format saved_model: the generator's arithmetic; bfloat16 is "
                            "faster on CPUs with bfloat16 instructions (AVX512-BF16, AMX), "
                            "pictures within a uint8 level or two of float32")
    elif name == "evaluate":
        p.add_argument("--model", required=True, metavar="DIR",
                       help="a trained model (train's OUT/model)")
        p.add_argument("--dataset", choices=SOURCES, default="synbirds",
                       help="dataset whose captions are drawn and whose images are the "
                            "reference")
        p.add_argument("--data-dir", metavar="DIR", help="dataset directory")
        p.add_argument("--split", default="test", help="split to read")
        p.add_argument("--samples", type=int, default=30_000,
                       help="generated images (the paper's 30,000)")
        p.add_argument("--metrics", type=_csv, default=["is", "fid", "rprec", "attr"],
                       metavar="LIST",
                       help="comma-separated among is, fid, rprec, attr (attr: SynBirds only)")
        p.add_argument("--inception-weights", metavar="FILE",
                       help="local inception_v3_weights_tf_dim_ordering_tf_kernels.h5 "
                            "(needed for is and fid)")
        p.add_argument("--seed", type=int, default=0, help="random seed")
        p.add_argument("--out", metavar="FILE",
                       help="the JSON report (default: MODEL/evaluation.json)")
        _add_synbirds_flags(p)
    elif name == "demo":
        defaults = DemoRun(out="runs/demo")
        p.add_argument("--out", default=defaults.out, metavar="DIR",
                       help="run directory (run again to resume)")
        p.add_argument("--data-dir", metavar="DIR",
                       help="SynBirds cache root (default $ATTNGAN_DATA_DIR or "
                            "~/.cache/attngan_tf)")
        p.add_argument("--damsm-minutes", type=float, default=defaults.damsm_minutes,
                       metavar="M", help="DAMSM training time")
        p.add_argument("--gan-minutes", type=float, default=defaults.gan_minutes, metavar="M",
                       help="AttnGAN training time")
        p.add_argument("--preset", choices=presets, default=defaults.preset,
                       help="model preset")
        p.add_argument("--batch-size", type=int, default=defaults.gan_batch_size,
                       help="AttnGAN's batch size")
        p.add_argument("--g-lr", type=float, default=defaults.g_learning_rate,
                       help="the generator's Adam learning rate")
        p.add_argument("--d-lr", type=float, default=defaults.d_learning_rate,
                       help="each discriminator's Adam learning rate")
        p.add_argument("--samples", type=int, default=defaults.samples,
                       help="test captions drawn and scored")
        p.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
        _add_synbirds_flags(p)
    elif name == "convert-pytorch":
        p.add_argument("--netg", required=True, metavar="FILE",
                       help="the generator's .pth (G_NET state dict)")
        p.add_argument("--text-encoder", required=True, metavar="FILE",
                       help="the text encoder's .pth")
        p.add_argument("--image-encoder", required=True, metavar="FILE",
                       help="the image encoder's .pth")
        p.add_argument("--captions", required=True, metavar="FILE",
                       help="the data set's captions.pickle")
        p.add_argument("--preset", required=True, choices=presets,
                       help="birds or coco for the release")
        p.add_argument("--out", required=True, metavar="DIR", help="the model directory")


def _verbose_flag(parser, default) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default,
                        help="show TensorFlow's native log lines (CUDA probing, XLA start-up) "
                             "and absl's full log format")


def build_parser() -> argparse.ArgumentParser:
    """The ``attngan`` parser: one sub-parser per command (absl's argparse_flags)."""
    from . import __version__

    parser = argparse_flags.ArgumentParser(
        prog="attngan", inherited_absl_flags=None, formatter_class=_HelpFormatter,
        description="AttnGAN text-to-image generation (TensorFlow / Keras). "
                    "attngan COMMAND --help shows a command's flags.")
    parser.add_argument("--version", action="version", version=f"attngan_tf {__version__}")
    _verbose_flag(parser, False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, fn in COMMANDS.items():
        summary = fn.__doc__.strip().splitlines()[0]
        sub = commands.add_parser(
            name, help=summary, description=summary, inherited_absl_flags=None,
            formatter_class=_HelpFormatter, epilog=f"example:\n  {EXAMPLES[name]}")
        _verbose_flag(sub, argparse.SUPPRESS)  # given before the command or after it
        _define_flags(name, sub)
        sub.set_defaults(run=fn)
    return parser


def _dashed(argv: list[str]) -> list[str]:
    """``--data_dir`` (absl's spelling) → ``--data-dir``; values are left alone."""
    out = []
    for arg in argv:
        if arg.startswith("--") and len(arg) > 2:
            name, sep, value = arg[2:].partition("=")
            arg = "--" + name.replace("_", "-") + sep + value
        out.append(arg)
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parses ``argv`` (without the program name). Bad flags exit with status 2 and
    the command's usage; a flag another command has is named as such."""
    parser = build_parser()
    args, extra = parser.parse_known_args(_dashed(argv))
    if extra:
        sub = parser._subparsers._group_actions[0].choices[args.command]
        sub.error(f"unrecognized arguments for {args.command}: {' '.join(extra)}")
    return args


class _PlainFormatter(logging.Formatter):
    """``attngan: warning: message`` instead of absl's ``W1203 15:02:04.97 123 file.py:1] ...``."""

    def format(self, record):
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"attngan: {record.levelname.lower()}: {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _worth_showing(record: logging.LogRecord) -> bool:
    """For the absl logger (TensorFlow's SavedModel code logs through it): warnings
    and errors, except the placeholder-rename note."""
    return (record.levelno >= logging.WARNING and "with unsupported characters which will "
            "be renamed to" not in record.getMessage())


def run(args: argparse.Namespace) -> int:
    """Runs a parsed command; returns its exit status (1 with a one-line message on
    stderr for an error in the input: bad data, a missing file, a held run directory)."""
    if not args.verbose:
        from absl import logging as absl_logging

        absl_logging.get_absl_handler().setFormatter(_PlainFormatter())
        # TensorFlow's own Python INFO lines ("Writing fingerprint to ...", "Assets
        # written to ...", "Sharding callback duration"; logged through the
        # "tensorflow" and "absl" loggers); its warnings and ours (attngan_tf.*)
        # still show, except SavedModel's note that internal placeholder names
        # are renamed (a line per signature listing every captured variable,
        # about nothing a user named or can change).
        # A filter, not a level: TensorFlow resets the absl logger's level while
        # it saves (through absl's verbosity flag).
        logging.getLogger("tensorflow").setLevel(logging.WARNING)
        logging.getLogger("absl").addFilter(_worth_showing)
    try:
        return args.run(args)
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
        print(f"attngan {args.command}: error: {e}", file=sys.stderr)
        return 1


def _parse_for_absl(argv: list[str]) -> argparse.Namespace:
    args = parse_args(argv[1:])
    flags.FLAGS.mark_as_parsed()  # absl's own flags (logging) keep their defaults
    return args


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``attngan``); exits with the command's status."""
    argv = list(sys.argv if argv is None else argv)
    # Before TensorFlow starts its threads: at most one malloc arena per core
    # (0.1 GiB less resident in training; attngan_tf.malloc_arenas).
    from .malloc_arenas import limit_malloc_arenas

    limit_malloc_arenas()
    if not ({"-v", "--verbose"} & set(argv)):
        # Without --verbose, TensorFlow's native log lines (CUDA probing, XLA
        # start-up) are dropped from stderr (attngan_tf.native_logs).
        from .native_logs import filter_native_logs

        filter_native_logs()
    app.run(run, argv=argv, flags_parser=_parse_for_absl)


if __name__ == "__main__":
    main()
