"""The README's main job: SynBirds → DAMSM → AttnGAN → sample images, on a CPU.

``run_demo(...)`` is what ``attngan demo`` runs. Each stage writes under
``out`` (``damsm/``, ``attngan/``); run again, a finished DAMSM stage is kept
as it is and an unfinished stage resumes from its last checkpoint; the final
samples (every stage side by side, with ``captions.txt``) are in
``out/attngan/samples``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pathlib
import time

from .damsm import DamsmRun, train_damsm
from .gan import GanRun, train_attngan

__all__ = ["DemoRun", "run_demo"]

logger = logging.getLogger("attngan_tf.training")


@dataclasses.dataclass(frozen=True)
class DemoRun:
    """Options of the demo (the CLI flags)."""

    out: str
    data_dir: str | None = None
    damsm_minutes: float = 4.0
    gan_minutes: float = 6.0
    gan_batch_size: int = 16
    gan_steps_per_epoch: int = 20
    seed: int = 0
    verbose: int = 1
    synbirds: dict | None = None


def run_demo(run: DemoRun) -> dict:
    """Builds SynBirds (once), pretrains DAMSM, trains AttnGAN, writes samples."""
    out = pathlib.Path(run.out)
    start = time.monotonic()
    exported = out / "damsm" / "damsm" / "config.json"
    if exported.is_file():  # finished before: the GAN stage's encoders must not change
        summary = json.loads((out / "damsm" / "r_precision.json").read_text())
        damsm = {"r_precision_mean": summary["r_precision_mean"], "epochs": summary["epochs"]}
        print(f"[1/2] DAMSM: already trained ({out / 'damsm' / 'damsm'})", flush=True)
    else:
        print(f"[1/2] DAMSM pretraining on SynBirds (about {run.damsm_minutes:g} min of training; "
              "the first run also renders the data set, about 1.5 min)", flush=True)
        damsm = train_damsm(DamsmRun(dataset="synbirds", out=str(out / "damsm"),
                                     data_dir=run.data_dir, max_minutes=run.damsm_minutes,
                                     final_runs=1, seed=run.seed, verbose=run.verbose,
                                     synbirds=run.synbirds))
    print(f"[2/2] AttnGAN training (about {run.gan_minutes:g} min)", flush=True)
    gan = train_attngan(GanRun(dataset="synbirds", out=str(out / "attngan"),
                               damsm=str(out / "damsm" / "damsm"), data_dir=run.data_dir,
                               preset="synbirds", max_minutes=run.gan_minutes,
                               batch_size=run.gan_batch_size,
                               steps_per_epoch=run.gan_steps_per_epoch,
                               sample_every=run.gan_steps_per_epoch, seed=run.seed,
                               verbose=run.verbose, synbirds=run.synbirds))
    minutes = (time.monotonic() - start) / 60
    print(f"done in {minutes:.1f} min: DAMSM test R-precision@1 {damsm['r_precision_mean']:.3f}, "
          f"AttnGAN {gan['steps']} steps; samples in {out / 'attngan' / 'samples'}")
    return {"damsm": damsm, "attngan": gan, "minutes": minutes}
