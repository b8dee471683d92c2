"""attngan convert-pytorch: the reference's torch.save files → our model directory → parity."""

import collections
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from attngan_tf.convert.pytorch import (MissingDependencyError, convert_release,
                                        read_torch_state_dict)
from attngan_tf.convert.state_dict import StateDictError
from attngan_tf.models import load_attngan
from attngan_tf.tools import parity

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = ("netG", "text_encoder", "image_encoder")


def _states(reference_file) -> dict:
    with np.load(reference_file) as data:
        return {module: collections.OrderedDict(
            (key.split("/", 2)[2], data[key]) for key in data.files
            if key.startswith(f"state/{module}/")) for module in MODULES}


def _save(state: dict, path, legacy: bool) -> str:
    tensors = collections.OrderedDict((k, torch.from_numpy(np.array(v))) for k, v in state.items())
    if legacy:  # the pre-1.6 format of the released files, pickle protocol 2 as Python 2 wrote
        torch.save(tensors, path, _use_new_zipfile_serialization=False, pickle_protocol=2)
    else:
        torch.save(tensors, path)
    return str(path)


def _captions_pickle(path, words: int = 50) -> str:
    """A reference captions.pickle: [train, test, ixtoword, wordtoix] (50 = the file's vocabulary)."""
    ixtoword = {0: "<end>", **{i: f"word{i}" for i in range(1, words)}}
    wordtoix = {w: i for i, w in ixtoword.items()}
    with open(path, "wb") as f:
        pickle.dump([[[1, 2, 3]], [[4, 5]], ixtoword, wordtoix], f, protocol=2)
    return str(path)


@pytest.fixture(scope="module")
def release(reference_file, tmp_path_factory):
    """The shared vectors' weights as torch.save files in both formats, and a captions.pickle."""
    root = tmp_path_factory.mktemp("release")
    states = _states(reference_file)
    files = {fmt: {m: _save(states[m], root / f"{m}_{fmt}.pth", fmt == "legacy") for m in MODULES}
             for fmt in ("legacy", "zip")}
    return {"root": root, "states": states, "files": files,
            "captions": _captions_pickle(root / "captions.pickle")}


def _convert(release, out, fmt="zip", **overrides):
    files = {**release["files"][fmt], **overrides}
    return convert_release(files["netG"], files["text_encoder"], files["image_encoder"],
                           release["captions"], "reference_small", out)


def _networks(directory):
    model, _ = load_attngan(directory)
    return model, parity.networks_of(model)


def test_both_torch_formats_are_read_back_exactly(release):
    for fmt in ("legacy", "zip"):
        path = release["files"][fmt]["text_encoder"]
        with open(path, "rb") as f:
            is_zip = f.read(2) == b"PK"
        assert is_zip == (fmt == "zip")
        state = read_torch_state_dict(path)
        assert list(state) == list(release["states"]["text_encoder"])
        for key, value in state.items():
            np.testing.assert_array_equal(value, release["states"]["text_encoder"][key])


@pytest.mark.slow
def test_cli_converts_legacy_files_and_the_result_passes_parity(release, reference_file,
                                                                tmp_path):
    files, out = release["files"]["legacy"], tmp_path / "converted"
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "convert-pytorch", "--netg", files["netG"],
         "--text-encoder", files["text_encoder"], "--image-encoder", files["image_encoder"],
         "--captions", release["captions"], "--preset", "reference_small", "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "ema_generator.weights.h5", "generator.weights.h5",
        "image_encoder.weights.h5", "text_encoder.weights.h5", "vocabulary.json"]
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "parity", str(reference_file), "--model", str(out),
         "--precision", "float32", "--quiet"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "70/70 keys pass" in proc.stdout


