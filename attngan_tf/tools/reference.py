"""What the two parity checks share: the reference files' layout and their pass rule.

:mod:`attngan_tf.tools.parity` (forward outputs) and
:mod:`attngan_tf.tools.training_parity` (training iterations) both read
``shared/reference_vectors`` files: a config (``config_json``), the original's
weights under ``state/<module>/<torch name>`` in NCHW, and compare each key
with a tolerance relative to the reference's peak.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np

__all__ = ["KeyResult", "TOLERANCE", "tolerance_for", "config_from_reference"]


@dataclasses.dataclass(frozen=True)
class KeyResult:
    key: str
    max_abs_error: float
    tolerance: float
    passed: bool
    note: str = ""
    skipped: bool = False  # not checked (the note says why)

    def line(self) -> str:
        status = "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")
        err = "-" if np.isnan(self.max_abs_error) else f"{self.max_abs_error:.3e}"
        tol = "-" if np.isnan(self.tolerance) else f"{self.tolerance:.3e}"
        text = f"{self.key:<40s} max_abs_err={err:>10s} tol={tol:>10s} {status}"
        return f"{text}  ({self.note})" if self.note else text


#: Relative tolerance per precision our models run in (see the module docstring).
TOLERANCE = {"float64": 1e-4, "float32": 5e-4}


def tolerance_for(reference: np.ndarray, precision: str = "float64") -> float:
    ref = np.asarray(reference, dtype=np.float64)
    peak = float(np.max(np.abs(ref))) if ref.size else 0.0
    return TOLERANCE[precision] * (1.0 + peak)


@contextlib.contextmanager
def _keras_precision(precision: str):
    """Builds and runs models in ``precision``; restores the global policy after."""
    import keras

    if precision not in TOLERANCE:
        raise ValueError(f"precision: must be one of {sorted(TOLERANCE)}, got {precision!r}")
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(precision)
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


def config_from_reference(meta: dict):
    """Builds an :class:`AttnGANConfig` from a reference file's ``config_json``."""
    from ..config import AttnGANConfig

    rnn_type = meta.get("rnn_type", "LSTM")
    if rnn_type != "LSTM":
        raise ValueError(f"config_json: rnn_type {rnn_type!r} is not supported (LSTM only)")
    return AttnGANConfig.build(
        "reference", vocab_size=int(meta["vocab_size"]), words_num=int(meta["words_num"]),
        captions_per_image=1, embedding_dim=int(meta["embedding_dim"]),
        gf_dim=int(meta["gf_dim"]), df_dim=int(meta["df_dim"]), z_dim=int(meta["z_dim"]),
        condition_dim=int(meta["condition_dim"]), r_num=int(meta["r_num"]),
        branch_num=int(meta["branch_num"]), gamma1=float(meta["gamma1"]),
        gamma2=float(meta["gamma2"]), gamma3=float(meta["gamma3"]),
        damsm_lambda=float(meta["lambda"]), word_dim=int(meta.get("text_input_dim", 300)),
        reference_mask_quirk=True, resize_align_corners=True)


def _nchw(x) -> np.ndarray:
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


def _nhwc(x) -> np.ndarray:
    return np.transpose(np.asarray(x), (0, 2, 3, 1))


def _state(data, module: str) -> dict:
    prefix = f"state/{module}/"
    return {k[len(prefix):]: data[k] for k in data.files if k.startswith(prefix)}
