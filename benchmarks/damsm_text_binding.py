"""Why DAMSM on SynBirds stalls near R-precision@1 0.5: the text side does not bind colours to parts.

    python benchmarks/damsm_text_binding.py --mode ceilings
    python benchmarks/damsm_text_binding.py --mode oracle_image --epochs 24
    python benchmarks/damsm_text_binding.py --mode oracle_both --epochs 4

``ceilings``: R@1 on the test split (caption 0 per image, 99 random other
images' captions, the metric's protocol) of ideal scorers that know, per image,
everything (``full``), the set of bird colours but not which part has which
(``bag``), or everything but the beak. A scorer ranks captions by the
pointwise information of what they state; contradicted captions rank last.

``oracle_image``: the image side replaced by a perfect one (an MLP on the true
attribute one-hots, binding given); our bi-LSTM ``TextEncoder`` (preset
``synbirds``) trained with the sentence loss and the reference optimiser. Prints
the test R@1 per epoch and, at the end, why the true caption lost (the best
wrong caption is also true / true of the image's colours but on other parts /
wrong in other ways).

``oracle_both``: both sides oracles (MLPs on the attribute one-hots of the
image and of what the caption states) -- what the sentence loss and cosine
ranking can reach at all.
"""

import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from attngan_tf import losses  # noqa: E402
from attngan_tf.config import get_preset  # noqa: E402
from attngan_tf.data import load_dataset  # noqa: E402
from attngan_tf.metrics import r_precision_from_features  # noqa: E402
from attngan_tf.models import TextEncoder  # noqa: E402
from attngan_tf.synbirds.attributes import (ATTRIBUTE_NAMES, BACKGROUND_COLOURS,  # noqa: E402
                                            BIRD_COLOURS, PART_NAMES, SIZES)
from attngan_tf.synbirds.build import load_attributes  # noqa: E402
from attngan_tf.synbirds.captions import mentioned_attributes  # noqa: E402
from attngan_tf.text.tokenizer import python_tokenize  # noqa: E402

flags.DEFINE_enum("mode", "ceilings", ["ceilings", "oracle_image", "oracle_both"], "Experiment.")
flags.DEFINE_string("root", None, "SynBirds cache root (default: the library's).")
flags.DEFINE_integer("epochs", 8, "Training epochs (oracle modes).")
flags.DEFINE_integer("batch_size", 48, "Batch size (oracle modes).")
FLAGS = flags.FLAGS

VALUES = {**{p: list(BIRD_COLOURS) for p in PART_NAMES}, "size": list(SIZES),
          "background": list(BACKGROUND_COLOURS)}
OFFSET = dict(zip(ATTRIBUTE_NAMES, np.cumsum([0] + [len(VALUES[a]) for a in ATTRIBUTE_NAMES])))
WIDTH = sum(len(v) for v in VALUES.values())


def _one_hot(values: dict) -> np.ndarray:
    out = np.zeros(WIDTH, np.float32)
    for name, value in values.items():
        out[OFFSET[name] + VALUES[name].index(value)] = 1.0
    return out


def _split(root, records, split, vocabulary=None):
    """(records, image one-hots [N, W], captions as text [N, 10])."""
    rows = [r for r in records.values() if r["split"] == split]
    captions = [(root / "text" / (r["filename"] + ".txt")).read_text().strip().split("\n")[:10]
                for r in rows]
    return rows, np.stack([_one_hot({a: r[a] for a in ATTRIBUTE_NAMES}) for r in rows]), captions


def _ranking_trials(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.choice(np.delete(np.arange(n), i), 99, replace=False) for i in range(n)]


def ceilings(root, records):
    rows, _, captions = _split(root, records, "test")
    stated = [mentioned_attributes(c[0]) for c in captions]
    trials = _ranking_trials(len(rows))
    for mode in ("full", "bag", "all but beak"):
        hits = 0
        for i, record in enumerate(rows):
            colours = {record[p] for p in PART_NAMES}
            allowed = {a: {record[a]} for a in ATTRIBUTE_NAMES}
            if mode == "bag":
                allowed.update({p: colours for p in PART_NAMES})
            elif mode == "all but beak":
                allowed["beak"] = set(BIRD_COLOURS)

            def score(caption, salt):
                if any(v not in allowed[a] for a, v in caption.items()):
                    return -np.inf
                return sum(np.log(len(VALUES[a]) / len(allowed[a])) for a in caption) + salt

            rng = np.random.default_rng(i)
            true = score(stated[i], rng.uniform(0, 1e-6))
            hits += true > max(score(stated[j], rng.uniform(0, 1e-6)) for j in trials[i])
        print(f"ideal scorer knowing {mode:>12s}: R@1 = {hits / len(rows):.3f}")


