"""AttnGAN: the attentional generator trained against one discriminator per scale.

:class:`AttnGAN` is a ``keras.Model`` with a custom ``train_step`` that follows
the reference trainer (``trainer.py``'s ``condGANTrainer.train``):

1. encode the captions with the frozen, pretrained DAMSM text encoder
   (inference mode);
2. generate every stage's images (generator in training mode);
3. for each stage ``i`` update discriminator ``D_i`` on real images with their
   captions, real images with mismatched captions and the generated images
   (held fixed);
4. update the generator with the adversarial terms of every stage (using the
   just-updated discriminators), λ·(DAMSM word + sentence loss of the last
   stage's images, through the frozen image encoder) and the KL term of the
   conditioning augmentation;
5. move the exponential moving average of the generator's weights.

Unlike the reference, step 4 computes no gradients for the discriminators'
weights (only the generator's are taken).

Under a ``tf.distribute`` strategy every replica runs the step on its share of
the global batch; losses are divided by the number of replicas so the summed
gradients are those of the mean over replicas. Batch-dependent terms (BatchNorm
statistics, mismatched-caption pairs, the DAMSM loss's in-batch negatives) are
per replica, as with the reference's ``DataParallel``.
"""

from __future__ import annotations

import os
import pathlib

import keras
import tensorflow as tf
from absl import logging as absl_logging
from keras import ops

from .. import losses
from ..config import AttnGANConfig
from ..configurable import PACKAGE, ConfigModel
from ..ops.fused_adam import FusedAdam
from ..ops.step_order import after_networks, after_updates, together
from ..text.vocabulary import Vocabulary
from .discriminator import build_discriminators
from .generator import AttnGenerator
from .image_encoder import ImageEncoder
from .saving import load_weights_file, read_model_directory, write_model_directory
from .text_encoder import TextEncoder

__all__ = ["AttnGAN", "default_gan_optimizer", "ema_decay_at", "save_attngan", "load_attngan"]


def default_gan_optimizer(name: str | None = None,
                          learning_rate: float = 2e-4) -> keras.optimizers.Optimizer:
    """The reference's optimizer for G and each D: ``torch.optim.Adam(2e-4, betas
    (0.5, 0.999), eps 1e-8)``.

    A :class:`~attngan_tf.ops.fused_adam.FusedAdam` (Keras' Adam, updated in place
    by one TF kernel per variable, which keeps a step's peak memory down) with
    ``torch_epsilon=True``: torch's placement of epsilon, so training follows
    the reference trainer update for update (``attngan parity FILE_train.npz``).
    """
    return FusedAdam(learning_rate, beta_1=0.5, beta_2=0.999, epsilon=1e-8,
                     torch_epsilon=True, name=name)


def _multi_worker() -> bool:
    """Whether the current strategy all-reduces across workers (Keras' own test)."""
    strategy = tf.distribute.get_strategy()
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and bool(
        getattr(strategy.extended, "_in_multi_worker_mode", lambda: False)())


