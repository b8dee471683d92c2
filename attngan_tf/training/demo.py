"""The README's main job: SynBirds → DAMSM → AttnGAN → pictures and a report, on a CPU.

``run_demo(...)`` is what ``attngan demo`` runs. Each stage writes under
``out`` (``damsm/``, ``attngan/``); run again, a finished DAMSM stage is kept
as it is and an unfinished AttnGAN stage resumes from its last checkpoint.
At the end, for caption 0 of the first ``samples`` test images (seed i for
image i, as ``attngan evaluate``):

* ``out/samples/NNN.png`` (the last stage) and ``out/samples/captions.txt``;
* ``out/attention/``: the paper-style word-attention figure of a few of them;
* ``out/report.json`` and a printed table: the SynBirds oracle's attribute
  accuracy (mean over the attributes the captions name, and per attribute),
  the share of pictures in which it finds a bird, R-precision@1 with the
  run's DAMSM, steps and minutes.

The recipe (stages, batch, learning rates, the weight average's warm-up, the
split of time between DAMSM and AttnGAN) is the one the learning curves of
``benchmarks/learning_curve.py`` chose (BENCHMARKS.md).
"""

from __future__ import annotations

import json
import logging
import pathlib
import sys
import time

import keras

from ..config import DemoRun, get_preset
from .damsm import DamsmRun, train_damsm
from .gan import GanRun, train_attngan

__all__ = ["DemoRun", "run_demo", "Countdown"]

logger = logging.getLogger("attngan_tf.training")


class Countdown(keras.callbacks.Callback):
    """Prints, once a minute, the training time done and the demo's minutes left.

    ``finish_by``: ``time.monotonic()`` value at which the demo should end.
    On a terminal the line is rewritten in place; otherwise one line a minute.
    """

    def __init__(self, label: str, minutes: float, finish_by: float, period: float = 60.0):
        super().__init__()
        self.label, self.minutes, self.finish_by, self.period = label, minutes, finish_by, period
        self.start = None

    def on_train_begin(self, logs=None):  # once: a resumed run may call fit twice
        if self.start is None:
            self.start = self.last = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self.last < self.period:
            return
        self.last = now
        step = int(self.model.g_optimizer.iterations.numpy())
        left = max(0.0, (self.finish_by - now) / 60.0)
        line = (f"  {self.label}: {(now - self.start) / 60:.1f} of {self.minutes:g} min, "
                f"step {step}, g_loss {float((logs or {}).get('g_loss', float('nan'))):.2f}; "
                f"about {left:.1f} min left in the demo")
        if sys.stdout.isatty():
            print("\r" + line, end="", flush=True)
        else:
            print(line, flush=True)

    def on_train_end(self, logs=None):
        if sys.stdout.isatty():
            print(flush=True)


def _write_pictures(images, captions: list[str], directory: pathlib.Path, seed: int) -> None:
    """``NNN.png`` (caption i, drawn with seed ``seed + i``) and ``captions.txt``."""
    from PIL import Image

    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (image, caption) in enumerate(zip(images, captions)):
        Image.fromarray(image).save(directory / f"{i:03d}.png")
        lines.append(f"{i:03d}.png\t{seed + i}\t{caption}")
    (directory / "captions.txt").write_text("\n".join(lines) + "\n")


def _write_attention(model, captions: list[str], directory: pathlib.Path, seed: int) -> None:
    """``NNN_attention.png``: the word-attention figure of caption i, drawn with
    seed ``seed + i`` as ``samples/NNN.png``."""
    from ..figures import attention_figure
    from ..sampling import generate

    directory.mkdir(parents=True, exist_ok=True)
    result = generate(model, captions, seed=seed)
    for i, caption in enumerate(captions):
        figure = attention_figure([x[i] for x in result["images"]],
                                  [a[i] for a in result["attention_maps"]],
                                  result["words"][i], caption)
        figure.save(directory / f"{i:03d}_attention.png")


def _table(report: dict) -> str:
    attr = report["attribute_accuracy"]
    rows = [("mean attribute accuracy", f"{attr['mean']:.3f}")]
    rows += [(f"  {name}", f"{value:.3f}") for name, value in attr["per_attribute"].items()]
    rows += [("bird found", f"{attr['bird_found']:.3f}"),
             ("R-precision@1", f"{report['r_precision']['mean']:.3f}"),
             ("DAMSM test R-precision@1 (real images)", f"{report['damsm']['r_precision']:.3f}"),
             ("AttnGAN steps", str(report["attngan"]["steps"])),
             ("minutes", f"{report['minutes']:.1f}")]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}s}  {value}" for name, value in rows)


