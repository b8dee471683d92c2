"""AttnGAN training: resume equivalence, SIGKILL safety, non-finite stop, CLI end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.models import DAMSM, AttnGAN, load_attngan
from attngan_tf.training import GanCheckpoint, NonFiniteLoss, make_gan_checkpoint
from attngan_tf.training.gan import SampleGrid
from tests.conftest import ROOT
from tests.models.test_attngan import make_batch, small_config

SYNBIRDS = {"num_train": 24, "num_test": 12, "seed": 1, "image_size": 64}


def _dataset(batches):
    """One element per batch, in order."""
    return tf.data.Dataset.from_tensor_slices(
        tf.nest.map_structure(lambda *xs: tf.stack(xs), *batches))


def _one_step(model, batch) -> dict:
    """One ``fit`` step on ``batch``; its logs."""
    history = model.fit(_dataset([batch]), epochs=1, verbose=0)
    return {k: v[-1] for k, v in history.history.items()}


def _weights(model):
    return [v.numpy() for v in model.weights]


@pytest.mark.slow
def test_resume_continues_the_same_run(tmp_path):
    """2 steps, checkpoint, a new process-like model, 2 more == 4 uninterrupted steps.

    The batches carry no noise: the draws are keyed by the restored step.
    """
    cfg = small_config(1)
    batches = [make_batch(cfg, seed=s, with_noise=False) for s in range(4)]
    keras.utils.set_random_seed(0)
    straight = AttnGAN(cfg, seed=11)
    straight.compile()
    straight.fit(_dataset(batches), epochs=1, verbose=0)

    keras.utils.set_random_seed(0)  # the same initial weights as the straight run
    first = AttnGAN(cfg, seed=11)
    first.compile()
    manager, epoch = make_gan_checkpoint(first, tmp_path / "ckpt")
    first.fit(_dataset(batches[:2]), epochs=1, verbose=0,
              callbacks=[GanCheckpoint(manager, epoch)])
    del first
    keras.utils.set_random_seed(999)
    resumed = AttnGAN(cfg, seed=11)  # a different initialisation: the weights come from disk
    resumed.compile()
    manager, epoch = make_gan_checkpoint(resumed, tmp_path / "ckpt")
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    assert int(resumed.g_optimizer.iterations) == 2 and int(epoch) == 1
    resumed.fit(_dataset(batches[2:]), epochs=1, verbose=0)
    assert int(resumed.g_optimizer.iterations) == 4
    for a, b in zip(_weights(straight), _weights(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for opt_a, opt_b in zip([straight.g_optimizer, *straight.d_optimizers],
                            [resumed.g_optimizer, *resumed.d_optimizers]):
        for a, b in zip(opt_a.variables, opt_b.variables):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = small_config(1)
    good = make_batch(cfg, seed=0)
    bad = make_batch(cfg, seed=1)
    bad["images"] = (bad["images"][0] * np.nan,)
    model = AttnGAN(cfg, seed=1)
    model.compile()
    manager, epoch = make_gan_checkpoint(model, tmp_path / "ckpt")
    with pytest.raises(NonFiniteLoss, match=r"step 2: d_loss0 is nan.*ckpt-1"):
        model.fit(_dataset([good, bad, good]), epochs=1, verbose=0,
                  callbacks=[GanCheckpoint(manager, epoch, every=1)])
    assert manager.latest_checkpoint.endswith("ckpt-1")
    fresh = AttnGAN(cfg, seed=2)
    fresh.compile()
    manager, _ = make_gan_checkpoint(fresh, tmp_path / "ckpt")
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    assert all(np.isfinite(w).all() for w in _weights(fresh))


def test_sample_grid_writes_every_stage(tmp_path):
    cfg = small_config(2)
    model = AttnGAN(cfg, seed=1)
    model.compile()
    batch = make_batch(cfg, size=3, with_noise=False)
    from attngan_tf.text import Vocabulary
    vocab = Vocabulary(["<end>", *[f"w{i}" for i in range(1, cfg.text.vocab_size)]])
    callback = SampleGrid(tmp_path / "logs", {k: batch[k] for k in ("captions", "lengths")},
                          vocab, every=1)
    callback.set_model(model)
    from attngan_tf.training.gan import _grid
    grid = _grid(model, {**callback.batch, **callback._noise()})
    assert grid.shape == (3 * 128, 2 * 128, 3) and grid.min() >= 0 and grid.max() <= 1
    again = _grid(model, {**callback.batch, **callback._noise()})
    np.testing.assert_array_equal(grid, again)  # fixed noise: same pictures
    callback.on_train_batch_end(0)
    assert list((tmp_path / "logs" / "samples").glob("events.out.tfevents*"))


def _export_damsm(tmp_path, config, synbirds=SYNBIRDS):
    """A randomly initialised DAMSM export with the SynBirds vocabulary (a stand-in)."""
    from attngan_tf.data import load_dataset

    data = load_dataset("synbirds", tmp_path / "data", "train", synbirds=synbirds)
    config = config.replace(text=config.text.replace(vocab_size=len(data.vocabulary)))
    damsm = DAMSM(config)
    damsm.build()
    return damsm.export(tmp_path / "damsm", data.vocabulary), config


_KILL_SCRIPT = """
import sys
from attngan_tf.config import AttnGANConfig
from attngan_tf.training import GanRun, train_attngan
config = AttnGANConfig.from_json(open(sys.argv[1]).read())
train_attngan(GanRun(dataset="synbirds", out=sys.argv[2], damsm=sys.argv[3],
                     data_dir=sys.argv[4], preset=config, epochs=1000, steps_per_epoch=50,
                     batch_size=4, checkpoint_every=1, sample_every=10**6, verbose=0,
                     synbirds={"num_train": 24, "num_test": 12, "seed": 1, "image_size": 64}))
