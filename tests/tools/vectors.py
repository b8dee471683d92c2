"""Writes files in the reference-vectors format from our own models.

Used to check that the parity tool handles other configurations, batch sizes
and caption lengths (and that it fails when an output is wrong). The real
proof of parity is ../shared/reference_vectors, produced by the original code.
Outputs are written in the reference's conventions: NCHW, probabilities after
the sigmoid, word axes cut at the longest caption of the batch.
"""

from __future__ import annotations

import json

import keras
import numpy as np

from attngan_tf import losses
from attngan_tf.convert import export_state_dict
from attngan_tf.models import AttnGenerator, Discriminator, ImageEncoder, TextEncoder
from attngan_tf.tools.parity import _keras_precision, config_from_reference

META = {"gf_dim": 4, "df_dim": 4, "z_dim": 8, "r_num": 2, "embedding_dim": 16,
        "condition_dim": 8, "branch_num": 2, "words_num": 10, "vocab_size": 37,
        "text_input_dim": 20, "rnn_type": "LSTM", "batch": 4, "gamma1": 4.0, "gamma2": 5.0,
        "gamma3": 10.0, "lambda": 5.0}


def _nchw(x):
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


def _sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


def _randomize_batch_norms(model, rng):
    for v in model.variables:
        if v.path.endswith("moving_mean"):
            v.assign(rng.normal(0, 0.1, v.shape).astype(v.dtype))
        elif v.path.endswith("moving_variance"):
            v.assign(rng.uniform(0.5, 1.5, v.shape).astype(v.dtype))


def write_vectors(path, lengths=(7, 5, 5, 2), class_ids=(1, 2, 1, 3), seed=0, meta=None):
    """Writes the file; our models run in float64, so the values hold no float32
    rounding (which differs between CPUs) and the parity tool's float64 check
    compares like with like."""
    with _keras_precision("float64"):
        return _write_vectors(path, lengths, class_ids, seed, meta)


def _write_vectors(path, lengths, class_ids, seed, meta):
    meta = dict(META if meta is None else meta, batch=len(lengths))
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    cfg = config_from_reference(meta)
    batch, steps = len(lengths), cfg.text.words_num
    out: dict[str, np.ndarray] = {"config_json": np.array(json.dumps(meta))}

    text = TextEncoder(cfg.text)
    gen = AttnGenerator(cfg.generator)
    gen_fixed = AttnGenerator(cfg.generator.replace(reference_mask_quirk=False))
    img = ImageEncoder(cfg.image_encoder, _report_init=False)
    img_half = ImageEncoder(cfg.image_encoder.replace(resize_align_corners=False),
                            _report_init=False)
    discs = [Discriminator(cfg.discriminator, i) for i in range(cfg.generator.branch_num)]
    for m in (text, gen, gen_fixed, img, img_half, *discs):
        m.build()
    for m in (gen, img, *discs):
        _randomize_batch_norms(m, rng)
    gen_fixed.set_weights(gen.get_weights())
    img_half.set_weights(img.get_weights())
    for name, m in (("text_encoder", text), ("image_encoder", img), ("netG", gen),
                    *((f"netD{i}", d) for i, d in enumerate(discs))):
        for k, v in export_state_dict(m).items():
            out[f"state/{name}/{k}"] = v

    lengths = np.asarray(lengths, np.int64)
    longest = int(lengths.max())
    mask = np.arange(steps)[None] < lengths[:, None]
    captions = rng.integers(1, cfg.text.vocab_size, (batch, steps)).astype(np.int64)
    captions[~mask] = 0
    noise = rng.normal(size=(batch, cfg.generator.z_dim)).astype(np.float32)
    eps = rng.normal(size=(batch, cfg.generator.condition_dim)).astype(np.float32)
    sizes = cfg.generator.image_sizes
    real = [rng.uniform(-1, 1, (batch, s, s, 3)).astype(np.float32) for s in sizes]
    class_ids = np.asarray(class_ids, np.int64)
    out.update({"in/captions": captions, "in/cap_lens": lengths, "in/noise": noise,
                "in/ca_eps": eps, "in/class_ids": class_ids})
    for i, r in enumerate(real):
        out[f"in/real_imgs/{i}"] = _nchw(r)

    words, sent = (np.asarray(t) for t in text(captions, lengths))
    out["out/words_emb"] = np.transpose(words, (0, 2, 1))[:, :, :longest]
    out["out/sent_emb"] = sent
    out["out/mask"] = (captions == 0)[:, :longest]

    def generate(model, prefix, training=False):
        g = model(noise, sent, words, mask, ca_noise=eps, training=training)
        for i, x in enumerate(g["images"]):
            out[f"{prefix}/fake_imgs/{i}"] = _nchw(x)
        for i, a in enumerate(g["attention_maps"]):
            out[f"{prefix}/att_maps/{i}"] = _nchw(a)[:, :longest]
        return g

    g = generate(gen, "out")
    generate(gen, "out_train", training=True)
    generate(gen_fixed, "alt_fixedmask")
    for k in ("c_code", "mu", "logvar"):
        out[f"out/{k}"] = np.asarray(g[k])
    fake = [np.asarray(x) for x in g["images"]]

    fake_outputs = []
    for i, d in enumerate(discs):
        f, r = d(fake[i], sent), d(real[i], sent)
        wrong = d.cond_head(r["h_code"][:-1], sent[1:])
        fake_outputs.append(f)
        out[f"out/D{i}/h_code"], out[f"out/D{i}/h_code_real"] = _nchw(f["h_code"]), _nchw(
            r["h_code"])
        for k in ("cond_logits", "uncond_logits"):
            out[f"out/D{i}/{k}"], out[f"out/D{i}/{k}_real"] = _sigmoid(f[k]), _sigmoid(r[k])
        out[f"out/D{i}/cond_logits_wrong"] = _sigmoid(wrong)
        out[f"out/D{i}/g_loss"] = np.float32(losses.bce_with_logits(f["uncond_logits"], 1.0)
                                             + losses.bce_with_logits(f["cond_logits"], 1.0))
        out[f"out/d_loss/{i}"] = np.float32(losses.discriminator_loss(r, f, wrong))

    for prefix, enc in (("out", img), ("alt_ac_false", img_half)):
        region, code = enc(fake[-1])
        region_real, code_real = enc(real[-1])
        out[f"{prefix}/region_features"], out[f"{prefix}/cnn_code"] = _nchw(region), code
        out[f"{prefix}/region_features_real"] = _nchw(region_real)
        out[f"{prefix}/cnn_code_real"] = np.asarray(code_real)
        w0, w1, att = losses.words_loss(region, words, mask, class_ids, cfg.loss)
        s0, s1 = losses.sentence_loss(code, sent, class_ids, cfg.loss)
        for k, v in (("words_loss0", w0), ("words_loss1", w1), ("sent_loss0", s0),
                     ("sent_loss1", s1)):
            out[f"{prefix}/{k}"] = np.float32(v)
        if prefix == "out":
            for i, n in enumerate(lengths):
                out[f"out/words_att/{i}"] = np.transpose(np.asarray(att)[i], (2, 0, 1))[None, :n]
            g_total = losses.generator_loss(fake_outputs, region, code, words, sent, mask,
                                            class_ids, cfg.loss)["total"]
            kl = losses.kl_loss(g["mu"], g["logvar"])
            out["out/kl_loss"] = np.float32(kl)
            out["out/g_total"] = np.float32(g_total)
            out["out/g_total_with_kl"] = np.float32(g_total + kl)
    out = {k: np.asarray(v) for k, v in out.items()}
    np.savez(path, **out)
    return out