def _loss_scaled(optimizer, policy_name: str):
    """Wraps ``optimizer`` in dynamic loss scaling under a float16 policy."""
    if policy_name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttnGAN(ConfigModel):
    """Generator, discriminators and the frozen DAMSM encoders, trained with ``fit``.

    Args:
        config: :class:`AttnGANConfig`.
        ema_decay: decay of the generator's weight average (the reference's 0.999).
        ema_warmup: warm the average up, decay ``min(ema_decay, (1 + t) / (10 + t))``
            at generator update ``t = 0, 1, …`` (:func:`ema_decay_at`), so
            that after a short run it is not still mostly the initial
            weights (0.999 keeps 0.999^N of them after N steps: 76 % after
            280). Off by default: the reference's plain average, which the
            parity checks use.
        seed: seed of the noise drawn in ``train_step`` (z and the conditioning
            augmentation's noise, stateless draws keyed by seed, step and replica;
            None counts as 0, so training noise is reproducible by default) and
            of the seed generator used when calling the model without noise.

    The encoders come from a pretrained DAMSM: :meth:`load_encoders` copies
    them from a :class:`~attngan_tf.models.DAMSM` (or use
    :func:`attngan_tf.training.gan.build_attngan` with an export directory).
    They never train.

    Batches (``fit``/``train_step``): the pipeline's dict, ``images`` a tuple
    of ``branch_num`` tensors ``[B, 64·2^i, 64·2^i, 3]`` in [-1, 1] (AttnDCGAN,
    ``generator.single_image``: the last of them, or that one alone),
    ``captions [B, T]``, ``lengths [B]``, optional ``class_ids [B]``
    (same-class masking of the DAMSM loss), and optionally ``noise
    [B, z_dim]`` / ``ca_noise [B, condition_dim]`` to fix the random draws
    (tests); other keys are ignored.

    Call: ``attngan(batch, training=False)`` generates with the averaged
    generator (``use_ema=True``, the default) and returns the generator's
    dict (``images``, ``attention_maps``, ``c_code``, ``mu``, ``logvar``).
    """

    config_class = AttnGANConfig

    def __init__(self, config: AttnGANConfig, ema_decay: float = 0.999, seed: int | None = None,
                 ema_warmup: bool = False, **kwargs):
        super().__init__(config, **kwargs)
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"ema_decay: must be in [0, 1), got {ema_decay!r}")
        self.ema_decay = float(ema_decay)
        self.ema_warmup = bool(ema_warmup)
        self.seed = seed
        cfg = self.config
        self.text_encoder = TextEncoder(cfg.text, name="text_encoder")
        self.image_encoder = ImageEncoder(cfg.image_encoder, _report_init=False,
                                          name="image_encoder")
        self.text_encoder.trainable = False
        self.image_encoder.trainable = False
        self.generator = AttnGenerator(cfg.generator, seed=seed, name="generator")
        self.ema_generator = AttnGenerator(cfg.generator, seed=seed, name="ema_generator")
        self.ema_generator.trainable = False
        self.discriminators = build_discriminators(cfg.discriminator)
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        names = [f"d_loss{i}" for i in range(self.stages)]
        names += ["g_loss", "g_adversarial"] + [f"g_loss{i}" for i in range(self.stages)]
        names += ["kl_loss", "words_loss", "sent_loss"]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.g_optimizer = None
        self.d_optimizers = None
        self.skip_nonfinite = False
        self.vocabulary: Vocabulary | None = None
        # False for a model loaded without discriminator weights (a converted release).
        self.has_discriminators = True

    # -- construction ------------------------------------------------------------
    def build(self, input_shape=None):
        self.text_encoder.build()
        self.image_encoder.build()
        self.generator.build()
        self.ema_generator.build()
        for discriminator in self.discriminators:
            discriminator.build()
        # The average starts from the initial weights, as the reference's copy_G_params.
        self.ema_generator.set_weights(self.generator.get_weights())
        self.built = True

    def load_encoders(self, damsm) -> None:
        """Copies the text and image encoders' weights from a trained DAMSM."""
        for name in ("text", "image_encoder"):
            if getattr(damsm.config, name) != getattr(self.config, name):
                raise ValueError(f"DAMSM: its {name} configuration differs from this model's")
        if not self.built:
            self.build()
        self.text_encoder.set_weights(damsm.text_encoder.get_weights())
        self.image_encoder.set_weights(damsm.image_encoder.get_weights())

    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Attaches the vocabulary the text encoder was trained with (for :meth:`generate`)."""
        if len(vocabulary) != self.config.text.vocab_size:
            raise ValueError(f"vocabulary: {len(vocabulary)} words, but the text encoder has "
                             f"{self.config.text.vocab_size}")
        self.vocabulary = vocabulary

    def generate(self, captions, seed=None, noise=None, use_ema: bool = True,
                 words_num: int | None = None) -> dict:
        """Images of every stage and attention maps for raw caption strings.

        See :func:`attngan_tf.sampling.generate` (same caption and seed: same
        pixels). Needs the vocabulary (:meth:`set_vocabulary`; set by
        :func:`load_attngan` and the trainer).
        """
        from ..sampling import generate

        return generate(self, captions, seed=seed, noise=noise, use_ema=use_ema,
                        words_num=words_num)

    @property
    def stages(self) -> int:
        """Scales trained adversarially: images the generator returns, one discriminator
        each (``branch_num``; 1 for AttnDCGAN, whose stages draw one image)."""
        return len(self.config.generator.output_sizes)

    # -- inference -----------------------------------------------------------------
    def encode_text(self, captions, lengths):
        """``(words_emb [B, T, D], sent_emb [B, D], word_mask [B, T])``, inference mode."""
        words_emb, sent_emb = self.text_encoder(captions, lengths, training=False)
        steps = ops.shape(captions)[1]
        word_mask = ops.arange(steps, dtype="int32")[None, :] < ops.cast(lengths, "int32")[:, None]
        return ops.stop_gradient(words_emb), ops.stop_gradient(sent_emb), word_mask

    def _noise(self, batch, key, dim, batch_size):
        if key in batch:
            return ops.cast(batch[key], self.compute_dtype)
        return keras.random.normal((batch_size, dim), seed=self.noise_seed)

    def _train_noise(self, batch, key, dim, batch_size, salt: int):
        """Noise of a training step: from the batch, or a stateless draw.

        The draw is keyed by (model seed, salt) and (step, replica), so every
        replica gets its own noise, nothing stateful is updated inside the
        replicated step, and a resumed run draws what the uninterrupted one would.
        """
        if key in batch:
            return ops.cast(batch[key], self.compute_dtype)
        context = tf.distribute.get_replica_context()
        replica = tf.cast(context.replica_id_in_sync_group if context is not None else 0,
                          tf.int64)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        seed = tf.stack([tf.constant(2 * (self.seed or 0) + salt, tf.int64),
                         step * replicas + replica])
        return tf.cast(tf.random.stateless_normal((batch_size, dim), seed=seed),
                       self.compute_dtype)

    def call(self, batch, training=False, use_ema=True):
        # Keras may trace this with placeholder floats when building under a strategy.
        captions = ops.cast(batch["captions"], "int32")
        lengths = ops.cast(batch["lengths"], "int32")
        words_emb, sent_emb, word_mask = self.encode_text(captions, lengths)
        size = ops.shape(batch["captions"])[0]
        noise = self._noise(batch, "noise", self.config.generator.z_dim, size)
        ca_noise = self._noise(batch, "ca_noise", self.config.generator.condition_dim, size)
        generator = self.ema_generator if use_ema else self.generator
        return generator(noise, sent_emb, words_emb, word_mask, ca_noise, training=training)

    # -- training ----------------------------------------------------------------------
    def compile(self, g_optimizer=None, d_optimizers=None, skip_nonfinite: bool = False,
                **kwargs):
        """Configures training; defaults are the reference's.

        Args:
            g_optimizer: the generator's optimizer (default :func:`default_gan_optimizer`).
            d_optimizers: one optimizer per discriminator (default: one
                :func:`default_gan_optimizer` each).
            skip_nonfinite: a network whose loss or gradients are NaN or infinite
                in a step is not updated in that step: no optimizer update (its
                step count still advances, so noise and resume stay aligned with
                the batches), and for the generator no weight-average update and
                its BatchNorm statistics put back. The step's logs carry
                ``skipped`` (1.0 when any network was skipped) and the epoch
                means leave non-finite values out. Off by default (a non-finite
                loss then stops ``attngan train``); one replica only; the
                discriminators are then updated in one piece (more memory than
                the default piecewise update, which cannot be skipped as a whole).
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``).

        Under a ``mixed_float16`` policy the optimizers are wrapped in
        ``keras.optimizers.LossScaleOptimizer``.
        """
        if not self.built:
            self.build()
        if not self.has_discriminators:
            absl_logging.warning(
                "AttnGAN.compile: this model was loaded without discriminator weights (e.g. a "
                "converted release); its discriminators start from random initialisation")
        policy = keras.config.dtype_policy().name
        g_optimizer = g_optimizer or default_gan_optimizer("g_optimizer")
        if d_optimizers is None:
            d_optimizers = [default_gan_optimizer(f"d_optimizer{i}") for i in range(self.stages)]
        d_optimizers = list(d_optimizers)
        if len(d_optimizers) != self.stages:
            raise ValueError(f"d_optimizers: need {self.stages} (one per discriminator), "
                             f"got {len(d_optimizers)}")
        if len({id(o) for o in d_optimizers + [g_optimizer]}) != self.stages + 1:
            raise ValueError("g_optimizer, d_optimizers: each network needs its own optimizer")
        self.g_optimizer = _loss_scaled(g_optimizer, policy)
        self.d_optimizers = [_loss_scaled(o, policy) for o in d_optimizers]
        self.g_optimizer.build(self.generator.trainable_variables)
        for optimizer, discriminator in zip(self.d_optimizers, self.discriminators):
            optimizer.build(discriminator.trainable_variables)
        self.skip_nonfinite = bool(skip_nonfinite)
        kwargs.setdefault("optimizer", self.g_optimizer)
        super().compile(**kwargs)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _discriminator_step(self, stage, real, fake, sent_emb, replicas, keep=False,
                            applied=None):
        """Updates ``D_stage``; returns ``(loss, gradients)``, the gradients (one per
        trainable variable, of the loss before division by the replicas) only
        with ``keep`` (else None). With ``skip_nonfinite``, whether the update
        was made is appended to the list ``applied``."""
        discriminator = self.discriminators[stage]
        optimizer = self.d_optimizers[stage]
        size = ops.shape(real)[0]
        with tf.GradientTape(persistent=True) as tape:
            # Real and generated images in one batch of two groups: BatchNorm
            # statistics per group, as the reference's two calls; one pass of
            # every convolution (and one weight gradient) instead of two.
            both = ops.concatenate([ops.cast(real, discriminator.compute_dtype),
                                    ops.cast(fake, discriminator.compute_dtype)], axis=0)
            out = discriminator(both, ops.concatenate([sent_emb, sent_emb], axis=0),
                                training=True, groups=2, small_inputs=True)
            heads = [name for name in ("h_code", "uncond_logits", "cond_logits") if name in out]
            real_out = {name: out[name][:size] for name in heads}
            fake_out = {name: out[name][size:] for name in heads}
            # Real images 0..B-2 paired with the captions of samples 1..B-1.
            wrong = discriminator.cond_head(real_out["h_code"][:-1], sent_emb[1:], training=True)
            loss = losses.discriminator_loss(real_out, fake_out, wrong)
            scaled = optimizer.scale_loss(loss / replicas)
        if self.skip_nonfinite or not _applies_by_piece(optimizer, replicas):
            variables = discriminator.trainable_variables
            grads = together(tape.gradient(scaled, variables))
            if self.skip_nonfinite:
                applied.append(self._apply_if_finite(optimizer, loss, grads, variables))
            else:
                optimizer.apply(grads, variables)
            return loss, (_unscaled(optimizer, grads, replicas) if keep else None)
        # The backward pass a piece at a time from the output side (heads,
        # then each block on ≤ 8 px inputs: the largest kernels, 128 + 72 MB
        # at 256 px), each piece's gradients applied, and freed, before the
        # pieces below run theirs. Every application at the same optimizer
        # step; one step counted.
        target, upstream, kept = scaled, None, {}
        for piece, piece_input in discriminator.backward_segments(out):
            sources = piece + ([] if piece_input is None else [piece_input])
            grads = together(tape.gradient(target, sources, output_gradients=upstream))
            if keep:
                kept.update((id(v), g) for v, g in zip(piece, grads))
            if piece:  # apply() of nothing returns without counting a step
                optimizer.apply(grads[:len(piece)], piece)
                optimizer.iterations.assign_sub(1)
            if piece_input is not None:
                target = piece_input
                (upstream,) = after_updates(piece, grads[-1])
        optimizer.iterations.assign_add(1)
        if not keep:
            return loss, None
        grads = [kept[id(v)] for v in discriminator.trainable_variables]
        return loss, _unscaled(optimizer, grads, replicas)

    def _sync_batch_statistics(self):
        """Averages BatchNorm moving statistics over replicas (no-op on one replica).

        Each replica normalises with its own batch's statistics, as the
        reference's ``DataParallel``; their running averages are then made equal
        so every replica and worker holds the same model.
        """
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return
        variables = [v for net in (self.generator, *self.discriminators)
                     for v in net.non_trainable_weights]

        def merged(strategy, values):  # values: one per-replica value per variable
            for variable, value in zip(variables, values):
                mean = strategy.reduce("MEAN", value, axis=None)
                strategy.extended.update(variable.value, lambda v, m: v.assign(m),
                                         args=(mean,), group=False)

        context.merge_call(merged, args=([tf.identity(v.value) for v in variables],))

    def _apply_if_finite(self, optimizer, loss, grads, variables, after=None, restore=()):
        """``skip_nonfinite``: applies ``grads`` (then ``after()``) when ``loss`` and every
        gradient are finite; otherwise only counts the step and puts ``restore``
        (``(variable, saved value)`` pairs) back. Returns the finite flag."""
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in [loss, *grads]])

        def apply():
            optimizer.apply(grads, variables)
            if after is not None:
                after()
            return tf.constant(True)

        def skip():
            with tf.control_dependencies([optimizer.iterations.assign_add(1)] +
                                         [v.assign(saved) for v, saved in restore]):
                return tf.constant(False)

        return tf.cond(finite, apply, skip)

    def _update_ema(self):
        decay = self.ema_decay
        if self.ema_warmup:
            # The generator update just applied was number iterations - 1.
            step = ops.cast(self.g_optimizer.iterations, "float32") - 1.0
            decay = ema_decay_at(step, self.ema_decay)
        pairs = [(average.value, value.value, value.trainable)
                 for average, value in zip(self.ema_generator.weights, self.generator.weights)]

        def update(average, value, trainable):
            if trainable:
                rate = tf.cast(decay, average.dtype)
                return average.assign(rate * average + (1.0 - rate) * tf.cast(value,
                                                                              average.dtype))
            return average.assign(value)  # BatchNorm statistics: the current ones, as the reference

        if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
            for average, value, trainable in pairs:
                update(average, value, trainable)
            return

        def merged(strategy):  # once per step, on every replica's copy
            for average, value, trainable in pairs:
                strategy.extended.update(average, update, args=(value, trainable), group=False)

        tf.distribute.get_replica_context().merge_call(merged)

    def train_step(self, batch):
        values, _ = self._train_iteration(batch, keep=False)
        for name, tracker in self.trackers.items():
            if self.skip_nonfinite:  # a skipped step's NaN stays out of the epoch's mean
                finite = tf.math.is_finite(values[name])
                tracker.update_state(tf.where(finite, values[name], 0.0),
                                     sample_weight=tf.cast(finite, values[name].dtype))
            else:
                tracker.update_state(values[name])
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if self.skip_nonfinite:
            logs["skipped"] = values["skipped"]
        if _multi_worker():
            # Keras reduces per-replica logs along axis 0 across workers, which a
            # scalar lacks (tensorflow/tensorflow#72388): hand them over as [1].
            logs = {name: ops.reshape(value, (1,)) for name, value in logs.items()}
        return logs

    def train_step_with_gradients(self, batch) -> tuple[dict, dict]:
        """One training iteration, as :meth:`train_step` (every update is made),
        that also returns what it computed: ``(values, gradients)``.

        ``values``: this step's losses (``d_loss{i}``, ``g_loss`` = the
        generator's total incl. KL, ``g_adversarial``, ``g_loss{i}``,
        ``kl_loss``, ``words_loss0/1``, ``sent_loss0/1`` before λ, and their
        sums ``words_loss``/``sent_loss``) and ``fake_images`` (a tuple, one
        ``[B, S, S, 3]`` per stage). ``gradients``: ``{"generator": [...],
        "discriminator{i}": [...]}``, one gradient per trainable variable of
        that network (its ``trainable_variables`` order) of the replica's
        loss, the gradients the optimizers were given (before loss scaling and
        the division by the number of replicas). The metrics are not updated.
        For the training-parity check (:mod:`attngan_tf.tools.training_parity`)
        and numerical debugging; same code path as ``fit``.
        """
        return self._train_iteration(batch, keep=True)

    def _train_iteration(self, batch, keep: bool):
        images = batch["images"]
        images = tuple(images) if isinstance(images, (tuple, list)) else (images,)
        if self.config.generator.single_image and len(images) == self.config.generator.branch_num:
            # AttnDCGAN: a pipeline of every stage's sizes; its one discriminator takes
            # the last (the reference pairs it with imgs[0], 64 px, which
            # D_NET256 cannot take).
            images = images[-1:]
        if len(images) != self.stages:
            raise ValueError(f"batch['images']: need {self.stages} scales, got {len(images)}")
        class_ids = batch.get("class_ids")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        words_emb, sent_emb, word_mask = self.encode_text(batch["captions"], batch["lengths"])
        size = ops.shape(batch["captions"])[0]
        cfg = self.config.generator
        noise = self._train_noise(batch, "noise", cfg.z_dim, size, salt=0)
        ca_noise = self._train_noise(batch, "ca_noise", cfg.condition_dim, size, salt=1)

        if self.skip_nonfinite and replicas > 1:
            raise ValueError("skip_nonfinite: supported on one replica only")
        g_vars = self.generator.trainable_variables
        # skip_nonfinite: the generator's BatchNorm statistics before this step.
        saved_statistics = [(v, tf.identity(v.value)) for v in
                            self.generator.non_trainable_variables] if self.skip_nonfinite else []
        gradients, applied = {}, []
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([v.value for v in g_vars])
            generated = self.generator(noise, sent_emb, words_emb, word_mask, ca_noise,
                                       training=True)
            fakes = generated["images"]
            with tape.stop_recording():
                d_losses = []
                for i in range(self.stages):
                    # One network at a time, as the reference: without these
                    # edges the graph runs independent updates side by side
                    # and holds all their activations at once.
                    real, fake = after_networks(self.discriminators[:i], images[i],
                                                ops.stop_gradient(fakes[i]))
                    loss, grads = self._discriminator_step(i, real, fake, sent_emb, replicas,
                                                           keep=keep, applied=applied)
                    d_losses.append(loss)
                    if keep:
                        gradients[f"discriminator{i}"] = grads
            fakes = after_networks(self.discriminators, *fakes)
            fake_outputs = [d(fake, sent_emb, training=True)
                            for d, fake in zip(self.discriminators, fakes)]
            region_features, cnn_code = self.image_encoder(fakes[-1], training=False)
            g = losses.generator_loss(fake_outputs, region_features, cnn_code, words_emb,
                                      sent_emb, word_mask, class_ids, self.config.loss)
            kl = losses.kl_loss(generated["mu"], generated["logvar"])
            total = g["total"] + kl
            scaled = self.g_optimizer.scale_loss(total / replicas)
        g_grads = together(tape.gradient(scaled, g_vars))
        if self.skip_nonfinite:
            applied.append(self._apply_if_finite(self.g_optimizer, total, g_grads, g_vars,
                                                 after=self._update_ema,
                                                 restore=saved_statistics))
        else:
            self.g_optimizer.apply(g_grads, g_vars)
        if keep:
            gradients["generator"] = _unscaled(self.g_optimizer, g_grads, replicas)
        if not self.skip_nonfinite:
            self._sync_batch_statistics()
            self._update_ema()

        values = {f"d_loss{i}": loss for i, loss in enumerate(d_losses)}
        values.update({"g_loss": total, "g_adversarial": g["adversarial"], "kl_loss": kl,
                       "words_loss": g["words_loss0"] + g["words_loss1"],
                       "sent_loss": g["sent_loss0"] + g["sent_loss1"]})
        values.update({f"g_loss{i}": loss for i, loss in enumerate(g["stage_losses"])})
        if applied:  # skip_nonfinite: 1.0 when any network's update was skipped
            values["skipped"] = 1.0 - tf.cast(tf.reduce_all(applied), tf.float32)
        if keep:
            values.update({name: g[name] for name in ("words_loss0", "words_loss1",
                                                      "sent_loss0", "sent_loss1")})
            values["fake_images"] = tuple(generated["images"])
        return values, gradients

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras hook run by ``fit`` under a strategy; here a plain :meth:`build`.

        ``build`` and ``compile`` already create every variable. Keras' own
        version first MEAN-reduces a distributed batch across replicas, which
        fails for dict batches under ``MultiWorkerMirroredStrategy``.
        """
        if not self.built:
            self.build()

    def fit(self, *args, **kwargs):
        """``keras.Model.fit``; pipelines shuffle themselves (``shuffle`` defaults to False)."""
        kwargs.setdefault("shuffle", False)
        return super().fit(*args, **kwargs)

    def test_step(self, batch):
        """Refused on purpose: a GAN has no validation loss (``fit(validation_data=...)``,
        ``evaluate``); measure samples with ``attngan evaluate`` instead."""
        raise TypeError("AttnGAN has no validation loss; evaluate samples with "
                        "attngan evaluate / attngan_tf.metrics (R-precision, IS, FID)")

    def get_config(self):
        return {**super().get_config(), "ema_decay": self.ema_decay, "seed": self.seed,
                "ema_warmup": self.ema_warmup}


