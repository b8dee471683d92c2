"""Adam with TensorFlow's fused in-place update kernel.

``keras.optimizers.Adam`` writes its update as separate element-wise ops
(``g - m``, ``g²``, ``√v``, ...), each a temporary the size of the variable.
For the 256 px discriminator (a 134 MB kernel among others) those temporaries
raise a training step's peak memory by hundreds of MB. :class:`FusedAdam` is
the same optimizer -- same slots (momentums, velocities), same configuration,
same update rule ``m ← β1·m + (1-β1)·g``, ``v ← β2·v + (1-β2)·g²``,
``θ ← θ - lr·√(1-β2ᵗ)/(1-β1ᵗ) · m / (√v + ε)`` -- applied by TensorFlow's
``ResourceApplyAdam`` kernel, which updates the three buffers in place in one
pass. With ``amsgrad`` or sparse gradients it defers to Keras' update.
"""

from __future__ import annotations

import keras
import tensorflow as tf


__all__ = ["FusedAdam"]


@keras.saving.register_keras_serializable(package="attngan_tf")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update runs as one in-place TF kernel per variable.

    Same arguments, slots and checkpoints as ``keras.optimizers.Adam``.
    """

    def update_step(self, gradient, variable, learning_rate):
        if (self.amsgrad or isinstance(gradient, tf.IndexedSlices)
                or not isinstance(variable, tf.Variable)):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index].value
        velocity = self._velocities[index].value
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=momentum.handle, v=velocity.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))
