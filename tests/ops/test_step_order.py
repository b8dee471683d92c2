import keras
import tensorflow as tf

from attngan_tf.ops.step_order import after_networks, after_updates, held_until, together


def test_step_order_passes_tensors_on_unchanged():
    """Eagerly the tensors themselves; in a graph identities of them that wait for the
    dependencies (the variables' updates): the same values either way."""
    variable = keras.Variable([1.0, 2.0])  # as the networks' variables
    x = tf.constant([3.0, 4.0])
    eager = after_updates([variable], x, None)
    assert eager[0] is x and eager[1] is None
    assert held_until([x], [x, None])[0] is x and together([x, None])[1] is None

    class Network:
        trainable_variables = [variable]

    @tf.function
    def step(x):
        update = variable.assign_add([1.0, 1.0])
        y, none = after_updates([variable], x * 2.0, None)
        assert none is None and y.op.type == "Identity" and y.op.control_inputs
        (z,) = after_networks([Network()], y)
        grads = together([z, None, x])
        assert grads[1] is None and all(g.op.control_inputs for g in (grads[0], grads[2]))
        with tf.control_dependencies([update]):
            return grads[0] + grads[2], variable.value.read_value()

    total, value = step(x)
    assert total.numpy().tolist() == [9.0, 12.0] and value.numpy().tolist() == [2.0, 3.0]
    assert held_until([], [x])[0] is x  # nothing to wait for
