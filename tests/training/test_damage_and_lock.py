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