def ema_decay_at(step, decay: float = 0.999):
    """Warm-up decay of the weight average at update ``step`` (0-based):
    ``min(decay, (1 + step) / (10 + step))`` -- 0.1 at the first update, 0.5 at
    step 8, ``decay`` from step ``(10·decay − 1) / (1 − decay)`` on (8,989 for
    0.999). ``step``: a number or a float tensor."""
    return ops.minimum(decay, (1.0 + step) / (10.0 + step))


def _applies_by_piece(optimizer, replicas: int) -> bool:
    """Whether a discriminator's update is applied piece by piece (see
    ``AttnGAN._discriminator_step``): on one replica, and only for optimizers
    whose ``apply`` treats each variable on its own. Across replicas the
    gradients are all-reduced together anyway; a loss-scaled update must see
    every gradient to decide whether to skip the step; the optimizer's own
    weight average (``use_ema``), gradient accumulation and ``global_clipnorm``
    act on all variables at once in every ``apply``."""
    return (replicas == 1 and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
            and not getattr(optimizer, "use_ema", False)
            and not getattr(optimizer, "gradient_accumulation_steps", None)
            and getattr(optimizer, "global_clipnorm", None) is None)


def _unscaled(optimizer, gradients, replicas: int) -> list:
    """``gradients`` of ``scale_loss(loss / replicas)`` → gradients of ``loss``."""
    scale = getattr(optimizer, "dynamic_scale", None) if isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer) else None
    factor = replicas if scale is None else ops.cast(replicas, "float32") / scale
    return [None if g is None else g * ops.cast(factor, g.dtype) for g in gradients]


