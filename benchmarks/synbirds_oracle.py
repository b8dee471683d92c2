"""Accuracy of the SynBirds attribute oracle, and rendering speed.

    python benchmarks/synbirds_oracle.py [--num 2000] [--seed 0] [--sizes 256,128,64]

Renders ``--num`` random birds at the largest of ``--sizes`` (one process),
round-trips each through JPEG at quality 95 as the data set stores it, reduces
it to every other size with PIL's bilinear filter (as a data pipeline reading
the files would) and prints the oracle's per-attribute accuracy at each size,
the rendering speed and the oracle's speed. Needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from attngan_tf.synbirds import (ATTRIBUTE_NAMES, attribute_accuracy, predict_attributes,
                                 render, sample_spec)


def _jpeg_round_trip(image: Image.Image, quality: int = 95) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=2000, help="number of images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random birds")
    parser.add_argument("--sizes", default="256,128,64",
                        help="comma-separated image sides to evaluate at")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()}, reverse=True)
    if args.num < 1 or not sizes:
        parser.error("need --num >= 1 and at least one size")
    full = sizes[0]

    rng = np.random.default_rng(args.seed)
    specs = [sample_spec(rng) for _ in range(args.num)]
    start = time.perf_counter()
    renders = [render(spec, size=full) for spec in specs]
    render_seconds = time.perf_counter() - start
    stored = [_jpeg_round_trip(image) for image in renders]

    rows = []
    for size in sizes:
        images = stored if size == full else [
            image.resize((size, size), Image.Resampling.BILINEAR) for image in stored]
        start = time.perf_counter()
        predictions = [predict_attributes(image) for image in images]
        oracle_seconds = time.perf_counter() - start
        rows.append((size, attribute_accuracy(predictions, specs), oracle_seconds))

    print(f"SynBirds oracle accuracy: {args.num} images, seed {args.seed}, rendered at {full} px, "
          f"JPEG q95, smaller sizes by bilinear reduction")
    columns = list(ATTRIBUTE_NAMES) + ["mean"]
    print("| size | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for size, accuracy, _ in rows:
        print(f"| {size} px | " + " | ".join(f"{accuracy[c]:.4f}" for c in columns) + " |")
    print(f"render: {args.num / render_seconds:.1f} images/s at {full} px "
          f"(supersample 4, one process)")
    for size, _, seconds in rows:
        print(f"oracle: {args.num / seconds:.1f} images/s at {size} px")


if __name__ == "__main__":
    main()
