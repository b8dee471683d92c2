"""The output directory of a training run: its configuration, vocabulary and lock."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import pathlib
import socket

from ..config import AttnGANConfig
from ..text import Vocabulary

__all__ = ["check_run_directory", "check_run_options", "run_lock", "RunDirectoryLocked",
           "LOCK_FILE"]

logger = logging.getLogger("attngan_tf.training")

#: Lock file in a run directory while a trainer writes it: "PID HOSTNAME".
LOCK_FILE = ".lock"


class RunDirectoryLocked(RuntimeError):
    """Another live trainer is writing the same run directory."""


def _holder(lock: pathlib.Path) -> tuple[int, str] | None:
    try:
        pid, host = lock.read_text().split(maxsplit=1)
        return int(pid), host.strip()
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _create_with(path: pathlib.Path, text: str) -> bool:
    """Creates ``path`` holding ``text`` atomically: False if it exists.

    The text is written to a private file first and hard-linked into place, so
    no one ever reads a half-written lock (file systems without hard links:
    exclusive create, then write).
    """
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    staging.write_text(text)
    try:
        os.link(staging, path)
        return True
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()


@contextlib.contextmanager
def run_lock(out: str | os.PathLike):
    """Holds ``out/.lock`` (this process's PID and host name) while a trainer writes ``out``.

    A second trainer on the same directory stops with :class:`RunDirectoryLocked`
    naming the holder. A lock left by a process that no longer runs on this
    host (killed, machine restarted) is stale: it is reported and taken over.
    A lock from another host is respected (its process cannot be checked).
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_FILE
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(3):
        if _create_with(lock, me + "\n"):
            break
        holder = _holder(lock)
        if holder is not None and (holder[1] != socket.gethostname() or _alive(holder[0])):
            raise RunDirectoryLocked(
                f"{out}: another trainer (PID {holder[0]} on {holder[1]}) is writing this "
                f"directory; wait for it to finish or stop it, or use another --out. "
                f"If no such process runs, delete {lock}.")
        logger.warning("%s: removing a stale lock (%s)", out,
                       "unreadable" if holder is None else f"PID {holder[0]} has ended")
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
    else:
        raise RunDirectoryLocked(f"{out}: could not take {lock}")
    try:
        yield lock
    finally:
        if _holder(lock) == (os.getpid(), socket.gethostname()):
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()


#: Option -> (smallest value, what it counts); None passes (the default where there is one).
_LOWER_BOUNDS = {
    "epochs": (1, "epochs"), "batch_size": (2, "examples per batch (mismatched-caption pairs)"),
    "steps_per_epoch": (1, "steps"), "keep_checkpoints": (1, "checkpoints kept"),
    "checkpoint_every": (0, "steps (0: at epoch ends only)"),
    "sample_every": (0, "steps (0: off)"), "eval_every": (1, "epochs"),
    "attention_every": (1, "epochs"), "final_runs": (1, "runs"), "samples": (1, "pictures"),
}


def check_run_options(run) -> None:
    """Checks a training run's options (a :class:`~attngan_tf.training.GanRun` or
    :class:`~attngan_tf.training.DamsmRun`) before any data is read or rendered:
    counts in range, a time limit >= 0 (0: one batch), a weights file that exists.
    Raises ``ValueError`` naming the option."""
    for name, (lowest, what) in _LOWER_BOUNDS.items():
        value = getattr(run, name, None)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
            raise ValueError(f"{name}: must be an integer >= {lowest} ({what}), got {value!r}")
    minutes = getattr(run, "max_minutes", None)
    if minutes is not None and not (isinstance(minutes, (int, float)) and minutes >= 0):
        raise ValueError(f"max_minutes: must be >= 0 (0: one batch), got {minutes!r}")
    weights = getattr(run, "trunk_weights", None)
    if weights is not None and not pathlib.Path(weights).expanduser().is_file():
        raise FileNotFoundError(f"trunk_weights: {weights}: no such file")


def check_run_directory(out: str | pathlib.Path, config: AttnGANConfig,
                        vocabulary: Vocabulary) -> None:
    """Creates ``out`` with ``config.json`` and ``vocabulary.json``, or checks them.

    A re-run (resume) must use the same configuration and vocabulary as the
    run that wrote the directory; anything else is a ``ValueError`` asking for
    a new directory, so checkpoints are never loaded into a different model.
    """
    out = pathlib.Path(out)
    saved = out / "config.json"
    if saved.is_file():
        previous = AttnGANConfig.from_json(saved.read_text())
        if previous != config:
            raise ValueError(f"{out}: holds a run with a different configuration; "
                             "use a new --out directory")
    else:
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(config.to_json(indent=1))
    vocab_file = out / "vocabulary.json"
    if vocab_file.is_file():
        if Vocabulary.load(vocab_file) != vocabulary:
            raise ValueError(f"{out}: holds a run with a different vocabulary")
    else:
        vocabulary.save(vocab_file)