def _network_names(config: AttnGANConfig) -> list[str]:
    """File stems of a saved model's networks (no optimizer state)."""
    return (["text_encoder", "image_encoder", "generator", "ema_generator"]
            + [f"discriminator{i}" for i in range(len(config.generator.output_sizes))])


def _networks(model: AttnGAN) -> dict:
    return dict(zip(_network_names(model.config),
                    [model.text_encoder, model.image_encoder, model.generator,
                     model.ema_generator, *model.discriminators]))


def save_attngan(model: AttnGAN, directory: str | os.PathLike,
                 vocabulary: Vocabulary, discriminators: bool | None = None) -> pathlib.Path:
    """Writes a trained model: ``config.json``, ``vocabulary.json`` and one
    ``NAME.weights.h5`` per network (encoders, generator, its average,
    discriminators; no optimizer state). :func:`load_attngan` reads it back.

    ``discriminators=False`` leaves the discriminators out (a model for
    sampling and export only, as converted from the original release) and
    removes discriminator files already in ``directory``; the default is
    ``model.has_discriminators``, so a model loaded without them is never
    saved with untrained ones.
    """
    if discriminators is None:
        discriminators = model.has_discriminators
    directory = write_model_directory(directory, model.config, vocabulary)
    for name, network in _networks(model).items():
        path = directory / f"{name}.weights.h5"
        if discriminators or not name.startswith("discriminator"):
            network.save_weights(str(path))
        elif path.exists():
            path.unlink()
    return directory


