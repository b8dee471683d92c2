"""Sampling: raw captions to pictures, reproducible per caption and seed; files and CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from attngan_tf.models import AttnGAN, save_attngan
from attngan_tf.text import Vocabulary
from tests.conftest import ROOT
from tests.models.test_attngan import small_config

WORDS = ["<end>", "a", "bird", "red", "crown", "blue", "wings", "small", "with"]


@pytest.fixture(scope="module")
def model():
    cfg = small_config(2)
    cfg = cfg.replace(text=cfg.text.replace(vocab_size=len(WORDS)))
    m = AttnGAN(cfg, seed=1)
    m.build()
    m.set_vocabulary(Vocabulary(WORDS))
    return m


def test_same_caption_and_seed_give_the_same_pixels_whatever_the_batch(model):
    alone = model.generate(["a red bird"], seed=[5])
    mixed = model.generate(["blue wings", "a red bird", "small bird"], seed=[1, 5, 2])
    # the same picture: the noise is the caption's own; across batch sizes up to rounding
    # (the CPU kernels sum in a batch-size-dependent order: a value may differ by 1)
    difference = np.abs(alone["images_uint8"][0].astype(int) - mixed["images_uint8"][1])
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-3
    again = model.generate(["blue wings", "a red bird", "small bird"], seed=[1, 5, 2])
    np.testing.assert_array_equal(again["images_uint8"], mixed["images_uint8"])
    other = model.generate(["a red bird"], seed=[6])
    assert not np.array_equal(alone["images_uint8"][0], other["images_uint8"][0])
    assert alone["images_uint8"].dtype == np.uint8
    assert alone["images_uint8"].shape == (1, 128, 128, 3)
    assert [x.shape[1] for x in alone["images"]] == [64, 128]
    assert alone["attention_maps"][0].shape == (1, 64, 64, model.config.text.words_num)


def test_tokenisation_matches_the_training_rule(model):
    out = model.generate(["A RED Bird, with unknownword blue-wings!", "", "zzz qqq"], seed=0)
    assert out["words"][0] == ["a", "red", "bird", "with", "blue", "wings"]
    assert list(out["lengths"]) == [6, 0, 0]  # no known word: 0, generated from padding
    assert np.isfinite(out["images"][-1]).all()
    many = " ".join(["bird"] * 40)
    assert model.generate([many], seed=0)["lengths"][0] == model.config.text.words_num


def test_generate_errors(model):
    with pytest.raises(ValueError, match="at least one caption"):
        model.generate([], seed=0)
    with pytest.raises(ValueError, match="one per caption"):
        model.generate(["a", "b"], seed=[1, 2, 3])
    bare = AttnGAN(model.config)
    with pytest.raises(ValueError, match="no vocabulary"):
        bare.generate(["a bird"], seed=0)
    with pytest.raises(ValueError, match="words"):
        bare.set_vocabulary(Vocabulary(["<end>", "x"]))


@pytest.mark.slow
def test_write_samples_and_cli(model, tmp_path):
    save_attngan(model, tmp_path / "model", model.vocabulary)
    captions = tmp_path / "captions.txt"
    captions.write_text("a small bird with a red crown\n\nblue wings\n")
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "sample", "--model", str(tmp_path / "model"),
         "--captions", str(captions), "--out", str(tmp_path / "out"), "--n", "2", "--seed", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert names == ["000_0.png", "000_0_attention.png", "000_1.png", "000_1_attention.png",
                     "001_0.png", "001_0_attention.png", "001_1.png", "001_1_attention.png"]
    figure = Image.open(tmp_path / "out" / "000_0_attention.png")
    words = 7  # a small bird with a red crown
    assert figure.size[0] == words * 128 and figure.size[1] > 2 * 128
    lines = (tmp_path / "out" / "captions.txt").read_text().splitlines()
    assert lines[0].split("\t") == ["000_0.png", "3", "a small bird with a red crown",
                                    "a small bird with a red crown"]
    # The CLI's picture is the API's picture for the same caption and seed.
    api = model.generate(["blue wings"], seed=[4])["images_uint8"][0]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "001_1.png")), api)
    bad = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "sample", "--model", str(tmp_path / "model"),
         "--captions", str(tmp_path / "none.txt"), "--out", str(tmp_path / "o2")],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 1 and "cannot read" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_draws_a_caption_line_that_is_not_utf8(model, tmp_path):
    save_attngan(model, tmp_path / "model", model.vocabulary)
    captions = tmp_path / "captions.txt"
    captions.write_bytes(b"blue wings\na red\xff bird\n")
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "sample", "--model", str(tmp_path / "model"),
         "--captions", str(captions), "--out", str(tmp_path / "out"), "--seed", "5"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 line(s)" in proc.stderr and "not valid UTF-8" in proc.stderr
    # The invalid byte separates words, as in the tokenizer and the serving signature.
    api = model.generate(["a red bird"], seed=[5])["images_uint8"][0]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "001_0.png")), api)


def test_words_num_keeps_more_words_than_the_model_trained_with(model):
    """The original's evaluation settings sample up to 25 words (eval_bird.yml)."""
    many = " ".join(["bird"] * 40)
    assert model.config.text.words_num < 25
    out = model.generate([many, "a red bird"], seed=0, words_num=25)
    assert list(out["lengths"]) == [25, 3] and out["token_ids"].shape == (2, 25)
    assert np.isfinite(out["images"][-1]).all()
    # the default rule again afterwards (the cached tokenizer follows words_num)
    assert model.generate([many], seed=0)["lengths"][0] == model.config.text.words_num
    with pytest.raises(ValueError, match="words_num"):
        model.generate(["a bird"], seed=0, words_num=0)


def test_example_captions_are_read_as_the_original_lists_them(tmp_path):
    from attngan_tf.sampling import read_example_captions

    (tmp_path / "text" / "001.Kind").mkdir(parents=True)
    (tmp_path / "example_filenames.txt").write_text("example_captions\n\ntext/001.Kind/b_1\n")
    (tmp_path / "example_captions.txt").write_text("a red bird\n\nblue wings\n")
    (tmp_path / "text" / "001.Kind" / "b_1.txt").write_bytes(b"a small \xff bird\n")
    examples = read_example_captions(tmp_path)
    assert examples == [("example_captions", ["a red bird", "blue wings"]),
                        ("text/001.Kind/b_1", ["a small \ufffd bird"])]
    (tmp_path / "example_filenames.txt").write_text("example_captions\nmissing\n")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_example_captions(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing.txt"):
        read_example_captions(tmp_path, "nothing.txt")
    (tmp_path / "empty.txt").write_text("\n")
    (tmp_path / "list.txt").write_text("empty\n")
    with pytest.raises(ValueError, match="no caption"):
        read_example_captions(tmp_path, "list.txt")
