"""The output directory of a training run: its configuration and vocabulary."""

from __future__ import annotations

import pathlib

from ..config import AttnGANConfig
from ..text import Vocabulary

__all__ = ["check_run_directory"]


def check_run_directory(out: str | pathlib.Path, config: AttnGANConfig,
                        vocabulary: Vocabulary) -> None:
    """Creates ``out`` with ``config.json`` and ``vocabulary.json``, or checks them.

    A re-run (resume) must use the same configuration and vocabulary as the
    run that wrote the directory; anything else is a ``ValueError`` asking for
    a new directory, so checkpoints are never loaded into a different model.
    """
    out = pathlib.Path(out)
    saved = out / "config.json"
    if saved.is_file():
        previous = AttnGANConfig.from_json(saved.read_text())
        if previous != config:
            raise ValueError(f"{out}: holds a run with a different configuration; "
                             "use a new --out directory")
    else:
        out.mkdir(parents=True, exist_ok=True)
        saved.write_text(config.to_json(indent=1))
    vocab_file = out / "vocabulary.json"
    if vocab_file.is_file():
        if Vocabulary.load(vocab_file) != vocabulary:
            raise ValueError(f"{out}: holds a run with a different vocabulary")
    else:
        vocabulary.save(vocab_file)
