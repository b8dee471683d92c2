"""Parity check against the original PyTorch AttnGAN (reference-vectors format).

Usage::

    attngan parity FILE.npz [--quiet] [--precision float32] [--model DIR]
    attngan parity FILE_train.npz [--forward FILE.npz] [--jit-compile] [--strategy mirrored]

(:func:`run` from Python.)

A training-vectors file (it names its ``forward_file``) is checked by
:mod:`attngan_tf.tools.training_parity`: full training iterations against the
original trainer.

The file holds a config (``config_json``), the reference's weights
(``state/<module>/<torch name>``), inputs (``in/*``) and outputs (``out/*``,
``out_train/*``, ``alt_fixedmask/*``, ``alt_ac_false/*``); see
``shared/reference_vectors/README.md``. Our models are built from the config,
loaded through :mod:`attngan_tf.convert`, run on the same inputs, and every
output key is compared:

* ``out/*`` and ``out_train/*`` with ``reference_mask_quirk`` on and
  align-corners resizing (the reference's semantics);
* ``alt_fixedmask/*`` with our default (correct) attention mask;
* ``alt_ac_false/*`` with half-pixel resizing in the image encoder.

With ``--model DIR`` (``networks=`` in Python) the text encoder, image encoder
and generator weights come from a saved model instead of the file, e.g. one
converted from PyTorch files by ``attngan convert-pytorch``.

Each module is fed the reference's own inputs (the generator gets the
reference ``words_emb``/``sent_emb``, the image encoder and discriminators the
reference ``fake_imgs``), so a mismatch points at one module. A key the tool
does not know is a failure. Exit status 0 only if every key passes.

Precision. By default our models run in float64, so the only rounding left is
the reference's own float32 rounding, and a key passes when
``max|ours − ref| ≤ 1e-4 · (1 + max|ref|)``. With ``precision="float32"`` both
sides round, differently per CPU (on the last generator stage our float32 and
float64 outputs differ by up to 2.4e-4 on this project's machine), so the bound
is ``5e-4 · (1 + max|ref|)``. Errors in semantics (a wrong axis, gate order,
mask or padding) give differences of 1e-2 to 1, far above either bound.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Callable

import numpy as np

from .reference import (TOLERANCE, KeyResult, _keras_precision, _nchw, _nhwc, _state,
                        config_from_reference, tolerance_for)

__all__ = ["run", "check_file", "networks_of", "KeyResult", "TOLERANCE", "tolerance_for",
           "config_from_reference"]

#: Keys that are inputs or metadata, not outputs to check.
_INPUT_PREFIXES = ("state/", "in/")
_METADATA_KEYS = ("config_json", "tolerance_hint", "tolerance_hint_per_key_json")
_CHECKED_PREFIXES = ("out/", "out_train/", "alt_fixedmask/", "alt_ac_false/")


def networks_of(model) -> dict:
    """The ``networks=`` argument of :func:`check_file` for an :class:`AttnGAN`:
    its text and image encoders and its averaged generator (what sampling uses)."""
    return {"text_encoder": model.text_encoder, "image_encoder": model.image_encoder,
            "generator": model.ema_generator}


def _sigmoid(x) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


class _Outputs:
    """Lazily computes our outputs, keyed by the reference's names and layouts."""

    def __init__(self, data, networks: dict | None = None):
        from .. import losses
        from ..convert import state_dict as convert
        from ..models import (AttnGenerator, Discriminator, ImageEncoder, TextEncoder)

        self.data = data
        self.losses = losses
        meta = json.loads(str(data["config_json"]))
        self.config = cfg = config_from_reference(meta)
        self.loss_config = cfg.loss
        self.batch = int(data["in/captions"].shape[0])

        self.text_encoder = TextEncoder(cfg.text)
        convert.load_text_encoder(self.text_encoder, _state(data, "text_encoder"))

        image_state = _state(data, "image_encoder")
        self.image_encoders = {}
        for align in (True, False):
            enc = ImageEncoder(dataclasses.replace(cfg.image_encoder,
                                                   resize_align_corners=align),
                               _report_init=False)
            convert.load_image_encoder(enc, image_state)
            self.image_encoders[align] = enc

        g_state = _state(data, "netG")
        self.generators = {}
        for quirk in (True, False):
            gen = AttnGenerator(dataclasses.replace(cfg.generator, reference_mask_quirk=quirk))
            convert.load_generator(gen, g_state)
            self.generators[quirk] = gen

        self.discriminators = []
        for i in range(cfg.discriminator.branch_num):
            disc = Discriminator(cfg.discriminator, stage=i)
            convert.load_discriminator(disc, _state(data, f"netD{i}"))
            self.discriminators.append(disc)

        if networks:
            self._take_weights(networks)

        self.captions = data["in/captions"]
        self.lengths = data["in/cap_lens"]
        steps = self.captions.shape[1]
        self.word_mask = np.arange(steps)[None, :] < self.lengths[:, None]
        self.class_ids = data["in/class_ids"] if "in/class_ids" in data.files else None
        # Reference text features, fed to the downstream modules.
        ref_words = np.transpose(data["out/words_emb"], (0, 2, 1))
        self.ref_words_emb = np.zeros((self.batch, steps, ref_words.shape[2]), np.float32)
        self.ref_words_emb[:, :ref_words.shape[1]] = ref_words
        self.ref_sent_emb = data["out/sent_emb"]
        self.ref_fake = [_nhwc(data[f"out/fake_imgs/{i}"]) for i in range(cfg.generator.branch_num)]
        self.real = [_nhwc(data[f"in/real_imgs/{i}"]) for i in range(cfg.generator.branch_num)]
        self._cache: dict = {}

    def _take_weights(self, networks: dict) -> None:
        """Replaces the file's weights with those of ``networks`` (every variant)."""
        targets = {"text_encoder": [self.text_encoder],
                   "image_encoder": list(self.image_encoders.values()),
                   "generator": list(self.generators.values())}
        unknown = sorted(set(networks) - set(targets))
        if unknown:
            raise ValueError(f"networks: unknown name {unknown[0]!r}; "
                             f"expected some of {sorted(targets)}")
        for name, network in networks.items():
            weights = network.get_weights()
            for target in targets[name]:
                try:
                    target.set_weights(weights)
                except ValueError as e:
                    raise ValueError(f"networks[{name!r}]: does not fit the file's "
                                     f"configuration: {e}") from e

    def _once(self, name: str, fn: Callable):
        if name not in self._cache:
            self._cache[name] = fn()
        return self._cache[name]

    # -- modules ---------------------------------------------------------
    def text(self):
        return self._once("text", lambda: [np.asarray(t) for t in self.text_encoder(
            self.captions, self.lengths, training=False)])

    def generator(self, quirk: bool, training: bool):
        def run():
            out = self.generators[quirk](
                self.data["in/noise"], self.ref_sent_emb, self.ref_words_emb, self.word_mask,
                ca_noise=self.data["in/ca_eps"], training=training)
            return {"images": [np.asarray(x) for x in out["images"]],
                    "attention_maps": [np.asarray(x) for x in out["attention_maps"]],
                    "c_code": np.asarray(out["c_code"]), "mu": np.asarray(out["mu"]),
                    "logvar": np.asarray(out["logvar"])}
        return self._once(f"gen{quirk}{training}", run)

    def image(self, align: bool, real: bool):
        images = self.real[-1] if real else self.ref_fake[-1]
        return self._once(f"img{align}{real}", lambda: [np.asarray(t) for t in
                                                        self.image_encoders[align](images)])

    def disc(self, i: int, real: bool):
        def run():
            images = self.real[i] if real else self.ref_fake[i]
            out = self.discriminators[i](images, self.ref_sent_emb, training=False)
            return {k: np.asarray(v) for k, v in out.items()}
        return self._once(f"d{i}{real}", run)

    def wrong_cond_logits(self, i: int):
        h_real = self.disc(i, real=True)["h_code"]
        return np.asarray(self.discriminators[i].cond_head(
            h_real[:-1], self.ref_sent_emb[1:], training=False))

    def words_loss(self, align: bool):
        def run():
            region, _ = self.image(align, real=False)
            w0, w1, att = self.losses.words_loss(region, self.ref_words_emb, self.word_mask,
                                                 self.class_ids, self.loss_config)
            return float(w0), float(w1), np.asarray(att)
        return self._once(f"wl{align}", run)

    def sent_loss(self, align: bool):
        def run():
            _, code = self.image(align, real=False)
            s0, s1 = self.losses.sentence_loss(code, self.ref_sent_emb, self.class_ids,
                                               self.loss_config)
            return float(s0), float(s1)
        return self._once(f"sl{align}", run)

    def kl(self):
        out = self.generator(True, False)
        return float(self.losses.kl_loss(out["mu"], out["logvar"]))

    def stage_g_loss(self, i: int):
        out = self.disc(i, real=False)
        return float(self.losses.bce_with_logits(out["uncond_logits"], 1.0)
                     + self.losses.bce_with_logits(out["cond_logits"], 1.0))

    def g_total(self):
        def run():
            fake_outputs = [self.disc(i, real=False) for i in range(len(self.discriminators))]
            region, code = self.image(True, real=False)
            out = self.losses.generator_loss(
                fake_outputs, region, code, self.ref_words_emb, self.ref_sent_emb,
                self.word_mask, self.class_ids, self.loss_config)
            return float(out["total"])
        return self._once("gtotal", run)

    def d_loss(self, i: int):
        return float(self.losses.discriminator_loss(
            self.disc(i, real=True), self.disc(i, real=False), self.wrong_cond_logits(i)))

    # -- key dispatch ----------------------------------------------------
    def value(self, key: str):
        """Our value for a reference key, in the reference's layout; KeyError if unknown."""
        parts = key.split("/")
        prefix, rest = parts[0], parts[1:]
        if prefix in ("out", "alt_fixedmask", "out_train") and rest[0] in (
                "fake_imgs", "att_maps") and len(rest) == 2:
            gen = self.generator(quirk=prefix != "alt_fixedmask", training=prefix == "out_train")
            idx = int(rest[1])
            if rest[0] == "fake_imgs":
                return _nchw(gen["images"][idx])
            return _nchw(gen["attention_maps"][idx])
        if prefix == "out":
            return self._out_value(rest)
        if prefix == "alt_ac_false":
            return self._image_value(rest, align=False)
        raise KeyError(key)

    def _image_value(self, rest, align: bool):
        name = rest[0]
        if name in ("region_features", "cnn_code", "region_features_real", "cnn_code_real"):
            real = name.endswith("_real")
            region, code = self.image(align, real)
            return _nchw(region) if name.startswith("region") else code
        if name in ("words_loss0", "words_loss1"):
            return self.words_loss(align)[int(name[-1])]
        if name in ("sent_loss0", "sent_loss1"):
            return self.sent_loss(align)[int(name[-1])]
        raise KeyError("/".join(rest))

    def _out_value(self, rest):
        name = rest[0]
        if name == "words_emb":
            return np.transpose(self.text()[0], (0, 2, 1))
        if name == "sent_emb":
            return self.text()[1]
        if name == "mask":
            return ~self.word_mask
        if name in ("c_code", "mu", "logvar"):
            return self.generator(True, False)[name]
        if name.startswith("D") and len(rest) == 2:
            i = int(name[1:])
            field = rest[1]
            if field == "g_loss":
                return self.stage_g_loss(i)
            if field == "cond_logits_wrong":
                return _sigmoid(self.wrong_cond_logits(i))
            real = field.endswith("_real")
            base = field[:-len("_real")] if real else field
            out = self.disc(i, real)
            if base == "h_code":
                return _nchw(out["h_code"])
            if base in ("cond_logits", "uncond_logits"):
                return _sigmoid(out[base])
            raise KeyError(field)
        if name == "words_att" and len(rest) == 2:
            i = int(rest[1])
            att = self.words_loss(True)[2][i]  # [H, W, T]
            length = int(self.lengths[i])
            return np.transpose(att, (2, 0, 1))[None, :length]
        if name == "kl_loss":
            return self.kl()
        if name == "g_total":
            return self.g_total()
        if name == "g_total_with_kl":
            return self.g_total() + self.kl()
        if name == "d_loss" and len(rest) == 2:
            return self.d_loss(int(rest[1]))
        return self._image_value(rest, align=True)