def run_demo(run: DemoRun) -> dict:
    """Builds SynBirds (once), pretrains DAMSM, trains AttnGAN, samples and scores.

    Returns the report (also ``out/report.json``).
    """
    from ..data import load_dataset
    from ..evaluation import score_model
    from ..models import load_attngan

    get_preset(run.preset)  # an unknown name fails before any work
    if run.samples < 2:
        raise ValueError(f"samples: need at least 2, got {run.samples}")
    out = pathlib.Path(run.out)
    synbirds = {"image_size": run.image_size, **(run.synbirds or {})}
    start = time.monotonic()
    # Rendering, start-up and the final scoring: about 3.5 min on 2 cores.
    finish_by = start + 60.0 * (run.damsm_minutes + run.gan_minutes + 3.5)
    exported = out / "damsm" / "damsm" / "config.json"
    if exported.is_file():  # finished before: the GAN stage's encoders must not change
        summary = json.loads((out / "damsm" / "r_precision.json").read_text())
        damsm = {"r_precision_mean": summary["r_precision_mean"], "epochs": summary["epochs"]}
        print(f"[1/3] DAMSM: already trained ({out / 'damsm' / 'damsm'})", flush=True)
    else:
        print(f"[1/3] DAMSM pretraining on SynBirds (about {run.damsm_minutes:g} min of "
              "training; the first run also renders the data set, about 1.5 min)", flush=True)
        damsm = train_damsm(DamsmRun(dataset="synbirds", out=str(out / "damsm"),
                                     data_dir=run.data_dir, preset=run.preset,
                                     max_minutes=run.damsm_minutes,
                                     final_runs=1, seed=run.seed, verbose=run.verbose,
                                     synbirds=synbirds))
    generator = get_preset(run.preset).generator
    sizes = " and ".join(str(size) for size in generator.image_sizes)
    print(f"[2/3] AttnGAN training, {generator.branch_num} stage(s) ({sizes} px), about "
          f"{run.gan_minutes:g} min; about {max(0.0, (finish_by - time.monotonic()) / 60):.1f} "
          "min left in the demo", flush=True)
    countdown = Countdown("AttnGAN", run.gan_minutes, finish_by)
    gan = train_attngan(GanRun(dataset="synbirds", out=str(out / "attngan"),
                               damsm=str(out / "damsm" / "damsm"), data_dir=run.data_dir,
                               preset=run.preset,
                               max_minutes=run.gan_minutes, batch_size=run.gan_batch_size,
                               steps_per_epoch=run.gan_steps_per_epoch,
                               g_learning_rate=run.g_learning_rate,
                               d_learning_rate=run.d_learning_rate,
                               sample_every=0, seed=run.seed, verbose=0,
                               synbirds=synbirds), callbacks=[countdown])

    print(f"[3/3] drawing and scoring {run.samples} test captions", flush=True)
    model, vocabulary = load_attngan(gan["model"])
    test = load_dataset("synbirds", run.data_dir, "test", vocabulary=vocabulary,
                        synbirds=synbirds)
    samples = min(run.samples, len(test))
    scores = score_model(model, test, samples=samples, seed=run.seed, return_images=True)
    captions = scores["captions"]
    _write_pictures(scores["images"], captions, out / "samples", run.seed)
    figures = min(run.attention_figures, samples)
    if figures:
        _write_attention(model, captions[:figures], out / "attention", run.seed)
    minutes = (time.monotonic() - start) / 60
    report = {
        "attribute_accuracy": scores["attribute_accuracy"],
        "r_precision": scores["r_precision"],
        "samples": samples,
        "damsm": {"r_precision": damsm["r_precision_mean"], "epochs": damsm["epochs"]},
        "preset": run.preset,
        "attngan": {"steps": gan["steps"], "stages": gan["stages"], "sizes": gan["sizes"],
                    "ema_warmup": gan["ema_warmup"], "batch_size": run.gan_batch_size,
                    "g_learning_rate": run.g_learning_rate,
                    "d_learning_rate": run.d_learning_rate},
        "minutes": minutes,
        "budget_minutes": {"damsm": run.damsm_minutes, "attngan": run.gan_minutes},
        "pictures": str(out / "samples"),
        "attention_figures": str(out / "attention"),
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(_table(report))
    print(f"done in {minutes:.1f} min: pictures in {out / 'samples'}, attention figures in "
          f"{out / 'attention'}, report {out / 'report.json'}")
    return report
