"""Learning curves of AttnGAN recipes on SynBirds: quality against CPU minutes.

    python benchmarks/learning_curve.py --damsm runs/damsm/damsm --out runs/curves \\
        --recipe "2 stages, warm-up:stages=2,ema_warmup=1" --minutes 20 --every 2.5

Trains one recipe (``LABEL:key=value,...``; keys: ``stages``, ``initial_size`` (32 or 64), ``batch``,
``g_lr``, ``d_lr``, ``ema_warmup``, ``ema_decay``, ``gf_dim``, ``df_dim``,
``r_num``, ``damsm_lambda``) with ``attngan train``'s code against a
pretrained DAMSM, and every ``--every`` minutes of training (time spent
scoring is not counted) samples the averaged generator for caption 0 of
``--samples`` test images (seed i for image i, as ``attngan evaluate``) and
scores the pictures:

* the SynBirds oracle's attribute accuracy, per attribute and the mean over
  every attribute the captions name;
* the share of pictures in which the oracle finds a bird (an outline with a
  head, body and tail where a bird has them; noise and blobs are not birds);
* R-precision@1 of the pictures with the run's DAMSM (99 mismatched captions,
  10 draws).

Each run adds its curve to ``OUT/learning_curves.json`` (one entry per label;
running a label again replaces it) and redraws ``OUT/learning_curves.png``
with every recipe of the file: mean attribute accuracy, bird-found rate and
R-precision@1 against training minutes. The recipe's run directory is ``OUT/runs/LABEL``.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags  # noqa: E402


def define_flags() -> None:
    """Registers the script's flags (run as a script only: importing this module, as the
    tests do, leaves absl's global flags alone, so ``attngan_tf.cli`` can be imported
    beside it)."""
    flags.DEFINE_string("damsm", None, "Exported DAMSM directory (train-damsm's OUT/damsm).")
    flags.DEFINE_string("out", None, "Directory of the curves (JSON, PNG) and the runs.")
    flags.DEFINE_multi_string("recipe", None, "LABEL:key=value,... (see the module docstring); "
                              "one per run.")
    flags.DEFINE_string("preset", "synbirds", "Preset the recipe's keys change (synbirds, "
                        "synbirds_demo, ...).")
    flags.DEFINE_float("minutes", 20.0, "Training minutes per recipe (scoring not counted).")
    flags.DEFINE_float("every", 2.5, "Minutes of training between scores.")
    flags.DEFINE_integer("samples", 200, "Test captions scored (caption 0 of the first N images).")
    flags.DEFINE_string("data_dir", None, "SynBirds cache root (default: the library's).")
    flags.DEFINE_integer("synbirds_train", 10_000, "SynBirds training images.")
    flags.DEFINE_integer("synbirds_test", 2_000, "SynBirds test images.")
    flags.DEFINE_integer("synbirds_image_size", 256, "SynBirds rendering size (the demo's: 128).")
    flags.DEFINE_integer("seed", 0, "Training seed.")
    flags.DEFINE_boolean("plot_only", False, "Only redraw the PNG from the JSON.")
    flags.DEFINE_boolean("resume", False, "Continue a recipe already in the JSON from its run's "
                         "last checkpoint for --minutes more, appending to its curve.")


FLAGS = flags.FLAGS

#: Recipe keys and the GanRun / preset fields they set.
RECIPE_KEYS = {"stages": int, "initial_size": int, "batch": int, "g_lr": float, "d_lr": float, "ema_warmup": int,
               "ema_decay": float, "gf_dim": int, "df_dim": int, "r_num": int,
               "damsm_lambda": float}


def parse_recipe(text: str) -> tuple[str, dict]:
    """``"LABEL:key=value,..."`` → ``(label, {key: value})``; unknown keys are errors."""
    label, _, rest = text.partition(":")
    label = label.strip()
    if not label:
        raise ValueError(f"recipe {text!r}: needs a label before ':'")
    values = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in RECIPE_KEYS:
            raise ValueError(f"recipe {label!r}: {item!r} is not key=value with a key among "
                             f"{', '.join(RECIPE_KEYS)}")
        values[key.strip()] = RECIPE_KEYS[key.strip()](value)
    return label, values


def _synbirds() -> dict:
    return {"num_train": FLAGS.synbirds_train, "num_test": FLAGS.synbirds_test,
            "image_size": FLAGS.synbirds_image_size}


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_") or "recipe"


def recipe_run(label: str, recipe: dict, damsm: str, out: pathlib.Path):
    """The :class:`~attngan_tf.training.GanRun` of a recipe."""
    from attngan_tf.config import get_preset
    from attngan_tf.training import GanRun

    config = get_preset(FLAGS.preset)
    generator = {k: recipe[k] for k in ("gf_dim", "r_num") if k in recipe}
    if generator:
        config = config.replace(generator=config.generator.replace(**generator))
    if "df_dim" in recipe:
        config = config.replace(discriminator=config.discriminator.replace(
            df_dim=recipe["df_dim"]))
    if "damsm_lambda" in recipe:
        config = config.replace(loss=config.loss.replace(damsm_lambda=recipe["damsm_lambda"]))
    options = {"g_learning_rate": recipe.get("g_lr", 2e-4),
               "d_learning_rate": recipe.get("d_lr", 2e-4),
               "ema_decay": recipe.get("ema_decay", 0.999),
               "ema_warmup": bool(recipe["ema_warmup"]) if "ema_warmup" in recipe else None,
               "stages": recipe.get("stages"), "initial_size": recipe.get("initial_size")}
    return GanRun(dataset="synbirds", out=str(out / "runs" / _slug(label)), damsm=damsm,
                  data_dir=FLAGS.data_dir, preset=config, batch_size=recipe.get("batch", 16),
                  # The time limit ends the run (epochs: no cap; the default 600 of
                  # 20 steps once stopped a resumed run unscored).
                  epochs=10**9, steps_per_epoch=20, sample_every=0, checkpoint_every=0,
                  keep_checkpoints=1,
                  seed=FLAGS.seed, verbose=0,
                  synbirds=_synbirds(), **options)


def make_scorer(test, samples: int, minutes: float, every: float, log=print,
                offset: float = 0.0):
    """A Keras callback: every ``every`` training minutes, scores the model
    (:func:`attngan_tf.evaluation.score_model`); stops after ``minutes``.
    Its ``points`` list holds one dict per score; their minutes count from
    ``offset`` (a resumed run's earlier training). A run that ends for another
    reason is scored once more at its end; ``trained_minutes`` is the
    training time (scoring excluded)."""
    import keras

    from attngan_tf.evaluation import score_model

    class Scorer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.points, self.scoring = [], 0.0

        def on_train_begin(self, logs=None):  # once: a resumed run may call fit twice
            if not hasattr(self, "start"):
                self.start = time.monotonic()
                self.next = every * 60.0

        def _trained(self) -> float:
            return time.monotonic() - self.start - self.scoring

        @property
        def trained_minutes(self) -> float:
            return self._trained() / 60.0 if hasattr(self, "start") else 0.0

        def on_train_end(self, logs=None):
            steps = int(self.model.g_optimizer.iterations.numpy())
            if not self.points or self.points[-1]["steps"] != steps:
                self._score(self._trained(), logs)

        def on_train_batch_end(self, batch, logs=None):
            trained = self._trained()
            if trained < self.next and trained < minutes * 60.0:
                return
            self._score(trained, logs)

        def _score(self, trained, logs):
            began = time.monotonic()
            scores = score_model(self.model, test, samples=samples)
            attr, rprec = scores["attribute_accuracy"], scores["r_precision"]
            point = {"minutes": round(offset + trained / 60.0, 3),
                     "steps": int(self.model.g_optimizer.iterations.numpy()),
                     "attribute_accuracy": attr["mean"],
                     "per_attribute": attr["per_attribute"],
                     "bird_found": attr["bird_found"], "r_precision": rprec["mean"],
                     "losses": {k: float(v) for k, v in (logs or {}).items()}}
            self.points.append(point)
            self.scoring += time.monotonic() - began
            log(f"  {point['minutes']:6.2f} min {point['steps']:6d} steps: attributes "
                f"{point['attribute_accuracy']:.3f}, bird found {point['bird_found']:.2f}, "
                f"R@1 {point['r_precision']:.3f} (scoring {time.monotonic() - began:.1f} s)")
            self.next += every * 60.0
            if trained >= minutes * 60.0:
                self.model.stop_training = True

    return Scorer()


def plot(results: dict, path: pathlib.Path) -> None:
    """Mean attribute accuracy, bird-found rate and R-precision@1 against minutes,
    one line per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (("attribute_accuracy", "mean attribute accuracy (oracle)"),
              ("bird_found", "bird found (oracle)"),
              ("r_precision", "R-precision@1 (the run's DAMSM)"))
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4.2))
    for label, entry in results.items():
        minutes = [p["minutes"] for p in entry["points"]]
        for ax, (key, _) in zip(axes, panels):
            ax.plot(minutes, [p[key] for p in entry["points"]], "o-", label=label,
                    markersize=3)
    for ax, (_, title) in zip(axes, panels):
        ax.set_xlabel("training minutes (2 CPU cores)")
        ax.set_title(title)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv):
    del argv
    if not FLAGS.out:
        raise app.UsageError("--out is required")
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "learning_curves.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    if FLAGS.plot_only:
        plot(results, out / "learning_curves.png")
        return 0
    if not FLAGS.damsm or not FLAGS.recipe:
        raise app.UsageError("--damsm and --recipe are required")
    if FLAGS.every <= 0 or FLAGS.minutes <= 0:
        raise app.UsageError("--minutes and --every must be positive")
    recipes = [parse_recipe(text) for text in FLAGS.recipe]

    from attngan_tf.data import load_dataset
    from attngan_tf.text import Vocabulary
    from attngan_tf.training import train_attngan

    damsm_summary = pathlib.Path(FLAGS.damsm).parent / "r_precision.json"
    damsm_r1 = (json.loads(damsm_summary.read_text()).get("r_precision_mean")
                if damsm_summary.is_file() else None)
    vocabulary = Vocabulary.load(pathlib.Path(FLAGS.damsm) / "vocabulary.json")
    test = load_dataset("synbirds", FLAGS.data_dir, "test", vocabulary=vocabulary,
                        synbirds=_synbirds())
    for label, recipe in recipes:
        print(f"recipe {label!r}: {recipe or 'defaults'}, {FLAGS.minutes:g} min", flush=True)
        run = recipe_run(label, recipe, FLAGS.damsm, out)
        earlier = results.get(label, {}).get("points", []) if FLAGS.resume else []
        if FLAGS.resume and not earlier:
            raise app.UsageError(f"--resume: {label!r} has no curve in {path} to continue")
        if not FLAGS.resume and (pathlib.Path(run.out) / "checkpoints").exists():
            raise app.UsageError(f"{run.out} holds a run of {label!r}: --resume continues it, "
                                 "or remove it to start again")
        # Trained minutes so far (the entry's; its last point's in older files).
        offset = (results[label].get("minutes", earlier[-1]["minutes"]) if earlier else 0.0)
        scorer = make_scorer(test, min(FLAGS.samples, len(test)), FLAGS.minutes, FLAGS.every,
                             log=lambda line: print(line, flush=True), offset=offset)
        summary = train_attngan(run, callbacks=[scorer])
        results[label] = {"preset": FLAGS.preset, "recipe": recipe, "ema_warmup": summary["ema_warmup"],
                          "stages": summary["stages"], "sizes": summary["sizes"],
                          "damsm": FLAGS.damsm,
                          "damsm_test_r_precision": damsm_r1, "samples": FLAGS.samples,
                          "minutes": round(offset + scorer.trained_minutes, 3),
                          "every": FLAGS.every,
                          "points": earlier + scorer.points}
        path.write_text(json.dumps(results, indent=1))
        plot(results, out / "learning_curves.png")
    print(f"wrote {path} and {out / 'learning_curves.png'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    define_flags()
    app.run(main)
