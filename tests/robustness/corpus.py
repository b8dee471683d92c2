"""The bad-input corpus: every public entry point fed generated bad inputs, tallied.

    python -m tests.robustness.corpus            # the whole corpus, a table per entry point
    python -m tests.robustness.corpus --json F   # also the per-case results

Each :class:`Case` builds its input in a fresh directory and runs one entry
point -- a command line run in this process (``attngan <command> ...``, flags
parsed as the console script does, errors printed as it prints them), a
library call, the exported SavedModel's signatures or the TFLite model -- and
says what must happen:

* ``error``: a clear error naming the input: ``attngan ...: error: ...`` (exit
  1) or a usage error from the command line, or, for library calls, a
  ``ValueError``/``FileNotFoundError``/``TypeError`` whose message contains
  the case's ``match`` text;
* ``repair``: the call succeeds and counts what it skipped or repaired (the
  case's check returns that count, which must be positive);
* ``ok``: the input is valid, however odd, and is accepted.

Anything else is a failure: ``traceback`` (another exception escaped),
``unclear`` (the right kind of error without the input's name), ``wrong``
(e.g. accepted where an error was expected) or ``hang`` (past the case's time
limit). The runner's table counts each; tracebacks and hangs must be 0.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import time
import traceback
from typing import Callable

import numpy as np
from PIL import Image

from attngan_tf.training.checkpoint import CheckpointError, CheckpointWriteError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "saved_models" / "synbirds_demo"
CLEAN_LIBRARY_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
                        TypeError, CheckpointError, CheckpointWriteError)
# What a TensorFlow signature (and TF Serving, as an INVALID_ARGUMENT status) reports
# for inputs it refuses; clean when the message names the input.
CLEAN_SIGNATURE_ERRORS = ("InvalidArgumentError",)


SERVING = "SavedModel signatures"


class Hang(BaseException):
    """A case ran past its time limit (BaseException: no ``except Exception`` swallows it)."""


@dataclasses.dataclass
class Case:
    entry: str
    name: str
    run: Callable[[pathlib.Path], object]
    expect: str  # "error" | "repair" | "ok"
    match: str = ""
    timeout: int = 120


@dataclasses.dataclass
class Result:
    entry: str
    name: str
    expect: str
    outcome: str  # clean error | repaired | ok | traceback | unclear | wrong | hang
    detail: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.outcome == {"error": "clean error", "repair": "repaired", "ok": "ok"}[
            self.expect]


class CliError(Exception):
    """A command line run ended with a nonzero exit status and this message (its stderr)."""


# -- how entry points are called ------------------------------------------------------------
def cli(*args: str) -> str:
    """Runs ``attngan ARGS`` in this process as the console script does; returns stdout.

    Raises :class:`CliError` with stderr when the command ends with a nonzero
    status (1: an error the command reports; 2: bad flags, from the parser) or a
    usage error, lets any other exception through (a traceback).
    """
    from absl import app

    from attngan_tf import cli as attngan_cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            parsed = attngan_cli.parse_args(list(args))
        except SystemExit as stop:  # argparse: bad flags (status 2), --help (0)
            if stop.code:
                raise CliError(err.getvalue()) from None
            return out.getvalue()
        try:
            status = attngan_cli.run(parsed)
        except app.UsageError as error:
            raise CliError(f"usage: {error}") from None
    if status:
        raise CliError(err.getvalue())
    return out.getvalue()


def _jpeg(path: pathlib.Path, size=(64, 64), mode="RGB", color=(200, 40, 40), **save) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, format="JPEG", **save)


def _folder(root: pathlib.Path, good: int = 4) -> pathlib.Path:
    """A folder dataset of ``good`` valid images with two captions each."""
    for i in range(good):
        _jpeg(root / "images" / f"good{i}.jpg", color=(40 * i, 120, 200 - 30 * i))
        (root / "images" / f"good{i}.txt").write_text(
            "a small red bird with black wings\nthis bird has a short beak\n")
    return root


def _one_pass(root: pathlib.Path) -> tuple[int, int]:
    """Reads a folder dataset and runs one pass; ``(delivered, skipped + repaired)``."""
    from attngan_tf.data import PipelineConfig, load_dataset

    dataset = load_dataset("folder", root, "all")
    delivered = sum(int(b["captions"].shape[0]) for b in dataset.to_tf_dataset(
        PipelineConfig(branch_num=1, batch_size=2, training=False)))
    problems = dataset.index.problems
    return delivered, problems.num_skipped + problems.num_repaired


def _bad_image(writer: Callable[[pathlib.Path], None], name: str = "bad.jpg", good: int = 4,
               expect_delivered: int | None = None) -> Callable[[pathlib.Path], int | None]:
    """A case body: a folder with ``good`` images plus one written by ``writer``.

    Without ``expect_delivered``: the odd file must be skipped (the pass
    delivers the ``good`` ones) and the count of skipped/repaired examples is
    returned; with it, the pass must deliver that many (the file is used).
    """
    def body(tmp: pathlib.Path) -> int:
        root = _folder(tmp / "folder", good)
        path = root / "images" / name
        writer(path)
        path.with_suffix(".txt").write_text("a blue bird with a white belly\n")
        delivered, counted = _one_pass(root)
        wanted = good if expect_delivered is None else expect_delivered
        if delivered != wanted:
            raise AssertionError(f"delivered {delivered} examples, expected {wanted}")
        return counted if expect_delivered is None else None
    return body


def _bad_captions(data: bytes, good: int = 4) -> Callable[[pathlib.Path], int]:
    def body(tmp: pathlib.Path) -> int:
        root = _folder(tmp / "folder", good)
        _jpeg(root / "images" / "odd.jpg")
        (root / "images" / "odd.txt").write_bytes(data)
        delivered, counted = _one_pass(root)
        return counted
    return body


def _accepts_captions(data: bytes) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        root = _folder(tmp / "folder", 4)
        _jpeg(root / "images" / "odd.jpg")
        (root / "images" / "odd.txt").write_bytes(data)
        delivered, _ = _one_pass(root)
        if delivered != 5:
            raise AssertionError(f"delivered {delivered} of 5")
    return body


def _write(writer):
    """An image writer from a PIL image factory."""
    def body(path: pathlib.Path) -> None:
        image, fmt, save = writer()
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format=fmt, **save)
    return body


def _truncated(fmt: str):
    def body(path: pathlib.Path) -> None:
        buffer = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
            buffer, format=fmt)
        path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return body


def _animated_png(path: pathlib.Path) -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(path, format="PNG", save_all=True, append_images=frames[1:])


def _exif_rotated(path: pathlib.Path) -> None:
    image = Image.new("RGB", (96, 64), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    image.save(path, format="JPEG", exif=exif.tobytes())


# -- the shipped model in a scratch copy -------------------------------------------------------
def _model_copy(tmp: pathlib.Path) -> pathlib.Path:
    target = tmp / "model"
    shutil.copytree(SHIPPED / "model", target)
    return target


def _damaged_model(damage: Callable[[pathlib.Path], None]) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        from attngan_tf.models import load_attngan

        model = _model_copy(tmp)
        damage(model)
        load_attngan(model)
    return body


def _truncate_file(name: str, keep: float = 0.5):
    def damage(model: pathlib.Path) -> None:
        path = model / name
        path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    return damage


def _replace_file(name: str, data: bytes):
    def damage(model: pathlib.Path) -> None:
        (model / name).write_bytes(data)
    return damage


def _remove_file(name: str):
    def damage(model: pathlib.Path) -> None:
        (model / name).unlink()
    return damage


def _edit_config(edit: Callable[[dict], None]):
    def damage(model: pathlib.Path) -> None:
        config = json.loads((model / "config.json").read_text())
        edit(config)
        (model / "config.json").write_text(json.dumps(config))
    return damage


def _sample_cli(captions: bytes | None, *extra: str) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        path = tmp / "captions.txt"
        if captions is not None:
            path.write_bytes(captions)
        cli("sample", "--model", str(SHIPPED / "model"), "--captions", str(path),
            "--out", str(tmp / "out"), *extra)
    return body


_MODEL = {}


def _shipped():
    if "model" not in _MODEL:
        from attngan_tf.models import load_attngan

        _MODEL["model"] = load_attngan(SHIPPED / "model")[0]
    return _MODEL["model"]


def _generate(**kwargs) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        model = _shipped()
        kwargs.setdefault("captions", ["a red bird"])
        out = model.generate(**kwargs)
        if not np.isfinite(out["images"][-1]).all():
            raise AssertionError("non-finite pictures")
    return body


def _noise(shape_z=None, shape_ca=None, fill=None, dtype=np.float32):
    model = None

    def make():
        nonlocal model
        model = model or _shipped()
        cfg = model.config.generator
        z = np.zeros(shape_z or (1, cfg.z_dim), dtype)
        ca = np.zeros(shape_ca or (1, cfg.condition_dim), dtype)
        if fill is not None:
            z[...] = fill
        return {"noise": z, "ca_noise": ca}
    return make


def _generate_noise(make) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        _shipped().generate(["a red bird"], noise=make())
    return body


def _serving(name: str = "serving_default"):
    key = f"serving:{name}"
    if key not in _MODEL:
        import tensorflow as tf

        loaded = tf.saved_model.load(str(SHIPPED / "serving" / "1"))
        _MODEL[key] = (loaded, loaded.signatures[name])
    return _MODEL[key][1]


def _serve(captions, expect_rows: int | None = None, **extra) -> Callable[[pathlib.Path], None]:
    def body(tmp: pathlib.Path) -> None:
        import tensorflow as tf

        signature = _serving("generate_with_seed" if extra else "serving_default")
        out = signature(captions=tf.constant(captions) if not isinstance(captions, tf.Tensor)
                        else captions, **extra)
        rows = out["images"].shape[0]
        if expect_rows is not None and rows != expect_rows:
            raise AssertionError(f"{rows} pictures for {expect_rows} captions")
    return body


def _damaged_cub(damage: Callable[[pathlib.Path], None]) -> Callable[[pathlib.Path], int]:
    """A case body: a small CUB-layout data set, damaged, read through ``load_dataset``;
    returns the examples skipped or repaired (a damaged layout is an error)."""
    def body(tmp: pathlib.Path) -> int:
        from attngan_tf.data import load_dataset
        from tests.data.fixtures import write_cub

        root = write_cub(tmp / "cub", train=6, test=3)
        damage(root)
        dataset = load_dataset("cub", root, "train")
        problems = dataset.index.problems
        return problems.num_skipped + problems.num_repaired
    return body


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _write_pickle(relative: str, value=None, data: bytes | None = None):
    def damage(root: pathlib.Path) -> None:
        import pickle

        (root / relative).write_bytes(data if data is not None else pickle.dumps(value))
    return damage


def _checkpoints(tmp: pathlib.Path):
    """Three checkpoints (``w`` = 1, 2, 3 everywhere) and a fresh manager factory."""
    import tensorflow as tf

    weights = tf.Variable(tf.zeros([50_000]))

    def manager():
        return tf.train.CheckpointManager(tf.train.Checkpoint(w=weights), str(tmp / "ckpt"),
                                          max_to_keep=3)

    first = manager()
    for value in (1.0, 2.0, 3.0):
        weights.assign(tf.fill([50_000], value))
        first.save()
    weights.assign(tf.zeros([50_000]))
    return weights, manager


def _damaged_checkpoint(damage: Callable[[pathlib.Path], None], expect_value: float | None
                        ) -> Callable[[pathlib.Path], int]:
    """A case body: damage the newest of three checkpoints (or the index), then resume
    (``restore_latest``); the restored state must be ``expect_value`` everywhere.
    Returns how many newer checkpoints were passed over, or, where the index file
    was lost, how many were found by their files."""
    def body(tmp: pathlib.Path) -> int:
        from attngan_tf.training.checkpoint import _checkpoints_on_disk, restore_latest

        weights, manager = _checkpoints(tmp)
        damage(tmp / "ckpt")
        fresh = manager()
        path = restore_latest(fresh)
        values = np.unique(weights.numpy())
        if values.tolist() != [expect_value]:
            raise AssertionError(f"restored {values[:5]} from {path}, expected {expect_value}")
        if fresh.checkpoints:
            return 3 - int(expect_value)
        return len(_checkpoints_on_disk(fresh))
    return body


def _in_latest(suffix: str, change: Callable[[bytes], bytes]):
    def damage(directory: pathlib.Path) -> None:
        path = next(directory.glob(f"ckpt-3{suffix}"))
        path.write_bytes(change(path.read_bytes()))
    return damage


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


def _full_disk(tmp: pathlib.Path) -> None:
    import subprocess

    from tests.training.test_damage_and_lock import _FULL_DISK

    result = subprocess.run([sys.executable, "-c", _FULL_DISK, str(tmp)], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    if result.returncode or "could not write a checkpoint" not in result.stdout:
        raise AssertionError(result.stdout + result.stderr[-2000:])
    raise CliError(result.stdout)  # the error the trainer stops with


def _tflite_directory() -> pathlib.Path:
    """The shipped model exported to TFLite once per process (a scratch directory)."""
    if "tflite" not in _MODEL:
        from attngan_tf.export import export_tflite

        directory = pathlib.Path(tempfile.mkdtemp(prefix="attngan-corpus-tflite-"))
        export_tflite(_shipped(), directory)
        _MODEL["tflite"] = directory
    return _MODEL["tflite"]


_TFLITE_DRIVER = """
import json, runpy, sys
sys.modules["tensorflow"] = None  # as on a device: LiteRT only
example = runpy.run_path(sys.argv[1], run_name="example")
captions, seeds = json.loads(sys.argv[3]), json.loads(sys.argv[4])
try:
    images, pixels, known = example["TFLiteGenerator"](sys.argv[2])(captions, seeds)
