"""A matrix product whose input gradient is computed transposed when it has few rows.

:func:`few_rows_matmul` equals ``tf.matmul(a, b)`` in values and in both
gradients, up to summation order. Proven by
``tests/ops/test_few_rows_matmul.py::test_few_rows_matmul_equals_matmul``.

Why: the gradient TensorFlow writes for ``a`` is ``matmul(g, b, transpose_b=True)``.
With ``a`` of few rows (the discriminators' 4×4 and 8×8 blocks: 64-128 rows
against 16,384 × 2,048 kernels) oneDNN runs that product at a third to a half
of its rate on the forward product; the same numbers as
``transpose(matmul(b, g, transpose_b=True))`` -- one tall product, then a small
transpose -- take about half the time on this CPU (``benchmarks/few_rows_matmul.py``,
BENCHMARKS.md "Few-row input gradients"). With many rows the plain form is as
fast or faster, so it is kept there.
"""

from __future__ import annotations

import tensorflow as tf

#: Products with at most this many rows in ``a`` take the transposed input
#: gradient (measured on single products: 32-128 rows 1.2-3.7× faster, 256 rows
#: 0.94-1.11×, 384-2,048 rows 0.88-0.98×; the whole batch-8 iteration was
#: fastest at 256; BENCHMARKS.md).
MAX_ROWS = 256


def few_rows_matmul(a, b):
    """``tf.matmul(a, b)`` for ``a [M, K]``, ``b [K, N]`` → ``[M, N]``.

    When ``M`` is known when traced and at most :data:`MAX_ROWS`, the gradient
    for ``a`` is computed as ``(b · gᵀ)ᵀ``; otherwise this is ``tf.matmul``.
    """
    rows = a.shape[0]
    if rows is None or rows > MAX_ROWS:
        return tf.matmul(a, b)
    return _transposed_input_gradient(a, b)


@tf.custom_gradient
def _transposed_input_gradient(a, b):
    def grad(g):  # g [M, N]
        return (tf.transpose(tf.matmul(b, g, transpose_b=True)),  # [M, K]
                tf.matmul(a, g, transpose_a=True))  # [K, N]
    return tf.matmul(a, b), grad
