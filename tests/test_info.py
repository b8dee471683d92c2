import os
import subprocess
import sys

import pytest

from attngan_tf.info import parameter_count

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Parameter counts of the original PyTorch models at the birds config
# (sum of p.numel() over parameters(); BatchNorm buffers excluded).
BIRDS = {
    "generator": (7_084_592, 7_084_592),
    "discriminator0": (6_313_730, 6_313_730),
    "discriminator1": (19_424_002, 19_424_002),
    "discriminator2": (71_858_946, 71_858_946),
    "text_encoder": (2_075_320, 2_075_320),
    "image_encoder": (22_506_720, 721_152),
}


@pytest.mark.parametrize("name", BIRDS)
def test_birds_parameter_counts_equal_reference(birds_networks, name):
    assert parameter_count(birds_networks[name]) == BIRDS[name]


def test_info_command_prints_every_network():
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset", "tiny"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("preset tiny")
    for name in ("text_encoder", "image_encoder", "generator", "discriminator0",
                 "discriminator1", "discriminator2"):
        (line,) = [ln for ln in lines if ln.startswith(name + " ")]
        count = int(line.split()[1].replace(",", ""))
        assert count > 0
    assert "trainable" in [ln for ln in lines if ln.startswith("image_encoder")][0]


def test_cli_rejects_unknown_command_and_preset():
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "paint"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and "invalid choice: 'paint'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset", "flowers"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode != 0 and "preset" in proc.stderr


@pytest.mark.slow
def test_info_lists_every_preset_and_recipe_and_takes_the_original_names():
    from attngan_tf.config import DAMSM_PRESETS, EVAL_PRESETS, PRESET_ALIASES, PRESETS

    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset",
                           "bird_attndcgan2"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    lines = out.splitlines()
    assert lines[0].startswith("preset bird_attndcgan2") and "AttnDCGAN" in lines[0]
    (generator,) = [ln for ln in lines if ln.startswith("generator ")]
    (discriminator,) = [ln for ln in lines if ln.startswith("discriminator")]
    assert "6,638,960" in generator and "71,850,753" in discriminator
    assert "uncond" not in discriminator
    listed = {ln.split()[0] for ln in lines if ln.startswith("  ")}
    assert set(PRESETS) | set(DAMSM_PRESETS) | set(EVAL_PRESETS) <= listed
    assert all(f"= {alias}" in out for alias in PRESET_ALIASES)
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset",
                           "coco_attn2"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and proc.stdout.startswith("preset coco:"), proc.stderr[-2000:]
