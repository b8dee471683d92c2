"""A stand-in for TF Serving, for testing the example clients: a TEST DOUBLE, not a server.

No TF Serving binary exists on this project's machines, so the client examples
are tested against this small in-process imitation. It loads a SavedModel
version directory with ``tf.saved_model.load`` and answers the two documented
protocols over loopback:

* REST: ``POST /v1/models/NAME[/versions/N]:predict`` with a JSON body in the
  columnar form (``{"signature_name", "inputs": {name: list}}``, answered with
  ``{"outputs": {name: list}}``) or the row form (``{"instances": [{name:
  value}, ...]}``, answered with ``{"predictions": [{name: value}, ...]}``);
  ``{"b64": ...}`` string values are decoded as TF Serving does. Errors are
  HTTP 400/404 with ``{"error": message}``.
* gRPC: ``tensorflow.serving.PredictionService/Predict`` (``PredictRequest`` in,
  ``PredictResponse`` out; unknown model: ``NOT_FOUND``, bad input:
  ``INVALID_ARGUMENT``).

What it leaves out (batching, model management, other APIs, metadata) is what
the clients do not use. The real server's behaviour is the specification; this
file only follows its documentation.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import tensorflow as tf

__all__ = ["StandInServer"]

_PREDICT_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?:predict$")


class _BadRequest(ValueError):
    pass


class StandInServer:
    """Serves one SavedModel as model ``name`` (version ``version``) over REST and gRPC.

    Use as a context manager; ``rest_url`` and ``grpc_address`` are set while it runs.
    """

    def __init__(self, saved_model_dir, name: str, version: int = 1, grpc: bool = True):
        self.loaded = tf.saved_model.load(str(saved_model_dir))
        self.name, self.version, self.with_grpc = name, version, grpc
        self._lock = threading.Lock()
        self.rest_url = self.grpc_address = None

    # -- the model -----------------------------------------------------------------------
    def _signature(self, name: str | None):
        name = name or "serving_default"
        if name not in self.loaded.signatures:
            raise _BadRequest(f"Serving signature name: \"{name}\" not found in signature def")
        return self.loaded.signatures[name]

    def run(self, signature_name: str | None, inputs: dict) -> dict[str, np.ndarray]:
        """Evaluates a signature on ``{name: array-like}``; ``{output: numpy array}``."""
        function = self._signature(signature_name)
        specs = function.structured_input_signature[1]
        missing = sorted(set(specs) - set(inputs))
        extra = sorted(set(inputs) - set(specs))
        if missing or extra:
            raise _BadRequest(f"inputs: expected {sorted(specs)}, missing {missing}, "
                              f"unexpected {extra}")
        tensors = {}
        for key, spec in specs.items():
            try:
                tensors[key] = tf.constant(inputs[key], dtype=spec.dtype)
            except (TypeError, ValueError) as error:
                raise _BadRequest(f"input {key!r}: {error}") from None
        with self._lock:
            outputs = function(**tensors)
        return {k: v.numpy() for k, v in outputs.items()}

    def _model_ok(self, name: str, version: str | int | None) -> bool:
        return name == self.name and (not version or int(version) == self.version)

    # -- REST ----------------------------------------------------------------------------
    def _rest_predict(self, body: dict) -> dict:
        signature = body.get("signature_name")
        if ("inputs" in body) == ("instances" in body):
            raise _BadRequest("request must have exactly one of 'inputs' or 'instances'")
        if "inputs" in body:
            inputs = body["inputs"]
            if not isinstance(inputs, dict):  # a single unnamed input
                names = list(self._signature(signature).structured_input_signature[1])
                inputs = {names[0]: inputs}
            outputs = self.run(signature, {k: _decode(v) for k, v in inputs.items()})
            return {"outputs": {k: _jsonable(v) for k, v in outputs.items()}}
        rows = body["instances"]
        if not isinstance(rows, list):
            raise _BadRequest("'instances' must be a list")
        if rows and not isinstance(rows[0], dict):
            names = list(self._signature(signature).structured_input_signature[1])
            rows = [{names[0]: row} for row in rows]
        names = sorted(set().union(*rows)) if rows else []
        if any(set(row) != set(names) for row in rows):
            raise _BadRequest("every instance must name the same inputs")
        outputs = self.run(signature, {k: [_decode(row[k]) for row in rows] for k in names})
        return {"predictions": [{k: _jsonable(v[i]) for k, v in outputs.items()}
                                for i in range(len(rows))]}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, code: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (http.server's name)
                match = _PREDICT_PATH.match(self.path)
                if not match:
                    return self._answer(404, {"error": f"Malformed request: POST {self.path}"})
                if not server._model_ok(match["name"], match["version"]):
                    return self._answer(404, {"error": f"Servable not found for request: "
                                                       f"{match['name']}"})
                length = int(self.headers.get("Content-Length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                    if not isinstance(body, dict):
                        raise _BadRequest("the body must be a JSON object")
                    return self._answer(200, server._rest_predict(body))
                except (ValueError, _BadRequest, tf.errors.OpError) as error:
                    return self._answer(400, {"error": str(error)})

        return Handler

    # -- gRPC ----------------------------------------------------------------------------
    def _grpc_servicer(self):
        import grpc
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

        server = self

        class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
            def Predict(self, request, context):  # noqa: N802 (the service's name)
                spec = request.model_spec
                version = spec.version.value if spec.HasField("version") else None
                if not server._model_ok(spec.name, version):
                    context.abort(grpc.StatusCode.NOT_FOUND,
                                  f"Servable not found for request: {spec.name}")
                inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
                try:
                    outputs = server.run(spec.signature_name, inputs)
                except (_BadRequest, tf.errors.OpError) as error:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
                response = predict_pb2.PredictResponse()
                response.model_spec.name = server.name
                response.model_spec.version.value = server.version
                response.model_spec.signature_name = spec.signature_name or "serving_default"
                for key, value in outputs.items():
                    response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
                return response

        return grpc, prediction_service_pb2_grpc, Servicer()

    # -- lifetime ------------------------------------------------------------------------
    def __enter__(self) -> "StandInServer":
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.rest_url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._grpc = None
        if self.with_grpc:
            grpc, service, servicer = self._grpc_servicer()
            self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=[
                ("grpc.max_send_message_length", 256 * 1024 * 1024)])
            service.add_PredictionServiceServicer_to_server(servicer, self._grpc)
            port = self._grpc.add_insecure_port("127.0.0.1:0")
            self._grpc.start()
            self.grpc_address = f"127.0.0.1:{port}"
        return self

    def __exit__(self, *exc):
        self._http.shutdown()
        self._http.server_close()
        if self._grpc is not None:
            self._grpc.stop(grace=None)


def _decode(value):
    """TF Serving's JSON rule: ``{"b64": ...}`` is binary data; lists are decoded elementwise."""
    if isinstance(value, dict):
        if set(value) != {"b64"}:
            raise _BadRequest(f"an object value must be {{'b64': ...}}, got keys {sorted(value)}")
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _jsonable(value: np.ndarray):
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(
            value).tolist()
    return value.tolist()
