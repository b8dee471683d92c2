"""Writing SynBirds to disk in the layout of AttnGAN's CUB birds data.

:func:`materialize` renders the data set once into
``<root>/synbirds-s{seed}-n{num_train}-{num_test}-{image_size}/``::

    CUB_200_2011/images/<class folder>/<key>.jpg
    CUB_200_2011/images.txt              "<id> <class folder>/<key>.jpg"
    CUB_200_2011/bounding_boxes.txt      "<id> 0.0 0.0 S S" (the whole image)
    CUB_200_2011/classes.txt             "<class id> <class folder>" (all 100)
    CUB_200_2011/image_class_labels.txt  "<id> <class id>"
    CUB_200_2011/train_test_split.txt    "<id> <1 if train else 0>"
    text/<class folder>/<key>.txt        10 captions, one per line
    train/filenames.pickle, test/filenames.pickle    ["<class folder>/<key>", ...]
    train/class_info.pickle, test/class_info.pickle  [class id, ...]
    attributes.jsonl                     one JSON object per image (attributes and pose)
    SYNBIRDS.json                        parameters; written last, marks completion

so a reader of the original birds data serves it unchanged. Image ``i`` (counted
over the training images, then the test images) is drawn from its own
``np.random.default_rng([seed, i])``, so the files do not depend on the number
of worker processes, and the same arguments always give byte-identical files.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Iterator

import numpy as np

from .attributes import NUM_CLASSES, class_folder, class_id, sample_spec
from .captions import make_captions
from .render import render

__all__ = [
    "FORMAT_VERSION",
    "MARKER",
    "CAPTIONS_PER_IMAGE",
    "JPEG_QUALITY",
    "default_root",
    "dataset_name",
    "materialize",
    "load_attributes",
]

logger = logging.getLogger("attngan_tf.synbirds")

FORMAT_VERSION = 1
MARKER = "SYNBIRDS.json"
CAPTIONS_PER_IMAGE = 10
JPEG_QUALITY = 95
_CUB = "CUB_200_2011"


def default_root() -> pathlib.Path:
    """``$ATTNGAN_DATA_DIR`` if set, else ``~/.cache/attngan_tf``."""
    env = os.environ.get("ATTNGAN_DATA_DIR")
    return pathlib.Path(env).expanduser() if env else pathlib.Path.home() / ".cache" / "attngan_tf"


def dataset_name(seed: int, num_train: int, num_test: int, image_size: int) -> str:
    """Directory name of a data set with these parameters."""
    return f"synbirds-s{seed}-n{num_train}-{num_test}-{image_size}"


def _key(index: int) -> str:
    return f"synbird_{index:06d}"


def _render_one(job: tuple[str, int, int, int, str]) -> dict[str, Any]:
    """Render image ``index`` and its captions into ``root``; return its metadata record.

    Run in this process or by a worker process (:func:`render_jobs`).
    """
    root, seed, index, image_size, split = job
    rng = np.random.default_rng([seed, index])
    spec = sample_spec(rng)
    captions = make_captions(spec, rng, n=CAPTIONS_PER_IMAGE)
    cid = class_id(spec)
    folder = class_folder(cid)
    key = _key(index)
    base = pathlib.Path(root)
    image_path = base / _CUB / "images" / folder / f"{key}.jpg"
    text_path = base / "text" / folder / f"{key}.txt"
    image_path.parent.mkdir(parents=True, exist_ok=True)
    text_path.parent.mkdir(parents=True, exist_ok=True)
    render(spec, size=image_size).save(image_path, format="JPEG", quality=JPEG_QUALITY)
    with open(text_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(caption + "\n" for caption in captions))
    record: dict[str, Any] = {"key": key, "split": split, "class_id": cid,
                              "filename": f"{folder}/{key}"}
    record.update(spec.attributes())
    record["pose"] = spec.pose()
    return record


def _marker(seed: int, num_train: int, num_test: int, image_size: int) -> dict[str, Any]:
    return {"name": "synbirds", "format_version": FORMAT_VERSION, "seed": seed,
            "num_train": num_train, "num_test": num_test, "image_size": image_size,
            "num_classes": NUM_CLASSES, "captions_per_image": CAPTIONS_PER_IMAGE,
            "jpeg_quality": JPEG_QUALITY}


def _read_marker(directory: pathlib.Path) -> dict[str, Any] | None:
    try:
        with open(directory / MARKER, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _records(jobs: list[tuple[str, int, int, int, str]], workers: int,
             progress: bool) -> Iterator[dict[str, Any]]:
    """Run :func:`_render_one` over ``jobs``; yields the records in job order, logging every ~10%.

    With ``workers > 1`` the jobs are split over worker processes started as
    ``python -m attngan_tf.synbirds.render_worker JOBS RECORDS``. They never import the
    caller's ``__main__`` (as ``multiprocessing``'s spawn does), so rendering
    works from a script without an ``if __name__ == "__main__":`` guard, from
    standard input and from a notebook. A worker that fails stops the others
    and raises ``RuntimeError`` with its error output; nothing is retried.
    """
    total = len(jobs)
    step = max(1, -(-total // 10))
    last = [0]

    def report(done: int) -> None:
        mark = total if done >= total else done // step * step
        if progress and mark > last[0]:
            last[0] = mark
            logger.info("SynBirds: rendered %d/%d images (%d%%)", mark, total,
                        round(100 * mark / total))

    if workers <= 1 or total < 2:
        for done, job in enumerate(jobs, 1):
            yield _render_one(job)
            report(done)
        return
    workers = min(workers, total)
    with tempfile.TemporaryDirectory(prefix="synbirds-workers-") as tmp:
        tmp = pathlib.Path(tmp)
        package_parent = str(pathlib.Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (package_parent, os.environ.get("PYTHONPATH")) if p))
        procs = []
        for w in range(workers):
            (tmp / f"jobs{w}.json").write_text(json.dumps(jobs[w::workers]))
            err = open(tmp / f"stderr{w}.txt", "wb")
            procs.append((subprocess.Popen(
                [sys.executable, "-m", "attngan_tf.synbirds.render_worker",
                 str(tmp / f"jobs{w}.json"),
                 str(tmp / f"records{w}.jsonl")], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=err, env=env), err))
        try:
            while True:
                codes = [proc.poll() for proc, _ in procs]
                failed = [(w, c) for w, c in enumerate(codes) if c not in (None, 0)]
                if failed:
                    w, code = failed[0]
                    procs[w][1].flush()
                    detail = (tmp / f"stderr{w}.txt").read_text(errors="replace").strip()
                    raise RuntimeError(f"SynBirds: rendering worker {w} failed (exit code "
                                       f"{code}): {detail[-2000:] or 'no error output'}")
                done = sum(_count_lines(tmp / f"records{w}.jsonl") for w in range(workers))
                report(done)
                if all(c == 0 for c in codes):
                    break
                time.sleep(0.2)
        finally:
            for proc, err in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                err.close()
        parts = [[json.loads(line) for line in
                  (tmp / f"records{w}.jsonl").read_text(encoding="utf-8").splitlines()]
                 for w in range(workers)]
    if sum(map(len, parts)) != total:
        raise RuntimeError(f"SynBirds: the workers rendered {sum(map(len, parts))} of {total} "
                           "images")
    for i in range(total):  # job i went to worker i % workers, as its (i // workers)-th
        yield parts[i % workers][i // workers]


def _count_lines(path: pathlib.Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def render_jobs(jobs_file: str, records_file: str) -> None:
    """A rendering worker: renders the jobs of ``jobs_file``, one JSON record per line."""
    jobs = [tuple(job) for job in json.loads(pathlib.Path(jobs_file).read_text())]
    with open(records_file, "w", encoding="utf-8", newline="\n") as f:
        for job in jobs:
            f.write(json.dumps(_render_one(job)) + "\n")
            f.flush()


def _write_text(path: pathlib.Path, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))


def _write_pickle(path: pathlib.Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(value, f, protocol=2)


def _write_index(root: pathlib.Path, records: list[dict[str, Any]], image_size: int) -> None:
    """Everything except the images and captions (CUB index files, pickles, attributes)."""
    cub = root / _CUB
    cub.mkdir(parents=True, exist_ok=True)
    ids = range(1, len(records) + 1)
    _write_text(cub / "images.txt",
                [f"{i} {r['filename']}.jpg" for i, r in zip(ids, records)])
    side = float(image_size)
    _write_text(cub / "bounding_boxes.txt",
                [f"{i} 0.0 0.0 {side} {side}" for i in ids])
    _write_text(cub / "classes.txt",
                [f"{c} {class_folder(c)}" for c in range(1, NUM_CLASSES + 1)])
    _write_text(cub / "image_class_labels.txt",
                [f"{i} {r['class_id']}" for i, r in zip(ids, records)])
    _write_text(cub / "train_test_split.txt",
                [f"{i} {int(r['split'] == 'train')}" for i, r in zip(ids, records)])
    for split in ("train", "test"):
        chosen = [r for r in records if r["split"] == split]
        _write_pickle(root / split / "filenames.pickle", [r["filename"] for r in chosen])
        _write_pickle(root / split / "class_info.pickle", [r["class_id"] for r in chosen])
    _write_text(root / "attributes.jsonl", [json.dumps(r) for r in records])


def materialize(root: str | os.PathLike | None = None, *, seed: int = 0, num_train: int = 10000,
                num_test: int = 2000, image_size: int = 256, workers: int | None = None,
                progress: bool = True) -> pathlib.Path:
    """Render the SynBirds data set once and return its directory.

    Args:
        root: parent directory; default :func:`default_root`.
        seed: data set seed; the same arguments always give the same bytes.
        num_train: number of training images (the first ones).
        num_test: number of test images.
        image_size: side of the square images in pixels.
        workers: rendering processes; default ``min(2, os.cpu_count())``. They
            run ``python -m attngan_tf.synbirds.render_worker`` and never import the
            caller's main module, so any caller works (a script without a
            ``__main__`` guard, standard input, a notebook).
        progress: log progress to the ``"attngan_tf.synbirds"`` logger.

    Returns:
        The data set directory. If it already holds a complete data set with
        the same parameters (its ``SYNBIRDS.json`` matches), it is returned
        without rendering anything.

    Raises:
        FileExistsError: if the directory exists but is not a complete data
            set with these parameters (it is never overwritten or deleted).
    """
    for name, value, least in (("seed", seed, 0), ("num_train", num_train, 0),
                               ("num_test", num_test, 0), ("image_size", image_size, 16)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    if num_train + num_test == 0:
        raise ValueError("num_train + num_test must be positive")
    seed, num_train, num_test = int(seed), int(num_train), int(num_test)
    image_size = int(image_size)
    root = pathlib.Path(root).expanduser() if root is not None else default_root()
    target = root / dataset_name(seed, num_train, num_test, image_size)
    expected = _marker(seed, num_train, num_test, image_size)
    if target.exists():
        if _read_marker(target) == expected:
            return target
        raise FileExistsError(f"{target} exists but is not a complete SynBirds data set with "
                              f"these parameters (no matching {MARKER}); remove it to rebuild")
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    root.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=root))
    try:
        total = num_train + num_test
        jobs = [(str(staging), seed, i, image_size, "train" if i < num_train else "test")
                for i in range(total)]
        if progress:
            logger.info("SynBirds: rendering %d images (%d px, %d worker(s)) into %s",
                        total, image_size, workers, target)
        records = list(_records(jobs, int(workers), progress))
        _write_index(staging, records, image_size)
        with open(staging / MARKER, "w", encoding="utf-8", newline="\n") as f:
            json.dump(expected, f, indent=2, sort_keys=True)
            f.write("\n")
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        try:
            os.replace(staging, target)
        except OSError:
            # Another process finished the same data set first.
            if _read_marker(target) == expected:
                shutil.rmtree(staging, ignore_errors=True)
                return target
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if progress:
        logger.info("SynBirds: data set ready at %s", target)
    return target


def load_attributes(dataset_dir: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The records of ``attributes.jsonl``, keyed by image key (e.g. ``"synbird_000123"``)."""
    records: dict[str, dict[str, Any]] = {}
    with open(pathlib.Path(dataset_dir) / "attributes.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                records[record["key"]] = record
    return records