"""


@pytest.mark.slow
def test_sigkill_leaves_a_loadable_checkpoint(tmp_path):
    damsm_dir, cfg = _export_damsm(tmp_path, small_config(1))
    (tmp_path / "config.json").write_text(cfg.to_json())
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(tmp_path / "config.json"), str(out),
         str(damsm_dir), str(tmp_path / "data")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 240
        index = out / "checkpoints" / "checkpoint"
        while time.monotonic() < deadline:
            if index.is_file() and len(list(index.parent.glob("ckpt-*.index"))) >= 3:
                break
            if proc.poll() is not None:
                pytest.fail(f"training exited early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoints within 240 s")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    model = AttnGAN(cfg)
    model.compile()
    manager, _ = make_gan_checkpoint(model, out / "checkpoints")
    assert manager.latest_checkpoint
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    # Three checkpoints had begun when the kill came; the last may be cut off
    # before the index names it, so the one restored holds at least two steps.
    assert int(model.g_optimizer.iterations) >= 2


@pytest.mark.slow
def test_cli_train_end_to_end_and_resume(tmp_path):
    from attngan_tf.config import get_preset

    tiny = get_preset("tiny")
    # The CLI renders SynBirds with the default seed and size; export against that data.
    damsm_dir, _ = _export_damsm(tmp_path, small_config(3).replace(
        generator=tiny.generator, discriminator=tiny.discriminator),
        synbirds={"num_train": 24, "num_test": 12})
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "attngan_tf", "train", "--dataset", "synbirds",
           "--data-dir", str(tmp_path / "data"), "--damsm", str(damsm_dir), "--out", str(out),
           "--preset", "tiny", "--epochs", "1", "--steps-per-epoch", "2", "--batch-size", "4",
           "--synbirds-train", "24", "--synbirds-test", "12"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "saved the model" in result.stdout
    pngs = sorted((out / "samples").glob("*.png"))
    assert len(pngs) == 8
    captions = (out / "samples" / "captions.txt").read_text().splitlines()
    assert len(captions) == 8 and all("\t" in line and line.split("\t")[1] for line in captions)
    from PIL import Image
    assert Image.open(pngs[0]).size == (3 * 256, 256)
    model, vocabulary = load_attngan(out / "model")
    assert model.config.generator.branch_num == 3
    assert (out / "vocabulary.json").is_file() and list((out / "logs").rglob("events*"))
    # Re-running with more epochs resumes (step count continues from 2).
    result = subprocess.run([*cmd[:cmd.index("--epochs") + 1], "2",
                             *cmd[cmd.index("--epochs") + 2:]], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming from" in result.stderr and "step 2" in result.stderr


def test_one_training_image_is_a_clear_error(tmp_path):
    from attngan_tf.training import GanRun, train_attngan

    one = {"num_train": 1, "num_test": 2, "seed": 1, "image_size": 64}
    damsm_dir, cfg = _export_damsm(tmp_path, small_config(1), synbirds=one)
    run = GanRun(dataset="synbirds", out=str(tmp_path / "run"), damsm=str(damsm_dir),
                 data_dir=str(tmp_path / "data"), preset=cfg, epochs=1, verbose=0, synbirds=one)
    with pytest.raises(ValueError, match="at least 2 examples per batch"):
        train_attngan(run)
    with pytest.raises(ValueError, match="sample_every: must be an integer >= 0"):
        train_attngan(GanRun(**{**run.__dict__, "sample_every": -1}))


@pytest.mark.parametrize("field, value, match", [
    ("g_learning_rate", 0.0, "g_learning_rate: must be in"),
    ("d_learning_rate", 2.0, "d_learning_rate: must be in"),
    ("stages", 4, "stages: must be 1, 2 or 3"),
    ("initial_size", 48, "initial_size: must be 32 or 64"),
])
def test_bad_recipe_options_are_clear_errors(tmp_path, field, value, match):
    from attngan_tf.training import GanRun, train_attngan

    run = GanRun(dataset="synbirds", out=str(tmp_path / "run"), damsm=str(tmp_path / "none"),
                 **{field: value})
    with pytest.raises(ValueError, match=match):
        train_attngan(run)


def test_recipe_config_changes_stages_and_sizes_of_both_networks():
    from attngan_tf.training.gan import recipe_config

    config = recipe_config("synbirds", stages=2, initial_size=32)
    assert config.generator.image_sizes == (32, 64)
    assert (config.discriminator.branch_num, config.discriminator.initial_size) == (2, 32)
    assert recipe_config("synbirds").generator.image_sizes == (64, 128, 256)


@pytest.mark.slow
def test_skip_nonfinite_leaves_the_networks_of_a_bad_batch_untouched_and_counts(tmp_path):
    cfg = small_config(1)
    good = make_batch(cfg, seed=0, with_noise=False)
    bad = make_batch(cfg, seed=1, with_noise=False)
    bad["images"] = (bad["images"][0] * np.nan,)  # the discriminator's loss is NaN
    keras.utils.set_random_seed(0)
    model = AttnGAN(cfg, seed=1)
    model.compile(skip_nonfinite=True)
    manager, epoch = make_gan_checkpoint(model, tmp_path / "ckpt")
    checkpointer = GanCheckpoint(manager, epoch)
    model.fit(_dataset([good]), epochs=1, verbose=0, callbacks=[checkpointer])
    d_before = _weights(model.discriminators[0])
    g_before = _weights(model.generator)
    history = model.fit(_dataset([bad]), epochs=1, verbose=0, callbacks=[checkpointer])
    trainable = {id(v) for v in model.discriminators[0].trainable_variables}
    for v, a in zip(model.discriminators[0].weights, d_before):
        if id(v) in trainable:
            np.testing.assert_array_equal(v.numpy(), a)  # D's update was skipped
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, _weights(model.generator))), \
        "the generator's own loss was finite: it was updated"
    assert checkpointer.skipped == 1
    assert all(np.isfinite(history.history[k][-1]) for k in history.history if k != "skipped")
    assert int(model.d_optimizers[0].iterations) == 2, "a skipped update still counts its step"
    assert all(np.isfinite(w).all() for w in _weights(model.generator))


def test_without_skip_nonfinite_the_step_is_compiled_as_before():
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=1)
    model.compile()
    assert model.skip_nonfinite is False
    logs = _one_step(model, make_batch(cfg, seed=0))
    assert "skipped" not in logs


def test_skip_nonfinite_keeps_generator_average_and_statistics_of_a_nan_noise_step():
    cfg = small_config(1)
    model = AttnGAN(cfg, seed=1)
    model.compile(skip_nonfinite=True)
    _one_step(model, make_batch(cfg, seed=0))
    before = _weights(model.generator) + _weights(model.ema_generator)
    bad = make_batch(cfg, seed=1)
    bad["noise"] = bad["noise"] * np.nan  # every generated picture is NaN
    logs = _one_step(model, bad)
    assert logs["skipped"] == 1.0
    for a, b in zip(before, _weights(model.generator) + _weights(model.ema_generator)):
        np.testing.assert_array_equal(a, b)  # weights, average and BatchNorm statistics
    assert int(model.g_optimizer.iterations) == 2
    logs = _one_step(model, make_batch(cfg, seed=2))
    assert logs["skipped"] == 0.0 and np.isfinite(logs["g_loss"])
