import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.optimizers import FusedAdam


def _stepper(optimizer, variables, compiled):
    def step(gradients):
        optimizer.apply(gradients, variables)

    return tf.function(step) if compiled else step


@pytest.mark.parametrize("compiled", [False, True])
def test_fused_adam_matches_keras_adam(compiled, monkeypatch):
    calls = []
    fused = tf.raw_ops.ResourceApplyAdam

    def counting(**kwargs):
        calls.append(1)
        return fused(**kwargs)

    monkeypatch.setattr(tf.raw_ops, "ResourceApplyAdam", counting)
    rng = np.random.default_rng(0)
    init = [rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(5,)).astype(np.float32)]
    grads = [[rng.normal(size=v.shape).astype(np.float32) for v in init] for _ in range(4)]
    results = []
    for cls in (keras.optimizers.Adam, FusedAdam):
        variables = [keras.Variable(v) for v in init]
        optimizer = cls(2e-2, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
        optimizer.build(variables)

        run = _stepper(optimizer, variables, compiled)
        for g in grads:
            run([tf.constant(x) for x in g])
        results.append(([np.asarray(v) for v in variables],
                        [np.asarray(v) for v in optimizer.variables]))
    (expected_vars, expected_slots), (vars_, slots) = results
    for a, b in zip(expected_vars, vars_):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert len(expected_slots) == len(slots)  # same slots: checkpoints interchange
    for a, b in zip(expected_slots, slots):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert not np.allclose(vars_[0], init[0])
    assert len(calls) == (2 if compiled else 8), "the fused kernel must do the update"


def test_fused_adam_round_trips_its_config():
    optimizer = FusedAdam(1e-3, beta_1=0.5, name="g")
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(clone) is FusedAdam and clone.get_config() == optimizer.get_config()
