import numpy as np


def test_leaky_relu_float64_exact():
    import tensorflow as tf

    from attngan_tf.activations import leaky_relu

    x = tf.constant(np.linspace(-3, 3, 13), tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = leaky_relu(x)
    np.testing.assert_array_equal(y.numpy(), np.where(x.numpy() > 0, x.numpy(),
                                                      0.2 * x.numpy()))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(),
                                  np.where(x.numpy() > 0, 1.0, 0.2))
    # TensorFlow's own op is 1.5e-8 off in float64 (its slope is a float32 attribute).
    assert np.max(np.abs(tf.nn.leaky_relu(x, 0.2).numpy() - y.numpy())) > 1e-9
    x32 = tf.cast(x, tf.float32)
    np.testing.assert_array_equal(leaky_relu(x32).numpy(), tf.nn.leaky_relu(x32, 0.2).numpy())
