"""The word vocabulary: an ordered list of words whose position is the token id.

Id 0 is ``<end>``, which is also the padding id (the reference's
``wordtoix['<end>'] = 0``). Words are numbered 1.. in the order in which they
first appear in the training captions and then the test captions, the order the
reference's ``build_dictionary`` produces under Python 3. When the reference's
``captions.pickle`` is present its ``ixtoword`` table is used verbatim, so
models trained from that file keep their ids.

Unknown words (not in the vocabulary) look up to :data:`UNKNOWN_ID`, which is
0, and are then dropped from the caption by :mod:`attngan_tf.text.tokenizer`
-- the reference's sampling code skipped words missing from ``wordtoix`` the
same way. A vocabulary is saved as ``vocabulary.json`` next to every model and
checkpoint.
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
from typing import Iterable, Sequence

from ..pickles import load_plain_pickle

__all__ = ["END_TOKEN", "END_ID", "UNKNOWN_ID", "VOCABULARY_FILE", "Vocabulary"]

END_TOKEN = "<end>"
#: Id of ``<end>``; also the padding id.
END_ID = 0
#: Id unknown words look up to before they are dropped (shared with ``<end>``).
UNKNOWN_ID = 0
#: File name a vocabulary is saved under next to models and checkpoints.
VOCABULARY_FILE = "vocabulary.json"
_FORMAT = "attngan_tf.vocabulary"
_VERSION = 1


class Vocabulary:
    """An immutable id <-> word table with ``words[0] == "<end>"``.

    Args:
        words: every word in id order, starting with ``"<end>"``.
    """

    def __init__(self, words: Sequence[str]):
        words = tuple(str(w) for w in words)
        if not words or words[0] != END_TOKEN:
            raise ValueError(f"words: the first entry must be {END_TOKEN!r}, "
                             f"got {words[:1]!r}")
        index = {}
        for i, word in enumerate(words):
            if not word:
                raise ValueError(f"words: entry {i} is empty")
            if word in index:
                raise ValueError(f"words: {word!r} appears twice (ids {index[word]} and {i})")
            index[word] = i
        self._words = words
        self._index = index

    # -- construction -----------------------------------------------------
    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]]) -> "Vocabulary":
        """Numbers every distinct token in order of first appearance.

        Pass the training captions' tokens first, then the test captions', as
        the reference did.
        """
        seen = {END_TOKEN: None}
        for tokens in token_lists:
            for token in tokens:
                if token not in seen:
                    seen[token] = None
        return cls(list(seen))

    @classmethod
    def from_reference_pickle(cls, path: str | os.PathLike) -> "Vocabulary":
        """Reads ``ixtoword`` from the reference's ``captions.pickle``.

        The file holds ``[train_captions, test_captions, ixtoword, wordtoix]``.
        """
        path = pathlib.Path(path)
        try:
            with open(path, "rb") as f:
                content = load_plain_pickle(f)
            ixtoword, wordtoix = content[2], dict(content[3])
            words = [ixtoword[i] for i in range(len(ixtoword))]
        except (OSError, pickle.UnpicklingError, EOFError, IndexError, KeyError, TypeError,
                ValueError, AttributeError) as e:
            raise ValueError(f"{path}: not a reference captions.pickle "
                             f"([train, test, ixtoword, wordtoix]): {e}") from e
        words = [w.decode("utf-8") if isinstance(w, bytes) else w for w in words]
        vocab = cls(words)
        for word, i in wordtoix.items():
            word = word.decode("utf-8") if isinstance(word, bytes) else word
            if vocab._index.get(word) != i:
                raise ValueError(f"{path}: wordtoix[{word!r}] = {i} disagrees with ixtoword")
        return vocab

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Reads a file written by :meth:`save` (a directory means its ``vocabulary.json``)."""
        path = pathlib.Path(path)
        if path.is_dir():
            path = path / VOCABULARY_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: cannot read vocabulary: {e}") from e
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"{path}: not an attngan_tf vocabulary file")
        if data.get("version") != _VERSION:
            raise ValueError(f"{path}: unsupported vocabulary version {data.get('version')!r}")
        return cls(data["words"])

    def save(self, path: str | os.PathLike) -> pathlib.Path:
        """Writes the vocabulary as JSON.

        A path ending in ``.json`` is the file; any other path is a directory
        (created if needed) that gets ``vocabulary.json``.
        """
        path = pathlib.Path(path)
        if path.suffix != ".json":
            path = path / VOCABULARY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": _FORMAT, "version": _VERSION, "words": list(self._words)}
        path.write_text(json.dumps(payload, ensure_ascii=True, indent=0), encoding="utf-8")
        return path

    # -- queries -----------------------------------------------------------
    @property
    def words(self) -> tuple[str, ...]:
        return self._words

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other._words == self._words

    def __hash__(self) -> int:
        return hash(self._words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words)"

    def id_of(self, word: str) -> int:
        """Id of ``word``, or :data:`UNKNOWN_ID`."""
        return self._index.get(word, UNKNOWN_ID)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of known tokens; unknown tokens are dropped (plain Python)."""
        return [self._index[t] for t in tokens if t in self._index and self._index[t] != END_ID]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids``, stopping at the first ``<end>``/padding id."""
        words = []
        for i in ids:
            i = int(i)
            if i == END_ID:
                break
            if not 0 < i < len(self._words):
                raise ValueError(f"ids: {i} is outside the vocabulary (size {len(self)})")
            words.append(self._words[i])
        return words
