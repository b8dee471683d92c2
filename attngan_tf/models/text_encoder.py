"""Bi-directional LSTM text encoder of DAMSM (the reference's ``RNN_ENCODER``)."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from ..config import TextConfig
from ..configurable import PACKAGE, ConfigModel
from .checks import check_captions


@keras.saving.register_keras_serializable(package=PACKAGE)
class LSTMCell(keras.layers.Layer):
    """LSTM cell with separate input and recurrent biases, as ``torch.nn.LSTM``.

    Gate order i, f, g, o; ``c' = f·c + i·g``, ``h' = o·tanh(c')``. Keeping both
    biases (rather than their sum) keeps the parameter layout and count of the
    reference. Initialisation is the torch default, U(-1/sqrt(units), 1/sqrt(units)).

    Inputs ``[B, D]`` and states ``[h [B, units], c [B, units]]``; output ``h'``.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        bound = 1.0 / math.sqrt(self.units)
        init = keras.initializers.RandomUniform(-bound, bound)
        four = 4 * self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], four), initializer=init,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, four), initializer=init,
                                                name="recurrent_kernel")
        self.input_bias = self.add_weight(shape=(four,), initializer=init, name="input_bias")
        self.recurrent_bias = self.add_weight(shape=(four,), initializer=init,
                                              name="recurrent_bias")

    def call(self, inputs, states, training=None):
        h, c = states
        z = (ops.matmul(inputs, self.kernel) + self.input_bias
             + ops.matmul(h, self.recurrent_kernel) + self.recurrent_bias)
        i, f, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class TextEncoder(ConfigModel):
    """Word embedding → dropout → bi-LSTM over the valid part of each caption.

    Call: ``words_emb, sent_emb = encoder(token_ids, lengths, training=False)``

    Args (call):
        token_ids: ``[B, T]`` int, ids in ``[0, vocab_size)``; 0 pads the end.
        lengths: ``[B]`` int, number of real words of each caption, in ``[1, T]``.

    Returns:
        words_emb: ``[B, T, embedding_dim]`` -- forward LSTM outputs in the
            first half of the channels, backward in the second; exactly 0 at
            padded steps.
        sent_emb: ``[B, embedding_dim]`` -- final hidden states, forward (after
            the last real word) ‖ backward (after the first word).

    Each caption is processed only over its first ``lengths[b]`` tokens in both
    directions (PyTorch's packed sequences), so the result does not depend on
    how much padding follows it.
    """

    config_class = TextConfig

    def __init__(self, config: TextConfig, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        units = config.embedding_dim // 2
        self.embedding = keras.layers.Embedding(
            config.vocab_size, config.word_dim,
            embeddings_initializer=keras.initializers.RandomUniform(-0.1, 0.1),
            name="embedding")
        self.dropout = keras.layers.Dropout(config.dropout, name="dropout")
        self.forward_rnn = keras.layers.RNN(LSTMCell(units, name="cell"), return_sequences=True,
                                            return_state=True, name="forward_lstm")
        self.backward_rnn = keras.layers.RNN(LSTMCell(units, name="cell"), return_sequences=True,
                                             return_state=True, name="backward_lstm")

    def build(self, input_shape=None):
        self.embedding.build((None, None))
        seq_shape = (None, None, self.config.word_dim)
        self.dropout.build(seq_shape)
        self.forward_rnn.build(seq_shape)
        self.backward_rnn.build(seq_shape)

    def call(self, token_ids, lengths, training=None):
        check_captions(token_ids, lengths, self.config.vocab_size)
        token_ids = ops.cast(token_ids, "int32")
        lengths = ops.cast(lengths, "int32")
        steps = ops.shape(token_ids)[1]
        valid = ops.arange(steps, dtype="int32")[None, :] < lengths[:, None]  # [B, T]

        x = self.dropout(self.embedding(token_ids), training=training)
        forward, forward_h, _ = self.forward_rnn(x, mask=valid, training=training)
        # The backward direction reads each caption's real words last-to-first:
        # reverse the valid prefix, run forward, and reverse the outputs back.
        x_rev = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
        backward_rev, backward_h, _ = self.backward_rnn(x_rev, mask=valid, training=training)
        backward = tf.reverse_sequence(backward_rev, lengths, seq_axis=1, batch_axis=0)

        words_emb = ops.concatenate([forward, backward], axis=-1)
        words_emb = words_emb * ops.cast(valid, words_emb.dtype)[:, :, None]
        sent_emb = ops.concatenate([forward_h, backward_h], axis=-1)
        return words_emb, sent_emb
