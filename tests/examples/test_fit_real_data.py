"""examples/fit_cub.py and fit_folder.py on the real files in ../shared (skipped without it)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from attngan_tf.models import load_attngan
from tests.conftest import ROOT, SHARED

BIRDS = SHARED / "data" / "birds"
SUBSET = SHARED / "data" / "cub_subset_227"


def _run(args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.skipif(not (BIRDS / "CUB_200_2011").is_dir(), reason="../shared/data/birds is absent")
def test_fit_cub_on_the_original_layout(tmp_path):
    data = tmp_path / "birds"
    shutil.copytree(BIRDS, data)
    result = _run([ROOT / "examples" / "fit_cub.py", "--data_dir", data, "--out",
                   tmp_path / "run", "--preset", "tiny", "--damsm_epochs", 1, "--gan_epochs", 1,
                   "--batch_size", 2])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DAMSM: 1 epochs, test R-precision@1" in result.stdout
    model, vocabulary = load_attngan(tmp_path / "run" / "attngan" / "model")
    assert model.config.name == "tiny" and len(vocabulary) > 1000  # the CUB captions' words
    samples = sorted((tmp_path / "run" / "samples").glob("*_0.png"))
    assert len(samples) == 2 and np.asarray(Image.open(samples[0])).shape == (256, 256, 3)


@pytest.mark.skipif(not (SUBSET / "images").is_dir(),
                    reason="../shared/data/cub_subset_227 is absent")
@pytest.mark.slow
def test_fit_folder_on_a_few_hundred_real_photos(tmp_path):
    data = tmp_path / "photos"
    classes = sorted(p for p in (SUBSET / "images").iterdir() if p.is_dir())[:4]
    count = 0
    for folder in classes:
        target = data / "images" / folder.name
        target.mkdir(parents=True)
        for image in sorted(folder.glob("*.jpg"))[:60]:
            for path in (image, image.with_suffix(".txt")):
                (target / path.name).symlink_to(path)
            count += 1
    assert 200 <= count <= 240
    result = _run([ROOT / "examples" / "fit_folder.py", "--data_dir", data, "--out",
                   tmp_path / "run", "--damsm_minutes", 0.01, "--gan_minutes", 0.01,
                   "--batch_size", 4])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test pictures; vocabulary of" in result.stdout
    model, _ = load_attngan(tmp_path / "run" / "attngan" / "model")
    assert model.config.generator.image_sizes == (64, 128)
    samples = sorted((tmp_path / "run" / "samples").glob("*_0.png"))
    assert len(samples) == 4 and np.asarray(Image.open(samples[0])).shape == (128, 128, 3)
    empty = _run([ROOT / "examples" / "fit_folder.py", "--data_dir", tmp_path / "nothing"])
    assert empty.returncode != 0 and "nothing" in empty.stderr
