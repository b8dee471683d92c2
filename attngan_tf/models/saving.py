"""The directory layout shared by saved models: ``config.json`` + ``vocabulary.json`` + weights."""

from __future__ import annotations

import json
import os
import pathlib

from ..config import AttnGANConfig
from ..text.vocabulary import VOCABULARY_FILE, Vocabulary

__all__ = ["CONFIG_FILE", "write_model_directory", "read_model_directory", "load_weights_file"]

CONFIG_FILE = "config.json"


def write_model_directory(directory: str | os.PathLike, config: AttnGANConfig,
                          vocabulary: Vocabulary) -> pathlib.Path:
    """Creates ``directory`` with the config and vocabulary (checked to agree)."""
    if len(vocabulary) != config.text.vocab_size:
        raise ValueError(f"vocabulary: {len(vocabulary)} words, but the text encoder has "
                         f"{config.text.vocab_size}")
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_FILE).write_text(config.to_json(indent=1))
    vocabulary.save(directory / VOCABULARY_FILE)
    return directory


def read_model_directory(directory: str | os.PathLike, kind: str,
                         weights: tuple[str, ...] = ()) -> tuple[AttnGANConfig, Vocabulary]:
    """Reads the config and vocabulary of a saved ``kind`` (named in errors).

    Also checks that the ``weights`` files exist.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory}: not {kind} (no such directory)")
    try:
        config = AttnGANConfig.from_dict(json.loads((directory / CONFIG_FILE).read_text()))
    except (OSError, ValueError, TypeError) as e:
        raise ValueError(f"{directory / CONFIG_FILE}: not the configuration of {kind} ({e})") \
            from e
    for name in weights:
        if not (directory / name).is_file():
            raise ValueError(f"{directory}: not {kind} (no {name})")
    return config, Vocabulary.load(directory / VOCABULARY_FILE)


def load_weights_file(network, path: str | os.PathLike) -> None:
    """``network.load_weights(path)``; a damaged file, or one of a network of another
    configuration, is a ``ValueError`` naming the file."""
    try:
        network.load_weights(str(path))
    except (OSError, ValueError, KeyError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path}: cannot load these weights into {network.name} ({reason[:300]}); "
                         "the file is damaged or belongs to a model of another "
                         "configuration") from e