def _train(encode_text, image_code, variables, train, test):
    optimizer = keras.optimizers.Adam(2e-3, beta_1=0.5, beta_2=0.999, epsilon=1e-8)

    @tf.function
    def step(images, texts, classes):
        with tf.GradientTape() as tape:
            l0, l1 = losses.sentence_loss(image_code(images), encode_text(texts, True), classes)
            loss = l0 + l1
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    rng = np.random.default_rng(0)
    images, texts, classes = train
    for epoch in range(FLAGS.epochs):
        start, order, values = time.perf_counter(), rng.permutation(len(images)), []
        for b in range(0, len(order) - FLAGS.batch_size + 1, FLAGS.batch_size):
            idx = order[b:b + FLAGS.batch_size]
            choice = rng.integers(0, 10, len(idx))
            values.append(float(step(images[idx], tf.nest.map_structure(
                lambda t: t[idx, choice], texts), classes[idx])))
        result = r_precision_from_features(image_code(test[0]).numpy(),
                                           encode_text(test[1], False).numpy(), runs=1)
        print(f"epoch {epoch + 1}: loss {np.mean(values):.3f}, test R@1 {result.mean:.3f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)


def oracle(root, records, both: bool):
    keras.utils.set_random_seed(0)
    train_rows, train_images, train_captions = _split(root, records, "train")
    test_rows, test_images, test_captions = _split(root, records, "test")
    classes = np.array([r["class_id"] for r in train_rows], np.int32)
    mlp = lambda: keras.Sequential([keras.layers.Dense(256, activation="relu"),  # noqa: E731
                                    keras.layers.Dense(128)])
    image_mlp = mlp()
    image_mlp.build((None, WIDTH))
    if both:
        text_mlp = mlp()
        text_mlp.build((None, WIDTH))
        stated = lambda caps: np.stack([[_one_hot(mentioned_attributes(c)) for c in row]  # noqa
                                        for row in caps])
        train_texts, test_texts = stated(train_captions), stated(test_captions)[:, 0]
        encode = lambda t, training: text_mlp(t)  # noqa: E731
        variables = image_mlp.trainable_variables + text_mlp.trainable_variables
    else:
        vocabulary = load_dataset("synbirds", FLAGS.root, "train").vocabulary
        config = get_preset("synbirds")
        text = TextEncoder(config.text.replace(vocab_size=len(vocabulary)))
        text.build()
        words = config.text.words_num

        def ids(caps):
            out = np.zeros((len(caps), len(caps[0]), words), np.int32)
            for i, row in enumerate(caps):
                for j, c in enumerate(row):
                    tokens = [t for t in vocabulary.encode(python_tokenize(c)) if t][:words]
                    out[i, j, :len(tokens)] = tokens
            return out, (out > 0).sum(-1).astype(np.int32)

        train_texts = ids(train_captions)
        test_ids, test_lengths = ids([row[:1] for row in test_captions])
        test_texts = (test_ids[:, 0], test_lengths[:, 0])
        encode = lambda t, training: text(t[0], t[1], training=training)[1]  # noqa: E731
        variables = text.trainable_variables + image_mlp.trainable_variables
    _train(encode, image_mlp, variables, (train_images, train_texts, classes),
           (test_images, test_texts))
    if both:
        return
    # Why did the true caption lose?
    img = image_mlp(test_images).numpy()
    sent = encode(test_texts, False).numpy()
    img /= np.linalg.norm(img, axis=1, keepdims=True)
    sent /= np.linalg.norm(sent, axis=1, keepdims=True)
    stated = [mentioned_attributes(c[0]) for c in test_captions]
    reasons = {"won": 0, "winner also true": 0, "winner true of the colours, other parts": 0,
               "winner wrong otherwise": 0}
    for i, others in enumerate(_ranking_trials(len(img))):
        scores = sent[others] @ img[i]
        if sent[i] @ img[i] > scores.max():
            reasons["won"] += 1
            continue
        record, caption = test_rows[i], stated[others[np.argmax(scores)]]
        colours = {record[p] for p in PART_NAMES}
        if all(record[a] == v for a, v in caption.items()):
            reasons["winner also true"] += 1
        elif all((v in colours) if a in PART_NAMES else record[a] == v
                 for a, v in caption.items()):
            reasons["winner true of the colours, other parts"] += 1
        else:
            reasons["winner wrong otherwise"] += 1
    for reason, count in reasons.items():
        print(f"  {reason}: {count}")


def main(argv):
    del argv
    dataset = load_dataset("synbirds", FLAGS.root, "test")
    root = pathlib.Path(dataset.index.root)
    records = load_attributes(root)
    if FLAGS.mode == "ceilings":
        ceilings(root, records)
    else:
        oracle(root, records, both=FLAGS.mode == "oracle_both")


if __name__ == "__main__":
    app.run(main)
