"""Weight initialisers.

:class:`TallOrthogonal` draws what the plain form ``keras.initializers.Orthogonal``
draws (a Haar-random matrix with orthonormal columns, or rows), faster for
tall matrices. Orthonormality and seeding are proven by
``tests/ops/test_initializers.py::test_tall_orthogonal_gives_orthonormal_columns_or_rows``
and ``tests/ops/test_initializers.py::test_tall_orthogonal_is_seeded``.
"""

from __future__ import annotations

import keras
from keras import ops

from ..configurable import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class TallOrthogonal(keras.initializers.Orthogonal):
    """``keras.initializers.Orthogonal`` with a fast path for tall matrices.

    Draws the same distribution (a Haar-random matrix with orthonormal
    columns of the flattened ``(prod(shape[:-1]), shape[-1])`` kernel, or rows
    if it is wide). For matrices at least four times taller than wide it uses
    Cholesky-QR (``Q = A·R⁻¹`` with ``RᵀR = AᵀA``), which is exact to float32
    precision there (condition number ≤ 3) and about 4× faster on a CPU than
    Householder QR: the 256 px discriminator of the ``coco`` preset builds in
    seconds instead of about a minute. Other shapes use the Keras path.
    """

    def __call__(self, shape, dtype=None):
        rows = 1
        for dim in shape[:-1]:
            rows *= int(dim)
        cols = int(shape[-1])
        tall, short = max(rows, cols), min(rows, cols)
        if len(shape) < 2 or tall < 4 * short:
            return super().__call__(shape, dtype=dtype)
        a = keras.random.normal((tall, short), seed=self.seed, dtype="float32")
        r = ops.transpose(ops.cholesky(ops.matmul(ops.transpose(a), a)))  # upper, diag > 0
        # q = a @ inv(r): solve rᵀ qᵀ = aᵀ (lower-triangular system).
        q = ops.transpose(ops.solve_triangular(ops.transpose(r), ops.transpose(a), lower=True))
        if rows < cols:
            q = ops.transpose(q)
        return ops.cast(self.gain * ops.reshape(q, shape), dtype or "float32")
