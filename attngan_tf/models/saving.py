"""The directory layout shared by saved models: ``config.json`` + ``vocabulary.json`` + weights."""

from __future__ import annotations

import json
import os
import pathlib

from ..config import AttnGANConfig
from ..text.vocabulary import VOCABULARY_FILE, Vocabulary

__all__ = ["CONFIG_FILE", "write_model_directory", "read_model_directory"]

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
    try:
        config = AttnGANConfig.from_dict(json.loads((directory / CONFIG_FILE).read_text()))
    except (OSError, ValueError) as e:
        raise ValueError(f"{directory}: not {kind} ({e})") from e
    for name in weights:
        if not (directory / name).is_file():
            raise ValueError(f"{directory}: not {kind} (no {name})")
    return config, Vocabulary.load(directory / VOCABULARY_FILE)
