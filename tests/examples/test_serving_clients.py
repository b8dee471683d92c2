"""examples/serving_{rest,grpc}_client.py against the stand-in server (a test double).

Each client runs as a user runs it (a subprocess) against
:class:`tests.serving_standin.StandInServer`, which evaluates the exported
SavedModel; the pictures the client writes must be exactly the export's and,
with a seed, exactly ``AttnGAN.generate``'s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from PIL import Image

from attngan_tf.export import export_saved_model
from tests.conftest import ROOT
from tests.examples import tiny_model
from tests.serving_standin import StandInServer

CAPTIONS = ["a small bird with a red crown", "blue wings", "a red bird"]
_NO_TF = ("import runpy, sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; "
          "runpy.run_path(sys.argv[0], run_name='__main__')")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    model = tiny_model(seed=3)
    path = export_saved_model(model, tmp_path_factory.mktemp("serving") / "synbirds")
    with StandInServer(path, "synbirds") as server:
        yield model, server


def _run(args, no_tensorflow=False):
    prefix = [sys.executable, "-c", _NO_TF] if no_tensorflow else [sys.executable]
    return subprocess.run(prefix + [str(a) for a in args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def _pngs(directory, count):
    return np.stack([np.asarray(Image.open(directory / f"{i:03d}.png")) for i in range(count)])


@pytest.mark.parametrize("form", ["inputs", "instances"])
def test_rest_client_seeded_matches_generate_without_tensorflow(served, tmp_path, form):
    model, server = served
    result = _run([ROOT / "examples" / "serving_rest_client.py", "--server", server.rest_url,
                   "--model", "synbirds", "--seed", 5, "--form", form, "--out", tmp_path,
                   *CAPTIONS], no_tensorflow=True)
    assert result.returncode == 0, result.stderr
    expected = model.generate(CAPTIONS, seed=5)["images_uint8"]
    np.testing.assert_array_equal(_pngs(tmp_path, 3), expected)
    assert "(7 known words)" in result.stdout  # "a small bird with a red crown"


def test_rest_client_default_signature_and_errors(served, tmp_path):
    _, server = served
    result = _run([ROOT / "examples" / "serving_rest_client.py", "--server", server.rest_url,
                   "--out", tmp_path, *CAPTIONS])
    assert result.returncode == 0, result.stderr
    direct = server.run("serving_default", {"captions": CAPTIONS})["images"]
    np.testing.assert_array_equal(_pngs(tmp_path, 3), direct)
    wrong = _run([ROOT / "examples" / "serving_rest_client.py", "--server", server.rest_url,
                  "--model", "nope", "--out", tmp_path, "a bird"])
    assert wrong.returncode != 0 and "HTTP 404" in wrong.stderr and "nope" in wrong.stderr
    down = _run([ROOT / "examples" / "serving_rest_client.py", "--server",
                 "http://127.0.0.1:9", "--out", tmp_path, "a bird"])
    assert down.returncode != 0 and "serving_rest_client:" in down.stderr
    assert "Traceback" not in wrong.stderr + down.stderr


def test_standin_follows_the_documented_rest_forms(served):
    """b64 strings, a bare list as the single input, mismatched instances -> 400."""
    _, server = served

    def post(body, path="/v1/models/synbirds/versions/1:predict"):
        request = urllib.request.Request(server.rest_url + path, json.dumps(body).encode())
        try:
            with urllib.request.urlopen(request) as answer:
                return 200, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    code, answer = post({"inputs": [{"b64": "YSByZWQgYmlyZA=="}]})  # "a red bird"
    assert code == 200 and answer["outputs"]["lengths"] == [3]
    code, answer = post({"instances": ["a red bird", "wings"]})
    assert code == 200 and [p["lengths"] for p in answer["predictions"]] == [3, 1]
    code, answer = post({"signature_name": "generate_with_seed",
                         "instances": [{"captions": "a", "seed": 1}, {"captions": "b"}]})
    assert code == 400 and "same inputs" in answer["error"]
    assert post({"inputs": ["a"]}, "/v1/models/synbirds/versions/2:predict")[0] == 404


@pytest.mark.slow
def test_grpc_client_matches_generate(served, tmp_path):
    pytest.importorskip("tensorflow_serving.apis")
    model, server = served
    result = _run([ROOT / "examples" / "serving_grpc_client.py", "--server",
                   server.grpc_address, "--seed", 11, "--out", tmp_path, *CAPTIONS])
    assert result.returncode == 0, result.stderr
    expected = model.generate(CAPTIONS, seed=11)["images_uint8"]
    np.testing.assert_array_equal(_pngs(tmp_path, 3), expected)
    wrong = _run([ROOT / "examples" / "serving_grpc_client.py", "--server",
                  server.grpc_address, "--model", "nope", "--out", tmp_path, "a bird"])
    assert wrong.returncode != 0 and "NOT_FOUND" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    default = _run([ROOT / "examples" / "serving_grpc_client.py", "--server",
                    server.grpc_address, "--version", 1, "--out", tmp_path / "default",
                    *CAPTIONS])
    assert default.returncode == 0, default.stderr
    direct = server.run("serving_default", {"captions": CAPTIONS})["images"]
    np.testing.assert_array_equal(_pngs(tmp_path / "default", 3), direct)