@pytest.mark.slow
def test_zip_format_converts_to_the_reference_semantics(release, reference_file, tmp_path):
    directory = _convert(release, tmp_path / "zip")
    model, networks = _networks(directory)
    assert model.config.generator.reference_mask_quirk
    assert model.config.image_encoder.resize_align_corners
    assert not model.has_discriminators
    assert len(model.vocabulary) == 50 and model.vocabulary.words[7] == "word7"
    for a, b in zip(model.generator.get_weights(), model.ema_generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    results = parity.check_file(str(reference_file), precision="float32", networks=networks)
    assert len(results) == 70
    assert not [r.line() for r in results if not r.passed]


@pytest.mark.slow
def test_parity_of_a_converted_model_catches_a_wrong_weight(release, reference_file, tmp_path):
    state = dict(release["states"]["netG"])
    key = "h_net2.residual.0.block.0.weight"
    state[key] = state[key] * 1.5
    netg = _save(state, tmp_path / "netG_bad.pth", legacy=False)
    _, networks = _networks(_convert(release, tmp_path / "bad", netG=netg))
    results = parity.check_file(str(reference_file), precision="float32", networks=networks)
    failed = {r.key for r in results if not r.passed}
    assert "out/fake_imgs/1" in failed and "out/fake_imgs/2" in failed
    assert "out/fake_imgs/0" not in failed and "out/words_emb" not in failed


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("rnn.bias_hh_l0"), "missing key 'rnn.bias_hh_l0'"),
    (lambda s: s.__setitem__("rnn.weight_ih_l1", np.zeros((64, 32), np.float32)),
     "unexpected key 'rnn.weight_ih_l1'"),
    (lambda s: s.__setitem__("rnn.bias_ih_l0", np.zeros(8, np.float32)),
     "key 'rnn.bias_ih_l0' has shape (8,)"),
])
def test_a_key_that_does_not_fit_is_named(release, tmp_path, change, message):
    state = dict(release["states"]["text_encoder"])
    change(state)
    path = _save(state, tmp_path / "text_encoder.pth", legacy=True)
    with pytest.raises(StateDictError, match="text_encoder: " + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        _convert(release, tmp_path / "out", text_encoder=path)
    assert not (tmp_path / "out").exists()


def test_cli_names_the_missing_key(release, tmp_path):
    state = dict(release["states"]["netG"])
    state.pop("img_net3.img.0.weight")
    netg = _save(state, tmp_path / "netG.pth", legacy=True)
    files = release["files"]["zip"]
    proc = subprocess.run(
        [sys.executable, "-m", "attngan_tf", "convert-pytorch", "--netg", netg,
         "--text-encoder", files["text_encoder"], "--image-encoder", files["image_encoder"],
         "--captions", release["captions"], "--preset", "reference_small",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT},
        timeout=300)
    assert proc.returncode == 1
    assert "netG: missing key 'img_net3.img.0.weight'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_vocabulary_of_another_data_set_is_refused(release, tmp_path):
    other = _captions_pickle(tmp_path / "captions.pickle", words=40)
    files = release["files"]["zip"]
    with pytest.raises(StateDictError, match="'encoder.weight' has 50 rows but .* has 40 words"):
        convert_release(files["netG"], files["text_encoder"], files["image_encoder"], other,
                        "reference_small", tmp_path / "out")


def test_data_parallel_prefix_and_state_dict_wrapper_are_accepted(release, tmp_path):
    state = {f"module.{k}": torch.from_numpy(np.array(v))
             for k, v in release["states"]["text_encoder"].items()}
    torch.save({"state_dict": state}, tmp_path / "wrapped.pth")
    read = read_torch_state_dict(tmp_path / "wrapped.pth")
    assert sorted(read) == sorted(release["states"]["text_encoder"])


def test_files_that_are_not_state_dicts_are_refused(tmp_path):
    torch.save(torch.nn.Linear(2, 3), tmp_path / "module.pth")  # a pickled module, not its state
    with pytest.raises(StateDictError, match="weights_only=True.*state_dict"):
        read_torch_state_dict(tmp_path / "module.pth")
    torch.save({"epoch": 3, "weight": torch.zeros(2)}, tmp_path / "mixed.pth")
    with pytest.raises(StateDictError, match="entry 'epoch' is a int, not a tensor"):
        read_torch_state_dict(tmp_path / "mixed.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(StateDictError, match="junk.pth: not a PyTorch state dict"):
        read_torch_state_dict(tmp_path / "junk.pth")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_torch_state_dict(tmp_path / "absent.pth")


def test_without_torch_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    (tmp_path / "a.pth").write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'attngan-tf\[torch\]'"):
        read_torch_state_dict(tmp_path / "a.pth")


def test_the_package_and_cli_do_not_import_torch():
    code = ("import sys, attngan_tf, attngan_tf.cli, attngan_tf.convert, "
            "attngan_tf.convert.pytorch; assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_converted_model_samples_and_exports(release, tmp_path):
    from attngan_tf.export import export_saved_model
    from attngan_tf.sampling import write_samples

    model, _ = load_attngan(_convert(release, tmp_path / "model"))
    paths = write_samples(model, ["word1 word2 word3", "word4"], tmp_path / "samples", seed=3)
    assert paths and all(p.is_file() for p in paths)
    export = export_saved_model(model, tmp_path / "serving")
    assert (export / "saved_model.pb").is_file()


@pytest.mark.slow
def test_original_checkpoints_example_converts_samples_and_exports(release, tmp_path):
    """examples/original_checkpoints.py on files written from the shared reference vectors."""
    files = release["files"]["legacy"]
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "original_checkpoints.py"),
         "--netg", files["netG"], "--text_encoder", files["text_encoder"],
         "--image_encoder", files["image_encoder"], "--captions", release["captions"],
         "--preset", "reference_small", "--out", str(tmp_path / "run"), "--seed", "3",
         "word1 word2 word3", "word4"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    model, vocabulary = load_attngan(tmp_path / "run" / "model")
    assert len(vocabulary) == 50 and not model.has_discriminators
    # write_samples: sample k of every caption uses seed + k.
    expected = model.generate(["word1 word2 word3", "word4"], seed=[3, 3])["images_uint8"]
    from PIL import Image
    for i in range(2):
        drawn = np.asarray(Image.open(tmp_path / "run" / "samples" / f"{i:03d}_0.png"))
        np.testing.assert_array_equal(drawn, expected[i])
        assert (tmp_path / "run" / "samples" / f"{i:03d}_0_attention.png").is_file()
    assert (tmp_path / "run" / "serving" / "1" / "saved_model.pb").is_file()
    assert "converted to" in result.stdout and "exported for TF Serving" in result.stdout
