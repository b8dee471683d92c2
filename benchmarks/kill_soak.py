"""Kill soak: SIGKILL ``attngan train-damsm`` and ``attngan train`` at random moments, resume
each time, and compare the final state with an uninterrupted run (must be bit-identical).

    python benchmarks/kill_soak.py --kills 20 --out /tmp/soak

For each trainer: one uninterrupted run; then the same command started again
and again in a fresh directory, each time killed with SIGKILL at a random
moment after it made progress (a new checkpoint appeared): alternately a
random 0-``--window`` s later (inside a step, an evaluation, ...) and as soon as
a checkpoint's temporary files appear (while a checkpoint is being written),
until ``--kills`` kills are done, and then run to the end. The final
checkpoints of the two runs are compared variable by variable (the save
counter aside): every value must be equal bit for bit. The table counts kills,
resumes, kills that left a half-written checkpoint behind (temporary files),
and mismatching variables (must be 0).

Tiny runs: SynBirds 24 + 12 images at 64 px, the ``synbirds_demo`` preset,
a DAMSM of ``max(4, kills + 2)`` epochs (6 steps each; a checkpoint per epoch)
and an AttnGAN of epochs of 4 steps, enough for ``2 * kills + 2`` steps, with a
checkpoint every step (an epoch is not a pass over the data -- 6 batches --
so resumes start inside passes).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SYNBIRDS = ["--synbirds-train", "24", "--synbirds-test", "12", "--synbirds-image-size", "64"]


def damsm_command(data: pathlib.Path, out: pathlib.Path, epochs: int = 4) -> list[str]:
    return [sys.executable, "-m", "attngan_tf", "train-damsm", "--dataset", "synbirds",
            "--data-dir", str(data), "--out", str(out), "--preset", "synbirds_demo",
            "--epochs", str(epochs), "--batch-size", "4", *SYNBIRDS]


def gan_command(data: pathlib.Path, damsm: pathlib.Path, out: pathlib.Path,
                epochs: int = 3) -> list[str]:
    return [sys.executable, "-m", "attngan_tf", "train", "--dataset", "synbirds",
            "--data-dir", str(data), "--damsm", str(damsm), "--out", str(out),
            "--preset", "synbirds_demo", "--epochs", str(epochs), "--steps-per-epoch", "4",
            "--batch-size", "4", "--checkpoint-every", "1", "--sample-every", "0",
            *SYNBIRDS]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _run(command: list[str], timeout: float) -> None:
    result = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command[2:4])} failed ({result.returncode}):\n"
                           f"{result.stderr[-3000:]}")


def _progress(checkpoints: pathlib.Path) -> tuple:
    """Changes whenever a checkpoint is completed (the manager's index file is replaced)."""
    index = checkpoints / "checkpoint"
    try:
        stat = index.stat()
        return stat.st_mtime_ns, stat.st_ino
    except FileNotFoundError:
        return None


def _temporary_files(checkpoints: pathlib.Path) -> set:
    """Half-written checkpoint files: TensorFlow's ``*_temp`` shards, the manager's ``*.tmp*``."""
    if not checkpoints.is_dir():
        return set()
    return {p.name for p in checkpoints.iterdir() if "_temp" in p.name or ".tmp" in p.name}


def killed_run(command: list[str], out: pathlib.Path, kills: int, window: float, rng,
               timeout: float) -> dict:
    """Runs ``command`` to the end, SIGKILLing it ``kills`` times after progress."""
    checkpoints = out / "checkpoints"
    counts = {"kills": 0, "resumes": 0, "kills_during_checkpoint_write": 0}
    deadline = time.monotonic() + timeout
    while True:
        before = _progress(checkpoints)
        leftovers = _temporary_files(checkpoints)
        log = out.parent / f"{out.name}.stderr.log"  # a file: a full pipe would block it
        with open(log, "wb") as stderr:
            proc = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                                    stderr=stderr)
        counts["resumes"] += before is not None
        if counts["kills"] >= kills:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            if proc.returncode:
                raise RuntimeError(f"final resume failed: {log.read_text()[-3000:]}")
            return counts
        while proc.poll() is None and _progress(checkpoints) == before:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"no progress within the soak's {timeout:.0f} s")
            time.sleep(0.02)
        if proc.poll() is not None:  # finished before it could be killed
            if proc.returncode:
                raise RuntimeError(f"run failed: {log.read_text()[-3000:]}")
            return counts
        if counts["kills"] % 2:  # every other kill: while a checkpoint is being written
            while proc.poll() is None and not _temporary_files(checkpoints) - leftovers:
                time.sleep(0.002)
        else:  # inside a step (or whatever runs then)
            time.sleep(rng.uniform(0.0, window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            counts["kills"] += 1
            counts["kills_during_checkpoint_write"] += bool(
                _temporary_files(checkpoints) - leftovers)
        elif proc.returncode:
            raise RuntimeError(f"run failed: {log.read_text()[-3000:]}")
        else:
            return counts


def compare_checkpoints(a: pathlib.Path, b: pathlib.Path) -> dict:
    """Variables of the latest checkpoints of two run directories: compared, mismatches."""
    import numpy as np
    import tensorflow as tf

    ra = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(a / "checkpoints")))
    rb = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(b / "checkpoints")))
    keys = sorted(k for k in ra.get_variable_to_shape_map()
                  if "save_counter" not in k and k != "_CHECKPOINTABLE_OBJECT_GRAPH")
    other = {k for k in rb.get_variable_to_shape_map()
             if "save_counter" not in k and k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    mismatches = sorted(set(keys) ^ other)
    for key in keys:
        if key in other and not np.array_equal(ra.get_tensor(key), rb.get_tensor(key)):
            mismatches.append(key)
    return {"variables": len(keys), "mismatches": len(mismatches),
            "mismatched": mismatches[:10]}


def soak(workdir: pathlib.Path, kills: int, window: float = 1.0, seed: int = 0,
         timeout: float = 3600.0) -> dict:
    """Both soaks in ``workdir``; returns ``{"train-damsm": {...}, "train": {...}}``."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    results = {}
    straight, interrupted = workdir / "damsm-straight", workdir / "damsm-killed"
    for directory in (straight, interrupted):
        shutil.rmtree(directory, ignore_errors=True)
    # Enough checkpoints for every kill (each kill waits for a new one).
    epochs = max(4, kills + 2)
    _run(damsm_command(data, straight, epochs), timeout)
    counts = killed_run(damsm_command(data, interrupted, epochs), interrupted, kills, window,
                        rng, timeout)
    results["train-damsm"] = {**counts, **compare_checkpoints(straight, interrupted)}
    damsm = straight / "damsm"
    straight, interrupted = workdir / "gan-straight", workdir / "gan-killed"
    for directory in (straight, interrupted):
        shutil.rmtree(directory, ignore_errors=True)
    epochs = max(3, -(-(2 * kills + 2) // 4))
    _run(gan_command(data, damsm, straight, epochs), timeout)
    counts = killed_run(gan_command(data, damsm, interrupted, epochs), interrupted, kills,
                        window, rng, timeout)
    results["train"] = {**counts, **compare_checkpoints(straight, interrupted)}
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills per trainer")
    parser.add_argument("--window", type=float, default=1.0,
                        help="seconds after a new checkpoint in which the kill falls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/attngan_kill_soak")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    start = time.monotonic()
    results = soak(pathlib.Path(args.out), args.kills, args.window, args.seed)
    print(f"{'trainer':<12} {'kills':>5} {'resumes':>7} {'mid-write':>9} {'variables':>9} "
          f"{'mismatches':>10}")
    for name, r in results.items():
        print(f"{name:<12} {r['kills']:>5} {r['resumes']:>7} "
              f"{r['kills_during_checkpoint_write']:>9} {r['variables']:>9} "
              f"{r['mismatches']:>10}")
    print(f"({(time.monotonic() - start) / 60:.1f} min)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    return int(any(r["mismatches"] for r in results.values()))


if __name__ == "__main__":
    sys.exit(main())
