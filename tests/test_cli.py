"""The ``attngan data`` subcommand."""

from __future__ import annotations

import subprocess
import sys

from attngan_tf.text import Vocabulary
from tests.conftest import ROOT
from tests.data import fixtures


def test_data_command_summarises_a_folder_and_saves_its_vocabulary(tmp_path):
    root = fixtures.write_folder(tmp_path / "pics", count=5)
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "data", "--source", "folder", "--data_dir",
         str(root), "--split", "all", "--preset", "tiny", "--batch_size", "4",
         "--vocabulary_out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "folder all split at" in out and "5 images, 15 captions" in out
    assert "(4, 64, 64, 3)" in out
    vocab = Vocabulary.load(tmp_path / "out")
    assert f"vocabulary {len(vocab)} words" in out


def test_data_command_reports_a_missing_directory(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "data", "--source", "cub", "--data_dir",
         str(tmp_path / "nothing")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and str(tmp_path / "nothing") in proc.stderr
    assert "attngan data: error:" in proc.stderr and "Traceback" not in proc.stderr


def test_train_command_needs_a_damsm_and_reports_a_bad_one(tmp_path):
    base = [sys.executable, "-m", "attngan_tf", "train", "--out", str(tmp_path / "run")]
    proc = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "needs --damsm DIR and --out DIR" in proc.stderr
    proc = subprocess.run(base + ["--damsm", str(tmp_path / "nothing")], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "not an exported DAMSM" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_data_command_renders_synbirds_at_the_size_asked(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "data", "--source", "synbirds", "--data_dir",
         str(tmp_path), "--synbirds-train", "6", "--synbirds-test", "4",
         "--synbirds-image-size", "64", "--preset", "synbirds_demo", "--batch_size", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "synbirds-s0-n6-4-64" in proc.stdout and "6 images" in proc.stdout
    assert "(2, 32, 32, 3) (2, 64, 64, 3)" in proc.stdout  # the demo preset's two stages