def load_attngan(directory: str | os.PathLike) -> tuple[AttnGAN, Vocabulary]:
    """Reads a directory written by :func:`save_attngan`; returns ``(model, vocabulary)``
    with the vocabulary attached to the model.

    A directory without any discriminator file (``save_attngan(...,
    discriminators=False)``, e.g. a converted release) loads with randomly
    initialised discriminators and ``model.has_discriminators`` False; it samples
    and exports like any other.
    """
    directory = pathlib.Path(directory)
    config, vocabulary = read_model_directory(directory, "a saved AttnGAN")
    files = {name: directory / f"{name}.weights.h5" for name in _network_names(config)}
    present = {name: path.is_file() for name, path in files.items()}
    with_discriminators = any(ok for name, ok in present.items()
                              if name.startswith("discriminator"))
    missing = [name for name, ok in present.items()
               if not ok and (with_discriminators or not name.startswith("discriminator"))]
    if missing:
        raise ValueError(f"{directory}: not a saved AttnGAN (no {missing[0]}.weights.h5)")
    model = AttnGAN(config)
    model.build()
    for name, network in _networks(model).items():
        if present[name]:
            load_weights_file(network, files[name])
    model.has_discriminators = with_discriminators
    model.set_vocabulary(vocabulary)
    return model, vocabulary
