"""The PyTorch port of the original (``torch_baseline.py``), timed in its own process.

Every benchmark that compares against the original calls these in the same run
as its own timings, so each ratio comes from one sitting of the machine.
"""

import os
import re
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_baseline.py")


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"torch_baseline.py {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def port_sample_ms(preset: str, batches, repeats: int) -> dict:
    """``{batch: median ms}`` of the port's text encoder + generator."""
    out = _run("--mode", "sample", "--preset", preset,
               "--batch", ",".join(str(b) for b in batches), "--repeats", str(repeats))
    return {int(b): float(ms) for b, ms in re.findall(r"batch (\d+): median (\d+) ms", out)}


def port_train(preset: str, batch: int, steps: int, warmup: int = 2) -> dict:
    """The port's training iteration: ``{"seconds": median, "rss_gib": peak RSS}``."""
    out = _run("--mode", "train", "--preset", preset, "--batch", str(batch),
               "--steps", str(steps), "--warmup", str(warmup))
    match = re.search(r"batch \d+: ([\d.]+) s/iteration.*peak RSS ([\d.]+) GiB", out)
    if not match:
        raise RuntimeError(f"unexpected torch_baseline.py output:\n{out[-2000:]}")
    return {"seconds": float(match.group(1)), "rss_gib": float(match.group(2))}
