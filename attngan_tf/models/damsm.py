"""DAMSM: the text and image encoders trained together with the matching losses.

``DAMSM(config)`` holds a :class:`TextEncoder` and an :class:`ImageEncoder`;
``fit``/``evaluate`` run the word loss and sentence loss in both directions
(γ1, γ2, γ3 of ``config.loss``, same-class masking by ``class_ids``) on
batches of the data pipeline (:mod:`attngan_tf.data`).

Optimisation defaults follow the reference's ``pretrain_DAMSM.py``: Adam with
learning rate 0.002 and betas (0.5, 0.999), the text encoder's gradients
clipped to global norm 0.25, and the learning rate multiplied by 0.98 after
every epoch until it reaches a tenth of its start (applied by ``fit``). All
are arguments of :meth:`DAMSM.compile`. (The reference also recreated its
optimizer, and so reset Adam's moments, every epoch; we keep them.)

Metrics: ``loss``, ``words_loss0/1``, ``sent_loss0/1`` and ``r_precision``,
the R-precision@1 of each batch: every image ranks its own caption against
the other captions of the batch (99 of them at batch size 100). The paper's
R-precision over a whole split is :func:`attngan_tf.metrics.r_precision`.
"""

from __future__ import annotations

import os
import pathlib

import keras
import tensorflow as tf
from keras import ops

from .. import losses
from ..config import AttnGANConfig
from ..configurable import PACKAGE, ConfigModel
from ..ops.fused_adam import FusedAdam
from ..text.vocabulary import Vocabulary
from .image_encoder import ImageEncoder
from .saving import load_weights_file, read_model_directory, write_model_directory
from .text_encoder import TextEncoder

__all__ = ["DAMSM", "damsm_learning_rate", "load_damsm"]

_METRICS = ("loss", "words_loss0", "words_loss1", "sent_loss0", "sent_loss1", "r_precision")
_WEIGHTS = ("text_encoder.weights.h5", "image_encoder.weights.h5")


def damsm_learning_rate(epoch: int, initial: float = 2e-3, decay: float = 0.98,
                        floor: float = 0.1) -> float:
    """The reference's schedule: ``lr *= decay`` after each epoch while ``lr > floor·initial``."""
    lr = initial
    for _ in range(epoch):
        if lr <= initial * floor:
            break
        lr *= decay
    return lr


