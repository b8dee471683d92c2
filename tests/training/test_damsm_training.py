"""train_damsm / ``attngan train-damsm``: end to end, resume, smoke test on real CUB files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from attngan_tf.models import load_damsm
from attngan_tf.training import DamsmRun, train_damsm
from attngan_tf.training.callbacks import AttentionImages, make_checkpoint_manager
from tests.conftest import ROOT, SHARED

SYNBIRDS = {"num_train": 24, "num_test": 12, "seed": 1, "image_size": 64}


@pytest.mark.slow
def test_train_then_resume_then_export(tmp_path, capsys):
    run = DamsmRun(dataset="synbirds", out=str(tmp_path / "run"), data_dir=str(tmp_path / "data"),
                   epochs=1, batch_size=8, final_runs=2, verbose=0, synbirds=SYNBIRDS)
    first = train_damsm(run)
    assert first["epochs"] == 1 and len(first["curve"]) == 1
    again = train_damsm(DamsmRun(**{**run.__dict__, "epochs": 2}))
    out = capsys.readouterr().out
    assert again["epochs"] == 2
    assert [c["epoch"] for c in again["curve"]] == [2], "resumed at epoch 2, not from scratch"
    assert "epoch 1:" in out and "epoch 2:" in out
    saved = json.loads((tmp_path / "run" / "r_precision.json").read_text())
    assert saved["epochs"] == 2 and len(saved["runs"]) == 2
    damsm, vocabulary = load_damsm(tmp_path / "run" / "damsm")
    assert damsm.config.text.vocab_size == len(vocabulary)
    assert list((tmp_path / "run" / "logs").rglob("events.out.tfevents*"))
    with pytest.raises(ValueError, match="different configuration"):
        train_damsm(DamsmRun(**{**run.__dict__, "preset": "tiny"}))


def test_attention_images_grid(tmp_path):
    from attngan_tf.config import get_preset
    from attngan_tf.data import PipelineConfig, load_dataset
    from attngan_tf.models import DAMSM

    data = load_dataset("synbirds", tmp_path / "data", "test", synbirds=SYNBIRDS)
    cfg = get_preset("synbirds")
    cfg = cfg.replace(text=cfg.text.replace(vocab_size=len(data.vocabulary)))
    damsm = DAMSM(cfg)
    damsm.build()
    batch = next(iter(data.to_tf_dataset(PipelineConfig(branch_num=1, batch_size=4,
                                                         training=False))))
    callback = AttentionImages(tmp_path / "logs", batch, data.vocabulary, examples=2,
                               max_words=5)
    callback.set_model(damsm)
    grid, texts = callback.render()
    assert grid.shape == (2 * 64, 6 * 64, 3) and 0.0 <= grid.min() and grid.max() <= 1.0
    assert len(texts) == 2 and all(texts)
    callback.on_epoch_end(4)
    assert list((tmp_path / "logs" / "attention").glob("events.out.tfevents*"))


BIRDS = SHARED / "data" / "birds"


@pytest.mark.slow
@pytest.mark.skipif(not (BIRDS / "CUB_200_2011").is_dir(), reason="../shared/data/birds is absent")
def test_cli_two_epochs_on_a_copy_of_the_real_cub_files(tmp_path):
    data = tmp_path / "birds"
    shutil.copytree(BIRDS, data)
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "train-damsm", "--dataset", "cub", "--data-dir",
         str(data), "--out", str(tmp_path / "run"), "--epochs", "2", "--preset", "tiny"],
        capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "final test R-precision@1" in proc.stdout
    summary = json.loads((tmp_path / "run" / "r_precision.json").read_text())
    assert summary["epochs"] == 2 and np.isfinite(summary["r_precision_mean"])
    assert (tmp_path / "run" / "damsm" / "text_encoder.weights.h5").is_file()


@pytest.mark.slow
def test_resumed_learning_rate_follows_the_epoch_not_the_restored_rate(tmp_path):
    run = DamsmRun(dataset="synbirds", out=str(tmp_path / "run"), data_dir=str(tmp_path / "data"),
                   epochs=2, batch_size=8, final_runs=1, verbose=0, synbirds=SYNBIRDS)
    train_damsm(run)
    train_damsm(DamsmRun(**{**run.__dict__, "epochs": 3}))
    damsm, _ = load_damsm(tmp_path / "run" / "damsm")  # weights only; check the checkpoint
    damsm.compile()
    manager, epoch = make_checkpoint_manager(tmp_path / "run" / "checkpoints", damsm)
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    assert int(epoch) == 3
    assert float(damsm.optimizer.learning_rate) == pytest.approx(2e-3 * 0.98 ** 2, rel=1e-5)


def test_recipes_of_the_original_damsm_configs():
    """cfg/DAMSM/bird.yml and coco.yml: their settings reach the run; explicit options win."""
    from attngan_tf.config import DAMSM_PRESETS

    assert set(DAMSM_PRESETS) == {"damsm_bird", "damsm_coco"}
    coco = DamsmRun.from_recipe("damsm_coco", dataset="coco", out="runs/x")
    assert (coco.preset, coco.epochs, coco.batch_size, coco.learning_rate, coco.text_grad_clip,
            coco.words_num) == ("coco", 600, 48, 2e-3, 0.25, 15)
    bird = DamsmRun.from_recipe("damsm_bird", dataset="cub", out="runs/x", batch_size=8,
                                preset=None)
    assert (bird.preset, bird.batch_size, bird.words_num) == ("birds", 8, 18)
    with pytest.raises(ValueError, match="damsm_bird, damsm_coco"):
        DamsmRun.from_recipe("damsm_flowers", dataset="cub", out="x")


def test_compile_takes_the_recipes_learning_rate_and_clip():
    from attngan_tf.config import get_preset
    from attngan_tf.models import DAMSM

    config = get_preset("tiny")
    config = config.replace(image_encoder=config.image_encoder.replace(
        trunk="small_cnn", image_size=32, trunk_width=4))
    damsm = DAMSM(config)
    damsm.compile(learning_rate=5e-4, text_grad_clip=None)
    assert damsm.initial_learning_rate == pytest.approx(5e-4)
    assert damsm.text_grad_clip is None
