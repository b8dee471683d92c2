"""Resuming past damaged checkpoints, and one trainer per run directory."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest
import tensorflow as tf

from attngan_tf.training import (CheckpointError, DamsmRun, RunDirectoryLocked, restore_latest,
                                 run_lock, train_damsm)
from attngan_tf.training.rundir import LOCK_FILE
from tests.conftest import ROOT


def _manager(directory):
    variables = {"a": tf.Variable(0.0), "b": tf.Variable([0, 0], dtype=tf.int64)}
    checkpoint = tf.train.Checkpoint(**variables)
    return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=3), variables


def _three_saves(directory):
    manager, variables = _manager(directory)
    for value in (1.0, 2.0, 3.0):
        variables["a"].assign(value)
        variables["b"].assign([int(value), -int(value)])
        manager.save()
    return manager.checkpoints


def _truncate(prefix: str):
    data = tf.io.gfile.glob(prefix + ".data-*")[0]
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous(tmp_path, caplog):
    paths = _three_saves(tmp_path)
    _truncate(paths[-1])
    manager, variables = _manager(tmp_path)
    with caplog.at_level(logging.WARNING, logger="attngan_tf.training"):
        used = restore_latest(manager)
    assert used == paths[1]
    assert float(variables["a"]) == 2.0 and variables["b"].numpy().tolist() == [2, -2]
    assert "cannot be read" in caplog.text and paths[-1] in caplog.text


def test_a_missing_index_file_also_falls_back(tmp_path):
    paths = _three_saves(tmp_path)
    os.remove(paths[-1] + ".index")
    manager, variables = _manager(tmp_path)
    assert restore_latest(manager) in paths[:2]


def test_no_readable_checkpoint_is_an_error_naming_every_file(tmp_path):
    paths = _three_saves(tmp_path)
    for path in paths:
        _truncate(path)
    manager, _ = _manager(tmp_path)
    with pytest.raises(CheckpointError) as error:
        restore_latest(manager)
    assert all(path in str(error.value) for path in paths)
    assert restore_latest(_manager(tmp_path / "empty")[0]) is None


def test_a_second_trainer_is_stopped_and_the_lock_released(tmp_path):
    with run_lock(tmp_path / "run") as lock:
        assert lock.read_text().split()[0] == str(os.getpid())
        with pytest.raises(RunDirectoryLocked, match=f"PID {os.getpid()}"):
            with run_lock(tmp_path / "run"):
                pass
        # The library's trainers take the same lock before any work.
        with pytest.raises(RunDirectoryLocked, match="another trainer"):
            train_damsm(DamsmRun(dataset="synbirds", out=str(tmp_path / "run")))
    assert not (tmp_path / "run" / LOCK_FILE).exists()


def test_a_stale_lock_is_taken_over_and_a_foreign_host_lock_respected(tmp_path, caplog):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True).stdout.strip()
    (tmp_path / LOCK_FILE).write_text(f"{ended} {socket.gethostname()}\n")
    with caplog.at_level(logging.WARNING, logger="attngan_tf.training"):
        with run_lock(tmp_path):
            pass
    assert "stale lock" in caplog.text and not (tmp_path / LOCK_FILE).exists()
    (tmp_path / LOCK_FILE).write_text("garbage")
    with run_lock(tmp_path):  # unreadable: stale
        pass
    (tmp_path / LOCK_FILE).write_text("1 some-other-host\n")
    with pytest.raises(RunDirectoryLocked, match="some-other-host"):
        with run_lock(tmp_path):
            pass


def test_cli_names_the_lock_without_a_traceback(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK_FILE).write_text(f"{os.getpid()} {socket.gethostname()}\n")
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "train-damsm", "--out", str(out),
                           "--epochs", "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "another trainer" in proc.stderr and "Traceback" not in proc.stderr


_FULL_DISK = """
import resource, signal, sys
import tensorflow as tf
from attngan_tf.training import CheckpointWriteError, save_checkpoint
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
weights = tf.Variable(tf.zeros([100_000]))
manager = tf.train.CheckpointManager(tf.train.Checkpoint(w=weights), sys.argv[1], max_to_keep=3)
for value in (1.0, 2.0):
    weights.assign(tf.fill([100_000], value))
    save_checkpoint(manager)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
weights.assign(tf.fill([100_000], 3.0))
try:
    save_checkpoint(manager)
except CheckpointWriteError as error:
    print(error)
"""


def test_a_full_disk_is_a_clear_error_and_the_last_good_checkpoint_stays(tmp_path):
    result = subprocess.run([sys.executable, "-c", _FULL_DISK, str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "could not write a checkpoint (" in result.stdout
    assert "File too large" in result.stdout and "ckpt-2" in result.stdout
    assert not list(tmp_path.glob("*_temp")), "the half-written checkpoint is removed"
    weights = tf.Variable(tf.zeros([100_000]))
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(w=weights), str(tmp_path), 3)
    assert restore_latest(manager).endswith("ckpt-2")
    assert float(weights[0]) == 2.0


@pytest.mark.slow
def test_cli_train_on_a_full_disk_names_the_cause_without_a_traceback(tmp_path):
    import resource
    import signal

    from attngan_tf.config import get_preset
    from tests.models.test_attngan import small_config
    from tests.training.test_gan_training import _export_damsm

    tiny = get_preset("tiny")  # the CLI renders SynBirds with the default seed
    damsm_dir, _ = _export_damsm(tmp_path, small_config(3).replace(
        generator=tiny.generator, discriminator=tiny.discriminator),
        synbirds={"num_train": 24, "num_test": 12, "image_size": 64})

    def limit():  # in the child: writes past 1 MB fail (the checkpoint is larger)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))

    result = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "train", "--dataset", "synbirds",
         "--data-dir", str(tmp_path / "data"), "--damsm", str(damsm_dir),
         "--out", str(tmp_path / "run"), "--preset", "tiny", "--stages", "1",
         "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4",
         "--sample-every", "0", "--synbirds-train", "24", "--synbirds-test", "12",
         "--synbirds-image-size", "64"],
        capture_output=True, text=True, timeout=600, preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "attngan train: error:" in result.stderr and "could not write a checkpoint" in \
        result.stderr and "File too large" in result.stderr
    assert "Traceback" not in result.stderr
