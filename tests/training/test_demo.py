"""The README's main job (``attngan demo``), at a tiny size."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from attngan_tf.models import load_attngan, load_damsm
from attngan_tf.training.demo import DemoRun, run_demo


@pytest.mark.slow
def test_demo_runs_every_stage_writes_pictures_and_a_report(tmp_path, capsys):
    run = DemoRun(out=str(tmp_path / "demo"), data_dir=str(tmp_path / "data"),
                  damsm_minutes=0.0, gan_minutes=0.0, gan_batch_size=4, gan_steps_per_epoch=2,
                  samples=6, attention_figures=2, verbose=0,
                  synbirds={"num_train": 24, "num_test": 12, "seed": 1})
    report = run_demo(run)
    out = capsys.readouterr().out
    assert "[1/3] DAMSM" in out and "[2/3] AttnGAN training, 2 stage(s) (32 and 64 px)" in out
    assert "[3/3]" in out and "done in" in out and "min left in the demo" in out
    for line in ("mean attribute accuracy", "bird found", "R-precision@1", "AttnGAN steps"):
        assert line in out
    demo = tmp_path / "demo"
    assert json.loads((demo / "report.json").read_text()) == json.loads(json.dumps(report))
    attr = report["attribute_accuracy"]
    assert 0 <= attr["mean"] <= 1 and 0 <= attr["bird_found"] <= 1 and attr["per_attribute"]
    assert set(attr["per_attribute"]) <= {"crown", "wing", "body", "tail", "beak", "size",
                                          "background"}
    assert 0 <= report["r_precision"]["mean"] <= 1 and report["samples"] == 6
    # A time limit of 0 stops after the first batch (at least one is always trained).
    assert report["attngan"]["steps"] == 1 and report["attngan"]["sizes"] == [32, 64]
    assert report["preset"] == "synbirds_demo"
    assert report["attngan"]["ema_warmup"] is True  # the synbirds preset's default
    assert report["damsm"]["epochs"] == 1 and report["minutes"] > 0
    damsm, vocabulary = load_damsm(demo / "damsm" / "damsm")
    model, vocabulary2 = load_attngan(demo / "attngan" / "model")
    assert vocabulary == vocabulary2 and model.config.text == damsm.config.text
    assert model.config.generator.image_sizes == (32, 64)
    assert damsm.config.image_encoder.image_size == 32
    pictures = sorted((demo / "samples").glob("*.png"))
    assert len(pictures) == 6 and Image.open(pictures[0]).size == (64, 64)
    lines = (demo / "samples" / "captions.txt").read_text().splitlines()
    assert [line.split("\t")[:2] for line in lines[:2]] == [["000.png", "0"], ["001.png", "1"]]
    assert sorted(p.name for p in (demo / "attention").glob("*.png")) == [
        "000_attention.png", "001_attention.png"]
    # Picture i is what the model draws for caption i with seed i (the attention figures' too).
    from attngan_tf.sampling import generate

    caption = lines[1].split("\t")[2]
    drawn = generate(model, [caption], seed=1)["images_uint8"][0]
    np.testing.assert_array_equal(drawn, np.asarray(Image.open(demo / "samples" / "001.png")))
    # Run again: the finished DAMSM is kept (the GAN's encoders must not change); the GAN resumes.
    again = run_demo(run)
    assert "DAMSM: already trained" in capsys.readouterr().out
    assert again["damsm"]["epochs"] == 1 and again["attngan"]["steps"] == 2


def test_demo_refuses_too_few_samples(tmp_path):
    with pytest.raises(ValueError, match="samples: need at least 2"):
        run_demo(DemoRun(out=str(tmp_path), samples=1))
