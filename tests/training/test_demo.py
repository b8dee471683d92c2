"""The README's main job (``attngan demo``), at a tiny size."""

from __future__ import annotations

from PIL import Image

from attngan_tf.models import load_attngan, load_damsm
from attngan_tf.training.demo import DemoRun, run_demo


def test_demo_runs_every_stage_and_writes_samples(tmp_path, capsys):
    run = DemoRun(out=str(tmp_path / "demo"), data_dir=str(tmp_path / "data"),
                  damsm_minutes=0.0, gan_minutes=0.0, gan_batch_size=4, gan_steps_per_epoch=2,
                  verbose=0, synbirds={"num_train": 24, "num_test": 12, "seed": 1})
    result = run_demo(run)
    out = capsys.readouterr().out
    assert "[1/2] DAMSM" in out and "[2/2] AttnGAN" in out and "done in" in out
    assert result["attngan"]["steps"] == 2 and result["damsm"]["epochs"] == 1
    damsm, vocabulary = load_damsm(tmp_path / "demo" / "damsm" / "damsm")
    model, vocabulary2 = load_attngan(tmp_path / "demo" / "attngan" / "model")
    assert vocabulary == vocabulary2 and model.config.text == damsm.config.text
    samples = sorted((tmp_path / "demo" / "attngan" / "samples").glob("*.png"))
    assert len(samples) == 8 and Image.open(samples[0]).size == (3 * 256, 256)
    # Run again: the finished DAMSM is kept (the GAN's encoders must not change); the GAN resumes.
    again = run_demo(run)
    assert "DAMSM: already trained" in capsys.readouterr().out
    assert again["damsm"]["epochs"] == 1 and again["attngan"]["steps"] == 4
