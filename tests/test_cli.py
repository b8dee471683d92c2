"""The ``attngan`` command line: its parser, help, errors and quiet output."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from attngan_tf import cli
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
    assert proc.returncode == 2
    assert "attngan train: error: the following arguments are required: --damsm" in proc.stderr
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


def test_native_log_lines_are_recognised_and_nothing_else():
    from attngan_tf.native_logs import is_native_log_line

    native = [b"I0000 00:00:1796311594.405183   20376 cudart_stub.cc:31] Could not find cuda",
              b"E0000 00:00:1796311599.191527   20376 cuda_platform.cc:52] failed call to cuInit",
              b"I0000 00:00:17963.24   18265 service.cc:153] XLA service 0x55 initialized",
              b"WARNING: All log messages before absl::InitializeLog() is called are written"]
    ours = [b"W1203 15:02:04.973955 140692565490560 gan.py:322] resuming from ckpt-8",
            b"attngan sample: error: --captions: x has no caption",
            b"Traceback (most recent call last):", b"E0000 is a word", b""]
    assert all(is_native_log_line(line) for line in native)
    assert not any(is_native_log_line(line) for line in ours)


@pytest.mark.slow
def test_commands_print_only_our_lines_unless_verbose(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset", "tiny"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert proc.stdout.startswith("preset tiny")
    loud = subprocess.run([sys.executable, "-m", "attngan_tf", "info", "--preset", "tiny", "-v"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert loud.returncode == 0 and loud.stdout == proc.stdout
    version = subprocess.run([sys.executable, "-m", "attngan_tf", "--version"],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
    from attngan_tf import __version__

    assert version.returncode == 0 and version.stdout.strip() == f"attngan_tf {__version__}"
    # a failing command: its own message reaches stderr through the filter, nothing else
    bad = subprocess.run([sys.executable, "-m", "attngan_tf", "sample", "--model",
                          str(tmp_path / "none"), "--captions", str(tmp_path / "none.txt"),
                          "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 1
    # a short sample with the shipped model: our one line, nothing on stderr
    (tmp_path / "captions.txt").write_text("a small red bird with black wings\n")
    drawn = subprocess.run([sys.executable, "-m", "attngan_tf", "sample", "--model",
                            str(ROOT / "saved_models" / "synbirds_demo" / "model"), "--captions",
                            str(tmp_path / "captions.txt"), "--out", str(tmp_path / "drawn")],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert drawn.returncode == 0 and drawn.stderr == "", drawn.stderr
    assert drawn.stdout.splitlines() == [
        f"wrote 1 picture and their attention figures to {tmp_path / 'drawn'}"]
    assert bad.stderr.splitlines() == [
        f"attngan sample: error: --captions: cannot read {tmp_path / 'none.txt'}: "
        f"[Errno 2] No such file or directory: '{tmp_path / 'none.txt'}'"]


def _readme_commands() -> list[str]:
    """Every ``attngan ...`` command line in the README's code blocks (continued
    lines joined, comments dropped)."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0].strip()
            found = re.search(r"(?:^|&& |\.venv/bin/)(attngan [a-z].*)", line)
            if found:
                commands.append(found.group(1))
    return commands


def test_every_readme_command_parses():
    commands = _readme_commands()
    assert len(commands) >= 15, commands
    for line in commands:
        words = shlex.split(line.replace("[", "").replace("]", "").replace("...", ""))
        args = cli.parse_args(words[1:])  # exits (fails the test) on a bad flag
        assert args.command == words[1] and args.run is cli.COMMANDS[words[1]], line


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_each_command_has_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.parse_args([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: attngan {command} ")
    assert f"example:\n  {cli.EXAMPLES[command]}" in text
    cli.parse_args(shlex.split(cli.EXAMPLES[command])[1:])  # the example itself parses
    # only this command's flags: e.g. sample's --captions is not in train's help
    others = {"train": "--captions", "sample": "--damsm-recipe", "info": "--out",
              "export": "--metrics", "demo": "--netg"}
    if command in others:
        assert others[command] not in text


def test_help_shows_defaults_and_flags_take_both_spellings(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--checkpoint-every STEPS steps between checkpoints (and every epoch) (default: 500)" \
        in text
    assert "--g-lr G_LR the generator's Adam learning rate (default: 0.0002)" in text
    dashed = cli.parse_args(["train", "--out", "o", "--damsm", "d", "--data-dir", "x",
                             "--g-lr", "1e-3", "-v"])
    underscored = cli.parse_args(["train", "--out=o", "--damsm", "d", "--data_dir", "x",
                                  "--g_lr=1e-3", "--verbose"])
    assert vars(dashed) == vars(underscored)
    assert dashed.data_dir == "x" and dashed.g_lr == 1e-3 and dashed.verbose
    assert not cli.parse_args(["info"]).verbose and cli.parse_args(["-v", "info"]).verbose


def test_unknown_flags_name_the_command(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.parse_args(["sample", "--model", "m", "--out", "o", "--epochs", "3"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "attngan sample: error: unrecognized arguments for sample: --epochs 3" in err
    with pytest.raises(SystemExit):
        cli.parse_args(["bogus"])
    assert "invalid choice: 'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.parse_args(["--version"])
    from attngan_tf import __version__

    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"attngan_tf {__version__}"


def test_precision_needs_the_saved_model_format(tmp_path, capsys):
    args = cli.parse_args(["export", "--model", str(tmp_path), "--out", str(tmp_path / "o"),
                           "--format", "tflite", "--precision", "bfloat16"])
    assert cli.run(args) == 1
    assert "--precision applies to --format saved_model only" in capsys.readouterr().err
    assert cli.parse_args(["export", "--model", "m", "--out", "o"]).precision == "float32"


@pytest.mark.parametrize("flag", ["--float16", "--plain-upsampling"])
def test_tflite_flags_need_the_tflite_format(flag, tmp_path, capsys):
    args = cli.parse_args(["export", "--model", str(tmp_path), "--out", str(tmp_path / "o"),
                           flag])
    assert cli.run(args) == 1
    assert f"{flag} applies to --format tflite only" in capsys.readouterr().err
