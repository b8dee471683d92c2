"""Draw captions with the TFLite export on LiteRT -- the runtime an app ships, no TensorFlow.

    attngan export --model saved_models/synbirds --format tflite --out runs/tflite
    pip install 'attngan-tf[litert]'          # ai-edge-litert
    python examples/tflite_generate.py --model runs/tflite --seed 3 \\
        "a small bird with a red crown" "a big bird with blue wings"

Everything an app does on a device, in plain Python: reads ``vocabulary.json``,
turns each caption into token ids by the library's rule (below; the same as the
SavedModel's in-graph tokenizer), draws the noise with NumPy, runs
``attngan.tflite`` through LiteRT's ``Interpreter`` signature runner and writes
``OUT/NNN.png``. This file imports neither TensorFlow nor ``attngan_tf``.
Well under a second per picture on a CPU.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import numpy as np
from absl import app, flags
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

flags.DEFINE_string("model", "runs/tflite", "Directory of `attngan export --format tflite` "
                    "(attngan.tflite and vocabulary.json).")
flags.DEFINE_string("out", "runs/tflite_samples", "Output directory for the PNGs.")
flags.DEFINE_integer("seed", 0, "Noise seed of the first caption (caption i: seed + i).")
FLAGS = flags.FLAGS

_WORD = re.compile(r"\w+")


def tokenize(caption: str | bytes, words: list[str], words_num: int) -> tuple[np.ndarray, int]:
    """The library's rule: ``(ids [words_num] int32, known word count)``.

    Invalid UTF-8 becomes a separator; lower case; runs of word characters are
    tokens; non-ASCII characters are deleted from each token; words not in the
    vocabulary are dropped; the first ``words_num`` known words are kept;
    padding is 0 (``words[0]`` is ``<end>``, never a caption word).
    """
    if isinstance(caption, bytes):
        caption = caption.decode("utf-8", errors="replace")
    index = {word: i for i, word in enumerate(words)}
    ids = []
    for token in _WORD.findall(caption.lower()):
        token = token.encode("ascii", "ignore").decode("ascii")
        if token and index.get(token, 0) > 0:
            ids.append(index[token])
    ids = ids[:words_num]
    return np.array(ids + [0] * (words_num - len(ids)), np.int32), len(ids)


def load_vocabulary(path: pathlib.Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("words"), list):
        raise ValueError(f"{path}: not an attngan_tf vocabulary file")
    return data["words"]


class TFLiteGenerator:
    """``attngan.tflite`` + ``vocabulary.json`` on LiteRT: captions -> uint8 pictures."""

    def __init__(self, directory):
        directory = pathlib.Path(directory)
        self.words = load_vocabulary(directory / "vocabulary.json")
        self.interpreter = Interpreter(model_path=str(directory / "attngan.tflite"))
        self.runner = self.interpreter.get_signature_runner()
        details = self.runner.get_input_details()
        self.batch, self.words_num = (int(d) for d in details["token_ids"]["shape"])
        self.z_dim = int(details["noise"]["shape"][1])
        self.condition_dim = int(details["ca_noise"]["shape"][1])

    def noise(self, seeds) -> tuple[np.ndarray, np.ndarray]:
        """``(noise [N, z_dim], ca_noise [N, condition_dim])`` drawn by NumPy from each seed."""
        draws = [np.random.default_rng(int(s)) for s in seeds]
        return (np.stack([g.standard_normal(self.z_dim) for g in draws]).astype(np.float32),
                np.stack([g.standard_normal(self.condition_dim) for g in draws]).astype(
                    np.float32))

    def __call__(self, captions, seeds) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """``(float32 images [N, S, S, 3] in [-1, 1], uint8 images, known words per caption)``."""
        if isinstance(captions, str) or not len(captions):
            raise ValueError("captions: give a list of at least one caption")
        if len(seeds) != len(captions):
            raise ValueError(f"seeds: give one per caption ({len(captions)}), got {len(seeds)}")
        tokens = [tokenize(c, self.words, self.words_num) for c in captions]
        noise, ca_noise = self.noise(seeds)
        images = []
        for start in range(0, len(captions), self.batch):
            chunk = slice(start, start + self.batch)
            ids = np.stack([t[0] for t in tokens[chunk]])
            lengths = np.array([max(t[1], 1) for t in tokens[chunk]], np.int32)
            z, c = noise[chunk], ca_noise[chunk]
            short = self.batch - len(ids)  # pad the last chunk to the model's fixed batch
            if short:
                ids, lengths, z, c = (np.concatenate([a, np.repeat(a[:1], short, 0)])
                                      for a in (ids, lengths, z, c))
            out = self.runner(token_ids=ids, lengths=lengths, noise=z, ca_noise=c)["images"]
            images.append(out[:self.batch - short])
        images = np.concatenate(images)
        pixels = np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
        return images, pixels, [t[1] for t in tokens]


def main(argv):
    captions = argv[1:]
    if not captions:
        raise app.UsageError("give at least one caption")
    try:
        generator = TFLiteGenerator(FLAGS.model)
    except (OSError, ValueError) as error:
        sys.exit(f"tflite_generate: {error}")
    _, pixels, known = generator(captions, [FLAGS.seed + i for i in range(len(captions))])
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, caption in enumerate(captions):
        Image.fromarray(pixels[i]).save(out / f"{i:03d}.png")
        print(f"{out / f'{i:03d}.png'}: {caption!r} ({known[i]} known words)")


if __name__ == "__main__":
    app.run(main)
