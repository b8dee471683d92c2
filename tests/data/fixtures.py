"""Small datasets in each supported layout, written by the tests themselves."""

from __future__ import annotations

import io
import json
import pathlib
import pickle

import numpy as np
from PIL import Image

WORDS = ("red", "blue", "green", "small", "large", "bird", "wing", "beak", "tail", "belly")


def image_bytes(rng: np.random.Generator, size=(90, 70), fmt="JPEG") -> bytes:
    """A random smooth-ish RGB picture encoded as ``fmt``."""
    low = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = Image.fromarray(low).resize(size, Image.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format=fmt, quality=90) if fmt == "JPEG" else img.save(buf, format=fmt)
    return buf.getvalue()


def captions_text(rng: np.random.Generator, count: int = 10, length=(4, 12)) -> str:
    lines = []
    for _ in range(count):
        n = int(rng.integers(*length))
        lines.append("this " + " ".join(rng.choice(WORDS, n)) + ".")
    return "\n".join(lines) + "\n"


def write_cub(root: pathlib.Path, train: int = 6, test: int = 3, seed: int = 0,
              image_size=(90, 70), captions_pickle: bool = False) -> pathlib.Path:
    """A CUB-layout dataset with two classes; returns ``root``."""
    rng = np.random.default_rng(seed)
    cub = root / "CUB_200_2011"
    names = []
    for i in range(train + test):
        cls = "001.Red_bird" if i % 2 == 0 else "002.Blue_bird"
        name = f"{cls}/{cls.split('.')[1]}_{i:04d}"
        names.append(name)
        (cub / "images" / cls).mkdir(parents=True, exist_ok=True)
        (root / "text" / cls).mkdir(parents=True, exist_ok=True)
        (cub / "images" / f"{name}.jpg").write_bytes(image_bytes(rng, image_size))
        (root / "text" / f"{name}.txt").write_text(captions_text(rng), encoding="utf-8")
    w, h = image_size
    (cub / "images.txt").write_text(
        "".join(f"{i + 1} {n}.jpg\n" for i, n in enumerate(names)))
    (cub / "bounding_boxes.txt").write_text(
        "".join(f"{i + 1} {w * 0.2:.1f} {h * 0.25:.1f} {w * 0.5:.1f} {h * 0.4:.1f}\n"
                for i in range(len(names))))
    for split, part in (("train", names[:train]), ("test", names[train:])):
        (root / split).mkdir(parents=True, exist_ok=True)
        with open(root / split / "filenames.pickle", "wb") as f:
            pickle.dump(part, f, protocol=2)
    return root


def set_bbox(root: pathlib.Path, name: str, box) -> None:
    """Rewrites the bounding box of image ``name`` (``"<class>/<file>"``)."""
    cub = root / "CUB_200_2011"
    ids = {line.split()[1][:-4]: line.split()[0]
           for line in (cub / "images.txt").read_text().splitlines()}
    lines = (cub / "bounding_boxes.txt").read_text().splitlines()
    lines = [f"{ids[name]} " + " ".join(f"{v:.1f}" for v in box) if l.split()[0] == ids[name]
             else l for l in lines]
    (cub / "bounding_boxes.txt").write_text("\n".join(lines) + "\n")


def write_coco(root: pathlib.Path, train: int = 4, val: int = 2, seed: int = 0) -> pathlib.Path:
    """A COCO-2014-layout dataset (5-6 captions per image)."""
    rng = np.random.default_rng(seed)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    ann_id = 1
    for folder, count in (("train2014", train), ("val2014", val)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i in range(count):
            image_id = 100 + i
            name = f"COCO_{folder}_{image_id:012d}.jpg"
            (root / folder / name).write_bytes(image_bytes(rng))
            images.append({"id": image_id, "file_name": name, "width": 90, "height": 70})
            for line in captions_text(rng, count=6).splitlines():
                annotations.append({"id": ann_id, "image_id": image_id, "caption": line})
                ann_id += 1
        payload = {"images": images, "annotations": annotations}
        (root / "annotations" / f"captions_{folder}.json").write_text(json.dumps(payload))
    return root


def write_folder(root: pathlib.Path, count: int = 6, seed: int = 0,
                 classes: bool = True) -> pathlib.Path:
    """A folder dataset: ``images/<class>/<n>.jpg|png`` with sibling ``.txt``."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        folder = root / "images" / (("cat_a" if i % 2 else "cat_b") if classes else "")
        folder.mkdir(parents=True, exist_ok=True)
        fmt, ext = ("PNG", ".png") if i % 3 == 0 else ("JPEG", ".jpg")
        (folder / f"{i:03d}{ext}").write_bytes(image_bytes(rng, fmt=fmt))
        (folder / f"{i:03d}.txt").write_text(captions_text(rng, count=3), encoding="utf-8")
    return root
