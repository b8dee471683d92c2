"""Ask a TF Serving model server for pictures over gRPC (PredictionService.Predict).

    pip install 'attngan-tf[serving]'     # tensorflow-serving-api and grpcio
    docker run -p 8500:8500 -v /models/synbirds:/models/synbirds \\
        -e MODEL_NAME=synbirds tensorflow/serving
    python examples/serving_grpc_client.py --server localhost:8500 --model synbirds \\
        --seed 7 "a small bird with a red crown" "a big bird with blue wings"

Builds a ``PredictRequest`` (model name, signature, one ``TensorProto`` per
input: ``captions`` as strings, ``seed`` as int64 for ``generate_with_seed``)
and calls ``PredictionService.Predict`` on TF Serving's gRPC port. Writes each
returned picture as ``OUT/NNN.png``. gRPC carries the uint8 pictures as raw
bytes, so it is the faster client for large images. A second per call on a CPU
server.
"""

from __future__ import annotations

import pathlib
import sys

import grpc
import numpy as np
import tensorflow as tf
from absl import app, flags
from PIL import Image
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

flags.DEFINE_string("server", "localhost:8500", "TF Serving's gRPC address (host:port).")
flags.DEFINE_string("model", "synbirds", "Model name on the server (its MODEL_NAME).")
flags.DEFINE_integer("version", None, "Model version (default: the server's latest).")
flags.DEFINE_integer("seed", None, "Seed of the first caption (generate_with_seed); "
                     "default: serving_default, whose seed comes from each caption's text.")
flags.DEFINE_string("out", "runs/grpc_client", "Output directory for the PNGs.")
flags.DEFINE_float("timeout", 120.0, "Seconds to wait for the answer.")
FLAGS = flags.FLAGS


def predict_request(model: str, captions: list[str], seed: int | None = None,
                    version: int | None = None) -> predict_pb2.PredictRequest:
    """A ``PredictRequest`` for ``captions`` (caption i gets ``seed + i`` when a seed is given)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if version:
        request.model_spec.version.value = version
    request.model_spec.signature_name = "serving_default" if seed is None else "generate_with_seed"
    request.inputs["captions"].CopyFrom(
        tf.make_tensor_proto([c.encode("utf-8") for c in captions], dtype=tf.string))
    if seed is not None:
        request.inputs["seed"].CopyFrom(tf.make_tensor_proto(
            np.arange(len(captions), dtype=np.int64) + seed, dtype=tf.int64))
    return request


def predict(server: str, request: predict_pb2.PredictRequest,
            timeout: float = 120.0) -> dict[str, np.ndarray]:
    """Calls ``Predict``; returns ``{output name: numpy array}``."""
    with grpc.insecure_channel(server, options=[
            ("grpc.max_receive_message_length", 256 * 1024 * 1024)]) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(request, timeout=timeout)
    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}


def main(argv):
    captions = argv[1:]
    if not captions:
        raise app.UsageError("give at least one caption")
    request = predict_request(FLAGS.model, captions, FLAGS.seed, FLAGS.version)
    try:
        outputs = predict(FLAGS.server, request, FLAGS.timeout)
    except grpc.RpcError as error:
        sys.exit(f"serving_grpc_client: {error.code().name}: {error.details()}")
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, caption in enumerate(captions):
        path = out / f"{i:03d}.png"
        Image.fromarray(outputs["images"][i]).save(path)
        print(f"{path}: {caption!r} ({int(outputs['lengths'][i])} known words)")


if __name__ == "__main__":
    app.run(main)