@keras.saving.register_keras_serializable(package=PACKAGE)
class DAMSM(ConfigModel):
    """Deep attentional multimodal similarity model (text + image encoders).

    Args:
        config: :class:`AttnGANConfig` (its ``text``, ``image_encoder`` and ``loss``).
        trunk_weights: optional local Inception-v3 weights (see :class:`ImageEncoder`).

    Call: ``damsm(batch, training=False)`` with a pipeline batch (``images``
    tuple or tensor -- the largest scale is used --, ``captions [B, T]``,
    ``lengths [B]``) returns a dict: ``words_emb [B, T, D]``, ``sent_emb
    [B, D]``, ``region_features [B, R, R, D]``, ``cnn_code [B, D]``,
    ``word_mask [B, T]``.
    """

    config_class = AttnGANConfig

    def __init__(self, config: AttnGANConfig, trunk_weights: str | None = None, **kwargs):
        super().__init__(config, **kwargs)
        self.text_encoder = TextEncoder(self.config.text, name="text_encoder")
        self.image_encoder = ImageEncoder(self.config.image_encoder, trunk_weights=trunk_weights,
                                          name="image_encoder")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in _METRICS}
        self.text_grad_clip = 0.25
        self.lr_decay = 0.98
        self.lr_floor = 0.1

    def build(self, input_shape=None):
        self.text_encoder.build()
        self.image_encoder.build()

    # -- forward -------------------------------------------------------------
    @staticmethod
    def _images(batch):
        images = batch["images"]
        return images[-1] if isinstance(images, (tuple, list)) else images

    def call(self, batch, training=None):
        captions, lengths = batch["captions"], batch["lengths"]
        words_emb, sent_emb = self.text_encoder(captions, lengths, training=training)
        region_features, cnn_code = self.image_encoder(self._images(batch), training=training)
        word_mask = ops.arange(ops.shape(captions)[1])[None, :] < ops.cast(lengths, "int32")[:, None]
        return {"words_emb": words_emb, "sent_emb": sent_emb, "region_features": region_features,
                "cnn_code": cnn_code, "word_mask": word_mask}

    def global_features(self, batch):
        """``(cnn_code [B, D], sent_emb [B, D])`` in inference mode."""
        out = self(batch, training=False)
        return out["cnn_code"], out["sent_emb"]

    def compute_losses(self, out, class_ids=None) -> dict:
        """The four DAMSM losses, their sum and the batch R-precision@1."""
        w0, w1, attention = losses.words_loss(out["region_features"], out["words_emb"],
                                              out["word_mask"], class_ids, self.config.loss)
        s0, s1 = losses.sentence_loss(out["cnn_code"], out["sent_emb"], class_ids,
                                      self.config.loss)
        image = ops.normalize(ops.cast(out["cnn_code"], "float32"), axis=1)
        sentence = ops.normalize(ops.cast(out["sent_emb"], "float32"), axis=1)
        scores = ops.matmul(image, ops.transpose(sentence))
        batch = ops.shape(scores)[0]
        r1 = ops.mean(ops.cast(ops.equal(ops.argmax(scores, axis=1), ops.arange(batch)),
                               "float32"))
        return {"loss": w0 + w1 + s0 + s1, "words_loss0": w0, "words_loss1": w1,
                "sent_loss0": s0, "sent_loss1": s1, "r_precision": r1, "attention": attention}

    # -- training --------------------------------------------------------------
    def compile(self, optimizer=None, *, learning_rate: float = 2e-3,
                text_grad_clip: float | None = 0.25,
                lr_decay: float | None = 0.98, lr_floor: float = 0.1, **kwargs):
        """Configures training; every default is the reference's.

        Args:
            optimizer: default ``Adam(learning_rate, beta_1=0.5, beta_2=0.999,
                epsilon=1e-8)`` with torch's placement of epsilon (the reference's
                ``torch.optim.Adam``; :class:`~attngan_tf.ops.fused_adam.FusedAdam` with
                ``torch_epsilon``).
            learning_rate: the default optimizer's (the reference's 0.002).
            text_grad_clip: global-norm clip of the text encoder's gradients (None: off).
            lr_decay: per-epoch learning-rate factor applied by ``fit`` from the
                optimizer's learning rate at compile time (None: off; ignored when
                the optimizer has a ``LearningRateSchedule``).
            lr_floor: the decay stops at ``lr_floor`` × the initial learning rate.

        Builds the model first if needed (the optimizer's slots are created here,
        outside the traced training step).
        """
        if not self.built:
            self.build()
        if optimizer is None:
            optimizer = FusedAdam(learning_rate, beta_1=0.5, beta_2=0.999, epsilon=1e-8,
                                  torch_epsilon=True)
        self.text_grad_clip = text_grad_clip
        self.lr_decay = lr_decay
        self.lr_floor = lr_floor
        super().compile(optimizer=optimizer, **kwargs)
        # Read now: a checkpoint restored later holds the already-decayed rate.
        rate = self.optimizer.learning_rate
        self.initial_learning_rate = (None if isinstance(
            rate, keras.optimizers.schedules.LearningRateSchedule)
            else float(ops.convert_to_numpy(rate)))

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _update(self, values):
        for name, tracker in self.trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, batch):
        text_vars = self.text_encoder.trainable_variables
        image_vars = self.image_encoder.trainable_variables
        with tf.GradientTape() as tape:
            values = self.compute_losses(self(batch, training=True), batch.get("class_ids"))
        text_grads, image_grads = tape.gradient(values["loss"], [text_vars, image_vars])
        if self.text_grad_clip is not None:
            text_grads, _ = tf.clip_by_global_norm(text_grads, self.text_grad_clip)
        self.optimizer.apply(list(text_grads) + list(image_grads), text_vars + image_vars)
        return self._update(values)

    def test_step(self, batch):
        return self._update(self.compute_losses(self(batch, training=False),
                                                batch.get("class_ids")))

    def fit(self, *args, callbacks=None, **kwargs):
        """``keras.Model.fit`` plus the reference's per-epoch learning-rate decay."""
        callbacks = list(callbacks or [])
        initial = getattr(self, "initial_learning_rate", None)
        if self.lr_decay is not None and initial is not None and not any(
                isinstance(c, keras.callbacks.LearningRateScheduler) for c in callbacks):
            decay, floor = self.lr_decay, self.lr_floor
            callbacks.append(keras.callbacks.LearningRateScheduler(
                lambda epoch, lr: damsm_learning_rate(epoch, initial, decay, floor)))
        kwargs.setdefault("shuffle", False)  # pipelines shuffle themselves
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # -- export ------------------------------------------------------------------
    def export(self, directory: str | os.PathLike, vocabulary: Vocabulary) -> pathlib.Path:
        """Writes ``config.json``, ``vocabulary.json`` and both encoders' weights.

        :func:`load_damsm` (and the AttnGAN trainer) read this directory back.
        """
        directory = write_model_directory(directory, self.config, vocabulary)
        self.text_encoder.save_weights(str(directory / _WEIGHTS[0]))
        self.image_encoder.save_weights(str(directory / _WEIGHTS[1]))
        return directory


def load_damsm(directory: str | os.PathLike) -> tuple[DAMSM, Vocabulary]:
    """Reads a directory written by :meth:`DAMSM.export`; returns ``(damsm, vocabulary)``."""
    config, vocabulary = read_model_directory(directory, "an exported DAMSM", _WEIGHTS)
    directory = pathlib.Path(directory)
    damsm = DAMSM(config)
    damsm.build()
    load_weights_file(damsm.text_encoder, directory / _WEIGHTS[0])
    load_weights_file(damsm.image_encoder, directory / _WEIGHTS[1])
    return damsm, vocabulary