def _align_to_reference(key: str, ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Brings the reference to our word axis when it stops at max(cap_lens) < T.

    The reference returns word features, the padding mask and attention maps
    only up to the longest caption of the batch; ours keep all T positions.
    Word features and attention maps must be exactly 0 there, so the reference
    is padded with zeros; the mask is padding (True) there.
    """
    if ours.ndim != ref.ndim or ours.shape == ref.shape:
        return ref
    if any(r > o for o, r in zip(ours.shape, ref.shape)):
        return ref  # a real shape mismatch; reported by the caller
    pad = [(0, o - r) for o, r in zip(ours.shape, ref.shape)]
    fill = 1.0 if key.endswith("/mask") else 0.0
    return np.pad(ref, pad, constant_values=fill)


def check_file(path: str, log: Callable[[str], None] | None = None,
               precision: str = "float64", networks: dict | None = None) -> list[KeyResult]:
    """Runs every check of a reference-vectors file; returns one result per output key.

    ``precision``: ``"float64"`` (default) or ``"float32"``, what our models run in.
    ``networks``: optional built models (keys ``text_encoder``, ``image_encoder``,
    ``generator``) whose weights replace the file's for those modules, e.g. the
    networks of a model converted from PyTorch files (see
    :mod:`attngan_tf.convert.pytorch`); their configurations must match the file's.
    """
    with _keras_precision(precision), np.load(path, allow_pickle=False) as data:
        outputs = _Outputs(data, networks)
        results = []
        for key in sorted(data.files):
            if key in _METADATA_KEYS or key.startswith(_INPUT_PREFIXES):
                continue
            ref = np.asarray(data[key])
            if not key.startswith(_CHECKED_PREFIXES):
                result = KeyResult(key, np.nan, np.nan, False, "unknown key")
            else:
                try:
                    ours = np.asarray(outputs.value(key))
                except (KeyError, IndexError) as err:
                    result = KeyResult(key, np.nan, np.nan, False, f"unknown key: {err}")
                except ValueError as err:
                    result = KeyResult(key, np.nan, np.nan, False, f"could not compute: {err}")
                else:
                    result = _compare(key, ours, ref, precision)
            results.append(result)
            if log is not None:
                log(result.line())
    return results


def _compare(key: str, ours: np.ndarray, ref: np.ndarray,
             precision: str = "float64") -> KeyResult:
    ours = ours.astype(np.float64)
    ref = _align_to_reference(key, ours, ref.astype(np.float64))
    if ours.shape != ref.shape:
        return KeyResult(key, np.nan, np.nan, False,
                         f"shape {ours.shape} differs from reference {ref.shape}")
    # NaN only where the reference has NaN too (e.g. a mean over an empty batch).
    if not np.array_equal(np.isnan(ours), np.isnan(ref)) or np.any(np.isinf(ours)):
        return KeyResult(key, np.inf, tolerance_for(ref[np.isfinite(ref)], precision), False,
                         "non-finite values where the reference has none")
    finite = np.isfinite(ref)
    tol = tolerance_for(ref[finite], precision)
    err = float(np.max(np.abs(ours[finite] - ref[finite]))) if finite.any() else 0.0
    return KeyResult(key, err, tol, err <= tol)


def run(path: str, verbose: bool = True, precision: str = "float64",
        networks: dict | None = None, forward: str | None = None, jit_compile: bool = False,
        strategy: str = "none") -> int:
    """Prints one line per key and a summary; returns the exit status.

    ``networks``: as for :func:`check_file`. A training-vectors file goes to
    :func:`attngan_tf.tools.training_parity.run` with ``forward``,
    ``jit_compile`` and ``strategy`` (which apply to it alone).
    """
    import os

    if not os.path.isfile(path):
        print(f"parity: no such file: {path}", file=sys.stderr)
        return 2
    from .training_parity import is_training_file

    if is_training_file(path):
        from . import training_parity

        if networks:
            raise ValueError("parity: a training-vectors file is checked with the file's own "
                             "weights (no --model)")
        return training_parity.run(path, verbose=verbose, precision=precision, forward=forward,
                                   jit_compile=jit_compile, strategy=strategy)
    results = check_file(path, log=print if verbose else None, precision=precision,
                         networks=networks)
    failed = [r for r in results if not r.passed]
    if not results:
        print("parity: FAIL: the file has no output keys to check")
        return 1
    print(f"parity ({precision}): {len(results) - len(failed)}/{len(results)} keys pass"
          + (f"; FAILED: {', '.join(r.key for r in failed)}" if failed else ""))
    return 0 if not failed else 1
