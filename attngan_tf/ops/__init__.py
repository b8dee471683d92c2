"""The speed machinery: faster forms of plain Keras/TensorFlow operations, apart
from the paper's math (:mod:`attngan_tf.models`, :mod:`attngan_tf.losses`).

Each computes what a plain form computes (its docstring names the form and the
test that proves it) with less time or memory:

* :mod:`.batch_norm` -- BatchNorm in training mode written out: grouped batch
  statistics (:class:`~.batch_norm.GroupedBatchNormalization`), the
  reference's running variance, and BatchNorm + activation as one XLA function
  with a written-out gradient (:func:`~.batch_norm.batch_norm_act`).
* :mod:`.upsampled_conv` -- nearest ×2 upsampling + 3 × 3 convolution as one
  transposed convolution.
* :mod:`.conv_by_matmul` -- a "same" convolution as one matrix product.
* :mod:`.few_rows_matmul` -- a matrix product of few rows whose input gradient
  is computed as one tall product, transposed.
* :mod:`.initializers` -- :class:`~.initializers.TallOrthogonal`, the
  orthogonal initialiser by Cholesky-QR for tall matrices.
* :mod:`.fused_adam` -- :class:`~.fused_adam.FusedAdam`, Keras' Adam updated in
  place by one TensorFlow kernel.
* :mod:`.step_order` -- control edges that order a training step's ops.

Nothing here imports :mod:`attngan_tf.models`.
"""
