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
``torch_epsilon=True`` gives ``torch.optim.Adam``'s rule instead (the
reference trainer's; the default of :func:`attngan_tf.models.default_gan_optimizer`
and of DAMSM pretraining).

:class:`FusedAdam` equals the plain form ``keras.optimizers.Adam`` (same
variables and slots after the same updates, eagerly and compiled) -- proven by
``tests/ops/test_fused_adam.py::test_fused_adam_matches_keras_adam`` -- and with
``torch_epsilon=True`` ``torch.optim.Adam``:
``tests/ops/test_fused_adam.py::test_fused_adam_with_torch_epsilon_is_torch_adam``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ..configurable import PACKAGE

__all__ = ["FusedAdam"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update runs as one in-place TF kernel per variable.

    Same arguments, slots and checkpoints as ``keras.optimizers.Adam``, plus:

    Args:
        torch_epsilon: add ``epsilon`` after the bias correction of ``√v``, as
            ``torch.optim.Adam`` (the reference's optimizer) does:
            ``θ ← θ - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)``, which is Keras'
            rule with ``ε·√(1-β2ᵗ)`` in place of ``ε`` at step t. Off: Keras'
            rule. The two differ only while ``√v`` is not large against ε
            (tiny gradients); same slots either way, so checkpoints load in
            both. Not with ``amsgrad``.
    """

    def __init__(self, *args, torch_epsilon: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if torch_epsilon and self.amsgrad:
            raise ValueError("FusedAdam: torch_epsilon is not supported with amsgrad")
        self.torch_epsilon = bool(torch_epsilon)

    def update_step(self, gradient, variable, learning_rate):
        if isinstance(gradient, tf.IndexedSlices) and self.torch_epsilon:
            gradient = tf.convert_to_tensor(gradient)  # torch's dense Adam moves every row
        if not isinstance(variable, tf.Variable) and self.torch_epsilon:
            # Keras hands TF variables to update_step (also under tf.distribute);
            # anything else would silently get Keras' epsilon from the fallback.
            raise TypeError(f"FusedAdam(torch_epsilon=True) updates tf.Variable objects, "
                            f"got {type(variable).__name__}")
        if (self.amsgrad or isinstance(gradient, tf.IndexedSlices)
                or not isinstance(variable, tf.Variable)):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        beta_2_power = tf.pow(beta_2, step)
        epsilon = tf.cast(self.epsilon, dtype)
        if self.torch_epsilon:
            epsilon = epsilon * tf.sqrt(1.0 - beta_2_power)
        index = self._get_variable_index(variable)
        momentum = self._momentums[index].value
        velocity = self._velocities[index].value
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=momentum.handle, v=velocity.handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=beta_2_power,
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=epsilon, grad=tf.cast(gradient, dtype))

    def get_config(self):
        return {**super().get_config(), "torch_epsilon": self.torch_epsilon}
