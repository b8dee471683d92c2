"""Reads the original AttnGAN's released PyTorch files and writes our model directory.

The original release (``bird_AttnGAN2.pth``, ``text_encoder200.pth``,
``image_encoder200.pth`` and the data set's ``captions.pickle``) stores
``state_dict()``\\ s written by ``torch.save`` -- the legacy (pre-1.6) pickle
format for the released files, the zip format for anything saved since.
:func:`read_torch_state_dict` reads either with ``torch.load(...,
weights_only=True)`` (tensors and containers only: no code from the file runs);
torch is an optional dependency (``pip install 'attngan-tf[torch]'``), imported
only here.

:func:`convert_release` builds an :class:`~attngan_tf.models.AttnGAN` from a
preset, loads the three state dicts through :mod:`attngan_tf.convert.state_dict`
(which names any unexpected, missing or misshapen key) and saves it with
:func:`~attngan_tf.models.save_attngan`, so ``attngan sample``, ``attngan
export`` and ``attngan evaluate`` read it like a model we trained. The release
has no discriminators, so the directory holds none (it cannot resume training).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Mapping

import numpy as np

from .state_dict import StateDictError, load_generator, load_image_encoder, load_text_encoder

__all__ = ["read_torch_state_dict", "convert_release", "MissingDependencyError", "TORCH_HINT"]

TORCH_HINT = ("reading PyTorch files needs torch: pip install 'attngan-tf[torch]' "
              "(or any torch >= 1.13)")


class MissingDependencyError(ImportError):
    """An optional dependency (torch) is not installed; the message says how to get it."""


def _import_torch():
    try:
        import torch
    except ImportError as e:
        raise MissingDependencyError(TORCH_HINT) from e
    return torch


def read_torch_state_dict(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The state dict in a ``torch.save`` file, as float32 NumPy arrays.

    Reads the legacy and the zip format. A file whose every key starts with
    ``module.`` (saved from ``nn.DataParallel``) has the prefix removed; a
    ``{"state_dict": {...}}`` wrapper is unwrapped.

    Raises:
        FileNotFoundError: no such file.
        MissingDependencyError: torch is not installed (an ImportError saying how
            to install it).
        StateDictError: the file is not a state dict (names what it holds or
            the first entry that is not a tensor).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    torch = _import_torch()
    try:
        content = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 -- torch raises many types for a bad file
        raise StateDictError(
            f"{path}: not a PyTorch state dict torch.load can read with weights_only=True "
            f"(tensors only; a pickled nn.Module must be re-saved as module.state_dict()): "
            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    if isinstance(content, Mapping) and set(content) == {"state_dict"}:
        content = content["state_dict"]
    if not isinstance(content, Mapping) or not content:
        raise StateDictError(f"{path}: holds {type(content).__name__}"
                             f"{' (empty)' if isinstance(content, Mapping) else ''}, "
                             f"not a state dict of parameter names to tensors")
    state = {}
    for key, value in content.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise StateDictError(f"{path}: entry {key!r} is a {type(value).__name__}, "
                                 f"not a tensor")
        state[key] = value.detach().to(torch.float32).cpu().numpy()
    if all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    return state


def convert_release(netg: str | os.PathLike, text_encoder: str | os.PathLike,
                    image_encoder: str | os.PathLike, captions: str | os.PathLike,
                    preset: str, out: str | os.PathLike, *,
                    reference_mask_quirk: bool = True,
                    resize_align_corners: bool = True) -> pathlib.Path:
    """Converts the original release files to our model directory ``out``.

    Args:
        netg: the generator's ``G_NET`` state dict (e.g. ``bird_AttnGAN2.pth``;
            with ``preset="bird_attndcgan2"`` a ``G_DCGAN`` one such as
            ``bird_AttnDCGAN2.pth``; the reference saves its weight average
            there, so it becomes both our ``generator`` and ``ema_generator``).
        text_encoder: ``RNN_ENCODER`` state dict (``text_encoder200.pth``).
        image_encoder: ``CNN_ENCODER`` state dict (``image_encoder200.pth``).
        captions: the data set's ``captions.pickle`` (its ``ixtoword`` is the
            vocabulary the text encoder was trained with).
        preset: the architecture (``birds``, ``coco``, ...); its vocabulary size
            is replaced by the pickle's.
        out: directory to write (``config.json``, ``vocabulary.json``, weights).
        reference_mask_quirk: the attention mask as the original code applied it
            (True: how the released weights were trained).
        resize_align_corners: the image encoder's 299 px resize as the PyTorch
            of the release did it (True: align corners).

    Returns:
        ``out`` as a path.

    Raises:
        StateDictError: a file does not fit the preset (names the key).
    """
    from ..config import get_preset
    from ..models.attngan import AttnGAN, save_attngan
    from ..text.vocabulary import Vocabulary

    vocabulary = Vocabulary.from_reference_pickle(captions)
    states = {"netG": read_torch_state_dict(netg),
              "text_encoder": read_torch_state_dict(text_encoder),
              "image_encoder": read_torch_state_dict(image_encoder)}
    config = get_preset(preset)
    config = config.replace(
        text=config.text.replace(vocab_size=len(vocabulary)),
        generator=config.generator.replace(reference_mask_quirk=reference_mask_quirk),
        image_encoder=dataclasses.replace(config.image_encoder,
                                          resize_align_corners=resize_align_corners))
    embedding = states["text_encoder"].get("encoder.weight")
    if embedding is not None and embedding.shape[0] != len(vocabulary):
        raise StateDictError(
            f"text_encoder: key 'encoder.weight' has {embedding.shape[0]} rows but "
            f"{captions} has {len(vocabulary)} words: the files are from different data sets")
    model = AttnGAN(config)
    model.build()
    load_text_encoder(model.text_encoder, states["text_encoder"])
    load_image_encoder(model.image_encoder, states["image_encoder"])
    load_generator(model.generator, states["netG"])
    model.ema_generator.set_weights(model.generator.get_weights())
    return save_attngan(model, out, vocabulary, discriminators=False)
