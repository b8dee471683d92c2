import numpy as np
import pytest


@pytest.mark.parametrize("rows", [1, 64, 128, 129, 300])
def test_few_rows_matmul_equals_matmul(rows):
    """Values and both gradients equal ``tf.matmul``'s, on either side of MAX_ROWS."""
    import tensorflow as tf

    from attngan_tf.ops.few_rows_matmul import MAX_ROWS, few_rows_matmul

    rng = np.random.default_rng(rows)
    a = tf.constant(rng.normal(size=(rows, 40)), tf.float32)
    b = tf.Variable(rng.normal(size=(40, 24)).astype(np.float32))
    weights = tf.constant(rng.normal(size=(rows, 24)), tf.float32)

    @tf.function
    def values_and_gradients(fn):
        with tf.GradientTape() as tape:
            tape.watch(a)
            out = fn(a, b)
            loss = tf.reduce_sum(out * weights)
        return (out, *tape.gradient(loss, [a, b]))

    expected = values_and_gradients(tf.matmul)
    got = values_and_gradients(few_rows_matmul)
    for x, y in zip(got, expected):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-5)
    # The few-row path is the one with its own gradient (a transpose of b · gᵀ).
    graph = values_and_gradients.get_concrete_function(few_rows_matmul).graph
    transposes = [op for op in graph.get_operations() if op.type == "Transpose"]
    assert bool(transposes) == (rows <= MAX_ROWS)


def test_unknown_rows_use_the_plain_product():
    """Rows unknown when traced (no static batch): tf.matmul and its own gradient."""
    import tensorflow as tf

    from attngan_tf.ops.few_rows_matmul import few_rows_matmul

    b = tf.Variable(tf.ones((8, 3)))

    @tf.function(input_signature=[tf.TensorSpec((None, 8))])
    def gradients(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            loss = tf.reduce_sum(few_rows_matmul(a, b))
        return tape.gradient(loss, [a, b])

    graph = gradients.get_concrete_function().graph
    assert not [op for op in graph.get_operations() if op.type == "Transpose"]
    grad_a, grad_b = gradients(tf.ones((5, 8)))
    assert grad_a.shape == (5, 8) and float(grad_b[0, 0]) == 5.0