except ValueError as error:
    sys.exit(f"error: {error}")
assert len(pixels) == len(captions), (len(pixels), len(captions))
"""


def _tflite_example(captions, seeds) -> Callable[[pathlib.Path], None]:
    """examples/tflite_generate.py's TFLiteGenerator (LiteRT, no TensorFlow) on these
    captions, in a process of its own (the example defines its own flags)."""
    def body(tmp: pathlib.Path) -> None:
        import subprocess

        result = subprocess.run(
            [sys.executable, "-c", _TFLITE_DRIVER, str(ROOT / "examples" / "tflite_generate.py"),
             str(_tflite_directory()), json.dumps(captions), json.dumps(seeds)],
            capture_output=True, text=True, timeout=240, cwd=ROOT)
        if result.returncode:
            raise CliError(result.stderr)
    return body


def _tflite_raw(**inputs) -> Callable[[pathlib.Path], None]:
    """The TFLite signature itself (a fresh interpreter) with some inputs replaced."""
    def body(tmp: pathlib.Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        runner = Interpreter(model_path=str(_tflite_directory() / "attngan.tflite")
                             ).get_signature_runner()
        details = runner.get_input_details()
        feed = {name: np.zeros(d["shape"], d["dtype"]) for name, d in details.items()}
        feed["lengths"] += 1
        feed.update({name: value(feed[name]) for name, value in inputs.items()})
        images = runner(**feed)["images"]
        if not np.isfinite(images).all():
            raise AssertionError("non-finite pictures")
    return body


# -- the corpus --------------------------------------------------------------------------------
def cases(include_slow: bool = True) -> list[Case]:
    """Every case (``include_slow=False``: without the TFLite export and the largest inputs)."""
    million = (" ".join(["bird"] * 1_000_000) + "\n").encode()
    out: list[Case] = []

    def add(entry, name, run, expect, match="", timeout=120):
        out.append(Case(entry, name, run, expect, match, timeout))

    # Images in a folder data set: skipped (and counted) or decoded as stored.
    folder = "load_dataset(folder)"
    add(folder, "empty image file", _bad_image(lambda p: p.write_bytes(b"")), "repair")
    add(folder, "not an image", _bad_image(lambda p: p.write_bytes(b"GIF89a nonsense" * 50)),
        "repair")
    add(folder, "truncated JPEG", _bad_image(_truncated("JPEG")), "repair")
    add(folder, "truncated PNG", _bad_image(_truncated("PNG"), "bad.png"), "repair")
    add(folder, "1x1 image", _bad_image(_write(lambda: (Image.new("RGB", (1, 1)), "JPEG", {}))),
        "repair")
    add(folder, "2000x10 strip", _bad_image(_write(
        lambda: (Image.new("RGB", (2000, 10)), "JPEG", {}))), "repair")
    add(folder, "directory named bad.jpg (a folder)", _bad_image(
        lambda p: p.mkdir(), expect_delivered=4), "ok")
    add(folder, "dangling symbolic link", _bad_image(
        lambda p: os.symlink(p.parent / "nowhere.jpg", p)), "repair")
    add(folder, "CMYK JPEG", _bad_image(_write(
        lambda: (Image.new("CMYK", (64, 64), (0, 200, 200, 0)), "JPEG", {})),
        expect_delivered=5), "ok")
    add(folder, "16-bit grey PNG", _bad_image(_write(
        lambda: (Image.new("I;16", (64, 64), 40000), "PNG", {})), "bad.png",
        expect_delivered=5), "ok")
    add(folder, "grey JPEG", _bad_image(_write(lambda: (Image.new("L", (64, 64), 90), "JPEG",
                                                        {})), expect_delivered=5), "ok")
    add(folder, "RGBA PNG", _bad_image(_write(
        lambda: (Image.new("RGBA", (64, 64), (1, 2, 3, 100)), "PNG", {})), "bad.png",
        expect_delivered=5), "ok")
    add(folder, "palette PNG", _bad_image(_write(
        lambda: (Image.new("P", (64, 64), 7), "PNG", {})), "bad.png", expect_delivered=5),
        "ok")
    add(folder, "animated PNG (first frame)", _bad_image(_animated_png, "bad.png",
                                                       expect_delivered=5), "ok")
    add(folder, "EXIF-rotated JPEG (pixels as stored)", _bad_image(_exif_rotated,
                                                                   expect_delivered=5), "ok")
    add(folder, "progressive JPEG", _bad_image(_write(
        lambda: (Image.new("RGB", (64, 64), (5, 5, 5)), "JPEG", {"progressive": True})),
        expect_delivered=5), "ok")
    if include_slow:
        add(folder, "6000x4000 JPEG", _bad_image(_write(
            lambda: (Image.new("RGB", (6000, 4000), (9, 9, 9)), "JPEG", {})),
            expect_delivered=5), "ok")

    # Caption files of a folder data set.
    add(folder, "empty caption file", _bad_captions(b""), "repair")
    add(folder, "binary caption file", _bad_captions(bytes(range(256)) * 8), "repair")
    add(folder, "non-UTF-8 caption line", _bad_captions(b"a red \xff\xfe bird\n"), "repair")
    add(folder, "only punctuation", _bad_captions(b"!!! ... ,,, ???\n"), "repair")
    add(folder, "NUL bytes", _accepts_captions(b"a red\x00bird\n"), "ok")
    add(folder, "UTF-8 BOM and CRLF", _accepts_captions(b"\xef\xbb\xbfa red bird\r\nsmall\r\n"),
        "ok")
    add(folder, "a million words on one line", _accepts_captions(million), "ok", timeout=300)
    add(folder, "no images/ directory", lambda t: _one_pass(t), "error", "images/")
    add(folder, "images/ without any usable image",
        lambda t: (_jpeg(t / "images" / "a.jpg"), _one_pass(t)), "error", str("folder"))

    # The CUB layout (and its pickles) through load_dataset("cub").
    cub = "load_dataset(cub)"
    pickle_file = "train/filenames.pickle"
    add(cub, "filenames.pickle truncated", _damaged_cub(_write_pickle(
        pickle_file, data=b"\x80\x02]q\x00(X")), "error", "filenames.pickle")
    add(cub, "filenames.pickle not a pickle", _damaged_cub(_write_pickle(
        pickle_file, data=b"hello")), "error", "filenames.pickle")
    add(cub, "filenames.pickle holds a dict", _damaged_cub(_write_pickle(
        pickle_file, {"a": 1})), "error", "filenames.pickle")
    add(cub, "filenames.pickle runs code", _damaged_cub(_write_pickle(pickle_file, _Evil())),
        "error", "filenames.pickle")
    add(cub, "filenames.pickle names missing files", _damaged_cub(_write_pickle(
        pickle_file, ["001.Red_bird/Red_bird_0000", "001.Red_bird/none", "002.x/none"])),
        "repair")
    add(cub, "no filenames.pickle", _damaged_cub(lambda r: (r / pickle_file).unlink()), "error",
        "filenames.pickle")
    add(cub, "no text/ directory", _damaged_cub(lambda r: shutil.rmtree(r / "text")), "error",
        "text")
    add(cub, "bounding_boxes.txt with words (whole images)", _damaged_cub(
        lambda r: (r / "CUB_200_2011" / "bounding_boxes.txt").write_text("1 a b c d\n")),
        "repair")
    add(cub, "no bounding_boxes.txt (whole images)", _damaged_cub(
        lambda r: (r / "CUB_200_2011" / "bounding_boxes.txt").unlink()), "repair")
    add(cub, "captions.pickle of another layout", _damaged_cub(
        _write_pickle("captions.pickle", [1, 2])), "error", "captions.pickle")

    # Resuming from damaged checkpoints (restore_latest, as both trainers resume).
    ckpt = "resume from checkpoints"
    add(ckpt, "newest data file truncated", _damaged_checkpoint(
        _in_latest(".data-*", lambda d: d[: len(d) // 2]), 2.0), "repair")
    add(ckpt, "newest data file empty", _damaged_checkpoint(
        _in_latest(".data-*", lambda d: b""), 2.0), "repair")
    add(ckpt, "newest data file with flipped bytes", _damaged_checkpoint(
        _in_latest(".data-*", _flip_middle), 2.0), "repair")
    add(ckpt, "newest index file missing", _damaged_checkpoint(
        lambda d: (d / "ckpt-3.index").unlink(), 2.0), "repair")
    add(ckpt, "newest index file garbage", _damaged_checkpoint(
        _in_latest(".index", lambda d: b"\x00garbage" * 10), 2.0), "repair")
    add(ckpt, "manager's index file missing", _damaged_checkpoint(
        lambda d: (d / "checkpoint").unlink(), 3.0), "repair")
    add(ckpt, "manager's index file garbage", _damaged_checkpoint(
        lambda d: (d / "checkpoint").write_text("garbage {{{"), 3.0), "repair")
    add(ckpt, "every checkpoint truncated", _damaged_checkpoint(
        lambda d: [p.write_bytes(p.read_bytes()[:100]) for p in d.glob("ckpt-*.data-*")],
        None), "error", "no checkpoint can be read")
    add(ckpt, "disk full while writing", _full_disk, "error", "File too large")

    # attngan sample --captions FILE
    sample = "attngan sample"
    add(sample, "empty caption file", _sample_cli(b""), "error", "has no caption")
    add(sample, "missing caption file", _sample_cli(None), "error", "captions.txt")
    add(sample, "caption file is a directory",
        lambda t: (t.joinpath("c").mkdir(), cli("sample", "--model", str(SHIPPED / "model"),
                                               "--captions", str(t / "c"), "--out",
                                               str(t / "o"))), "error", "--captions")
    add(sample, "binary caption file", _sample_cli(bytes(range(1, 256)) + b"\n"), "ok")
    add(sample, "non-UTF-8 line", _sample_cli(b"a red \xff bird\n"), "ok")
    add(sample, "only punctuation", _sample_cli(b"?!?! ...\n"), "ok")
    add(sample, "a million words on one line", _sample_cli(million), "ok", timeout=300)
    add(sample, "--n 0", _sample_cli(b"a red bird\n", "--n", "0"), "error", "--n")
    add(sample, "--model missing", lambda t: cli("sample", "--model", str(t / "none"),
                                                 "--captions", __file__, "--out", str(t / "o")),
        "error", "none")
    add(sample, "--out is a file", lambda t: (t.joinpath("f").write_text("x"), cli(
        "sample", "--model", str(SHIPPED / "model"), "--captions", __file__, "--out",
        str(t / "f"))), "error", "f")
    add(sample, "no --captions", lambda t: cli("sample", "--model", str(SHIPPED / "model")),
        "error", "--captions")

    # Damaged model directories (load_attngan; sample, export and evaluate load the same way).
    model = "load_attngan(model dir)"
    add(model, "no config.json", _damaged_model(_remove_file("config.json")), "error",
        "config.json")
    add(model, "empty config.json", _damaged_model(_replace_file("config.json", b"")), "error",
        "config.json")
    add(model, "config.json not JSON", _damaged_model(_replace_file("config.json", b"{oops")),
        "error", "config.json")
    add(model, "config.json a list", _damaged_model(_replace_file("config.json", b"[1, 2]")),
        "error", "config.json")
    add(model, "config.json unknown field", _damaged_model(_edit_config(
        lambda c: c.setdefault("generator", {}).update(wings=3))), "error", "wings")
    add(model, "config.json wrong value type", _damaged_model(_edit_config(
        lambda c: c["generator"].update(z_dim="many"))), "error", "z_dim")
    add(model, "config of another size", _damaged_model(_edit_config(
        lambda c: c["generator"].update(gf_dim=c["generator"]["gf_dim"] * 2))), "error",
        "weights")
    add(model, "no vocabulary.json", _damaged_model(_remove_file("vocabulary.json")), "error",
        "vocabulary.json")
    add(model, "vocabulary.json damaged", _damaged_model(_truncate_file("vocabulary.json")),
        "error", "vocabulary.json")
    add(model, "vocabulary of another size", _damaged_model(_edit_vocabulary), "error",
        "vocabulary")
    for name in ("generator.weights.h5", "text_encoder.weights.h5"):
        add(model, f"no {name}", _damaged_model(_remove_file(name)), "error", name)
        add(model, f"truncated {name}", _damaged_model(_truncate_file(name)), "error", name)
        add(model, f"empty {name}", _damaged_model(_replace_file(name, b"")), "error", name)
        add(model, f"garbage {name}", _damaged_model(_replace_file(name, b"\x89HDF" * 99)),
            "error", name)
    add(model, "no such directory", lambda t: __import__("attngan_tf.models").models.load_attngan(
        t / "nothing"), "error", "nothing")

    # AttnGAN.generate with bad tensors.
    gen = "AttnGAN.generate"
    add(gen, "no captions", _generate(captions=[]), "error", "captions")
    add(gen, "captions of rank 2", _generate(captions=[["a", "b"]]), "error", "captions")
    add(gen, "numbers for captions", _generate(captions=[1.5, 2.5]), "error", "captions")
    add(gen, "empty caption", _generate(captions=[""]), "ok")
    add(gen, "seeds of another length", _generate(captions=["a", "b"], seed=[1, 2, 3]),
        "error", "seed")
    add(gen, "negative seed", _generate(seed=-5), "ok")
    add(gen, "words_num 0", _generate(words_num=0), "error", "words_num")
    add(gen, "noise of the wrong shape", _generate_noise(_noise(shape_z=(1, 3))), "error",
        "noise")
    add(gen, "noise for two captions", _generate_noise(_noise(shape_z=(2, 100))), "error",
        "noise")
    add(gen, "NaN noise", _generate_noise(_noise(fill=np.nan)), "error", "noise")
    add(gen, "infinite noise", _generate_noise(_noise(fill=np.inf)), "error", "noise")
    add(gen, "float64 noise", _generate_noise(_noise(dtype=np.float64)), "ok")
    add(gen, "float16 noise", _generate_noise(_noise(dtype=np.float16)), "ok")
    add(gen, "integer noise", _generate_noise(_noise(dtype=np.int32)), "ok")

    # The SavedModel's signatures (what TF Serving runs).
    serving = SERVING
    add(serving, "empty batch", _serve(np.array([], dtype=object), expect_rows=0), "ok")
    add(serving, "empty caption", _serve([""], expect_rows=1), "ok")
    add(serving, "non-UTF-8 bytes", _serve([b"\xff\xfe red bird"], expect_rows=1), "ok")
    add(serving, "10,000 words", _serve([" ".join(["wing"] * 10_000)], expect_rows=1), "ok")
    # TensorFlow's own check of a signature's input types names the input by position.
    add(serving, "numbers instead of text", _serve(np.array([1, 2])), "error",
        "expected to be a string tensor")
    add(serving, "captions of rank 2", _serve([["a", "b"]]), "error",
        "input must be a vector")
    add(serving, "seeds of another length", _serve(["a", "b"], seed=np.array([1], np.int64)),
        "error", "seed")
    if include_slow:
        add(serving, "256 captions", _serve(["a red bird"] * 256, expect_rows=256), "ok",
            timeout=300)

    # The TFLite model on LiteRT: the example's generator, and the raw signature.
    if include_slow:
        lite = "TFLite (LiteRT)"
        add(lite, "odd captions", _tflite_example(
            ["", "?!", " ".join(["wing"] * 10_000), "caf\u00e9 \ufffd bird", "ÀÉÎ 123"],
            [1, 2, 3, 4, 5]), "ok", timeout=300)
        add(lite, "no captions", _tflite_example([], []), "error", "captions")
        add(lite, "seeds of another length", _tflite_example(["a", "b"], [1]), "error",
            "seeds")
        add(lite, "ids outside the vocabulary", _tflite_raw(
            token_ids=lambda a: a + 10**6), "ok")
        add(lite, "negative ids", _tflite_raw(token_ids=lambda a: a - 7), "ok")
        add(lite, "lengths 0 and 10,000", _tflite_raw(lengths=lambda a: a * 0), "ok")
        add(lite, "lengths past the caption", _tflite_raw(lengths=lambda a: a + 10_000), "ok")
        add(lite, "float ids", _tflite_raw(token_ids=lambda a: a.astype(np.float32)), "error",
            "token_ids")
        add(lite, "float64 noise", _tflite_raw(noise=lambda a: a.astype(np.float64)), "error",
            "noise")

    # Command lines: flags out of range, wrong types, missing inputs.
    flags_entry = "attngan flags"
    for name, args, match in [
        ("unknown command", ["paint"], "paint"),
        ("unknown flag", ["info", "--colour", "red"], "colour"),
        ("unknown preset", ["info", "--preset", "giraffe"], "giraffe"),
        ("a word for a number", ["train", "--epochs", "many"], "epochs"),
        ("positional argument", ["info", "extra"], "extra"),
        ("train without --damsm", ["train", "--out", "/tmp/x"], "--damsm"),
        ("train --batch-size 0", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x",
                                  "--batch-size", "0"], "batch"),
        ("train --g-lr 5", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x", "--g-lr",
                            "5"], "g_learning_rate"),
        ("train --stages 4", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x",
                              "--stages", "4"], "stages"),
        ("train --damsm missing", ["train", "--damsm", "/nonexistent/damsm", "--out",
                                   "/tmp/x"], "/nonexistent/damsm"),
        ("train --epochs -1", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x",
                               "--epochs", "-1"], "epochs"),
        ("train --checkpoint-every -1", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x",
                                         "--checkpoint-every", "-1"], "checkpoint"),
        ("train --max-minutes -1", ["train", "--damsm", "/nonexistent", "--out", "/tmp/x",
                                    "--max-minutes", "-1"], "max"),
        ("train-damsm --epochs 0", ["train-damsm", "--out", "/tmp/x", "--epochs", "0"],
         "epochs"),
        ("train-damsm --batch-size -4", ["train-damsm", "--out", "/tmp/x", "--batch-size",
                                         "-4"], "batch"),
        ("train-damsm --trunk-weights missing", ["train-damsm", "--out", "/tmp/x",
                                                 "--trunk-weights", "/nonexistent.h5"],
         "/nonexistent.h5"),
        ("data --synbirds-train 0", ["data", "--synbirds-train", "0"], "synbirds"),
        ("data --synbirds-image-size 7", ["data", "--synbirds-image-size", "7"], "size"),
        ("data --source cub on a missing directory", ["data", "--source", "cub",
                                                      "--data-dir", "/nonexistent/cub"],
         "/nonexistent/cub"),
        ("data --split bogus", ["data", "--source", "cub", "--data-dir", "/nonexistent",
                                "--split", "bogus"], "bogus"),
        ("export --format bogus", ["export", "--format", "bogus"], "bogus"),
        ("export --float16 to a SavedModel", ["export", "--model", str(SHIPPED / "model"),
                                              "--out", "/tmp/attngan-corpus-export",
                                              "--float16"], "float16"),
        ("evaluate --samples 0", ["evaluate", "--model", str(SHIPPED / "model"),
                                  "--samples", "0"], "samples"),
        ("evaluate --metrics bogus", ["evaluate", "--model", str(SHIPPED / "model"),
                                      "--metrics", "bogus"], "bogus"),
        ("evaluate --model missing", ["evaluate", "--model", "/nonexistent/model"],
         "/nonexistent/model"),
        ("parity on a missing file", ["parity", "/nonexistent/vectors.npz"],
         "/nonexistent/vectors.npz"),
        ("convert-pytorch without files", ["convert-pytorch", "--preset", "birds"], "--netg"),
        ("convert-pytorch on missing files", ["convert-pytorch", "--preset", "birds",
                                              "--netg", "/n/g.pth", "--text-encoder",
                                              "/n/t.pth", "--image-encoder", "/n/i.pth",
                                              "--captions", "/n/c.pickle", "--out", "/tmp/x"],
         "/n/"),
    ]:
        add(flags_entry, name, lambda t, a=args: cli(*a), "error", match)

    add(flags_entry, "parity on a garbage file",
        lambda t: (t.joinpath("v.npz").write_bytes(b"PK\x03\x04 nonsense"),
                   cli("parity", str(t / "v.npz"))), "error", "v.npz")
    add(flags_entry, "convert-pytorch on garbage files", _convert_garbage, "error", ".p")
    return out


def _edit_vocabulary(model: pathlib.Path) -> None:
    vocabulary = json.loads((model / "vocabulary.json").read_text())
    words = vocabulary["words"] if isinstance(vocabulary, dict) else vocabulary
    del words[-5:]
    (model / "vocabulary.json").write_text(json.dumps(vocabulary))


def _convert_garbage(tmp: pathlib.Path) -> None:
    for name in ("g.pth", "t.pth", "i.pth", "c.pickle"):
        (tmp / name).write_bytes(b"\x80\x02 this is not a checkpoint" * 10)
    cli("convert-pytorch", "--preset", "birds", "--netg", str(tmp / "g.pth"), "--text-encoder",
        str(tmp / "t.pth"), "--image-encoder", str(tmp / "i.pth"), "--captions",
        str(tmp / "c.pickle"), "--out", str(tmp / "out"))


# -- running ------------------------------------------------------------------------------------
def _alarm(signum, frame):
    raise Hang()


def run_case(case: Case) -> Result:
    """Runs one case in a fresh directory, bounded by its time limit."""
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(case.timeout)
    outcome, detail = "", ""
    with tempfile.TemporaryDirectory(prefix="attngan-corpus-") as tmp:
        try:
            value = case.run(pathlib.Path(tmp))
            if case.expect == "repair":
                outcome = "repaired" if isinstance(value, int) and value > 0 else "wrong"
                detail = f"counted {value}"
            else:
                outcome = "ok" if case.expect == "ok" else "wrong"
                detail = "accepted"
        except Hang:
            outcome, detail = "hang", f"over {case.timeout} s"
        except CliError as error:
            message = str(error)
            named = case.match.lower() in message.lower()
            outcome = ("traceback" if "Traceback" in message else
                       "clean error" if named and case.expect == "error" else
                       "unclear" if case.expect == "error" else "wrong")
            detail = message.strip().splitlines()[-1][:300] if message.strip() else ""
        except CLEAN_LIBRARY_ERRORS as error:
            named = case.match.lower() in str(error).lower()
            outcome = "clean error" if named and case.expect == "error" else (
                "unclear" if case.expect == "error" else "traceback")
            detail = f"{type(error).__name__}: {str(error)[:300]}"
            if outcome == "traceback":
                detail += "\n" + traceback.format_exc()[-1500:]
        except Exception as error:  # noqa: BLE001 -- what the corpus is looking for
            outcome = "traceback"
            if (type(error).__name__ in CLEAN_SIGNATURE_ERRORS and case.expect == "error"
                    and case.entry == SERVING):
                outcome = "clean error" if case.match in str(error) else "unclear"
            detail = f"{type(error).__name__}: {str(error)[:300]}\n" + \
                traceback.format_exc()[-1500:]
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return Result(case.entry, case.name, case.expect, outcome, detail,
                  time.monotonic() - start)


def run_corpus(selected: list[Case], progress=None) -> list[Result]:
    results = []
    for case in selected:
        results.append(run_case(case))
        if progress:
            progress(results[-1])
    return results


def table(results: list[Result]) -> str:
    """The figures: per entry point, cases tried and how each ended."""
    columns = ("clean error", "repaired", "ok", "traceback", "unclear", "wrong", "hang")
    entries = list(dict.fromkeys(r.entry for r in results))
    head = f"| {'entry point':<26} | tried | " + " | ".join(columns) + " |"
    lines = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    for entry in [*entries, "total"]:
        rows = [r for r in results if entry in ("total", r.entry)]
        counts = [sum(r.outcome == c for r in rows) for c in columns]
        lines.append(f"| {entry:<26} | {len(rows):>5} | " + " | ".join(
            f"{n:>{len(c)}}" for n, c in zip(counts, columns)) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Runs the bad-input corpus.")
    parser.add_argument("--quick", action="store_true", help="without the slowest cases")
    parser.add_argument("--json", help="write every case's result here")
    args = parser.parse_args(argv)
    from attngan_tf.native_logs import filter_native_logs

    filter_native_logs()
    selected = cases(include_slow=not args.quick)
    start = time.monotonic()

    def progress(r: Result) -> None:
        mark = "  " if r.passed else "!!"
        print(f"{mark} {r.entry} / {r.name}: {r.outcome} ({r.seconds:.1f} s) "
              f"{'' if r.passed else r.detail.splitlines()[0] if r.detail else ''}",
              flush=True)

    results = run_corpus(selected, progress)
    print(table(results))
    print(f"{len(results)} cases in {(time.monotonic() - start) / 60:.1f} min; "
          f"{sum(not r.passed for r in results)} not as documented")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps([dataclasses.asdict(r) for r in results],
                                                      indent=1))
    return int(any(not r.passed for r in results))


if __name__ == "__main__":
    sys.exit(main())
