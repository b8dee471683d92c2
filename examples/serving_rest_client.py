"""Ask a TF Serving model server for pictures over its REST API (standard library only).

    attngan export --model saved_models/synbirds --out /models/synbirds
    docker run -p 8501:8501 -v /models/synbirds:/models/synbirds \\
        -e MODEL_NAME=synbirds tensorflow/serving
    python examples/serving_rest_client.py --server http://localhost:8501 --model synbirds \\
        --seed 7 "a small bird with a red crown" "a big bird with blue wings"

Sends the captions to ``POST /v1/models/NAME:predict`` (TF Serving's
documented REST API) in the columnar ``inputs`` form, or the row ``instances``
form with ``--form instances``; with ``--seed`` it calls the
``generate_with_seed`` signature (caption i gets seed + i), otherwise
``serving_default``. Writes each returned picture as ``OUT/NNN.png`` and prints
the words the model knew. Needs no TensorFlow and no ``requests``: ``urllib``
and ``json`` from the standard library, Pillow for the PNGs. A second per call
on a CPU server.
"""

from __future__ import annotations

import json
import pathlib
import sys
import urllib.error
import urllib.request

import numpy as np
from absl import app, flags
from PIL import Image

flags.DEFINE_string("server", "http://localhost:8501", "TF Serving's REST address.")
flags.DEFINE_string("model", "synbirds", "Model name on the server (its MODEL_NAME).")
flags.DEFINE_integer("version", None, "Model version (default: the server's latest).")
flags.DEFINE_integer("seed", None, "Seed of the first caption (generate_with_seed); "
                     "default: serving_default, whose seed comes from each caption's text.")
flags.DEFINE_enum("form", "inputs", ["inputs", "instances"],
                  "Request form: columnar 'inputs' or row 'instances'.")
flags.DEFINE_string("out", "runs/rest_client", "Output directory for the PNGs.")
flags.DEFINE_float("timeout", 120.0, "Seconds to wait for the answer.")
FLAGS = flags.FLAGS


def predict_request(captions: list[str], seed: int | None, form: str) -> dict:
    """The JSON body of a predict call for ``captions`` (TF Serving's REST format)."""
    columns = {"captions": list(captions)}
    signature = "serving_default"
    if seed is not None:
        columns["seed"] = [seed + i for i in range(len(captions))]
        signature = "generate_with_seed"
    if form == "inputs":
        return {"signature_name": signature, "inputs": columns}
    rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
    return {"signature_name": signature, "instances": rows}


def predict(server: str, model: str, body: dict, version: int | None = None,
            timeout: float = 120.0) -> dict:
    """POSTs ``body``; returns the answer as ``{output name: numpy array}`` (batch first).

    Raises ``RuntimeError`` with the server's own error message on an HTTP error.
    """
    path = f"/v1/models/{model}" + (f"/versions/{version}" if version else "") + ":predict"
    request = urllib.request.Request(server.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except ValueError:
            pass
        raise RuntimeError(f"{path}: HTTP {error.code}: {detail}") from None
    if "outputs" in answer:  # columnar answer to the "inputs" form
        outputs = answer["outputs"]
        return {k: np.asarray(v) for k, v in outputs.items()} if isinstance(outputs, dict) \
            else {"output": np.asarray(outputs)}
    rows = answer["predictions"]  # row answer to the "instances" form
    if rows and isinstance(rows[0], dict):
        return {k: np.asarray([row[k] for row in rows]) for k in rows[0]}
    return {"output": np.asarray(rows)}


def main(argv):
    captions = argv[1:]
    if not captions:
        raise app.UsageError("give at least one caption")
    body = predict_request(captions, FLAGS.seed, FLAGS.form)
    try:
        outputs = predict(FLAGS.server, FLAGS.model, body, FLAGS.version, FLAGS.timeout)
    except (RuntimeError, urllib.error.URLError, OSError) as error:
        sys.exit(f"serving_rest_client: {error}")
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    images = outputs["images"].astype(np.uint8)
    for i, caption in enumerate(captions):
        path = out / f"{i:03d}.png"
        Image.fromarray(images[i]).save(path)
        print(f"{path}: {caption!r} ({int(outputs['lengths'][i])} known words)")


if __name__ == "__main__":
    app.run(main)
