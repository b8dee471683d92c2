import keras
import numpy as np
import pytest
import tensorflow as tf

from attngan_tf.ops.fused_adam import FusedAdam


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


@pytest.mark.parametrize("compiled", [False, True])
def test_fused_adam_with_torch_epsilon_is_torch_adam(compiled):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    init = [rng.normal(size=(4, 3)), rng.normal(size=(5,))]
    # Tiny gradients: where epsilon's placement decides the update.
    grads = [[rng.normal(size=v.shape) * scale for v in init]
             for scale in (1e-9, 1e-8, 1e-2, 3e-9, 1.0)]
    params = [torch.tensor(v, requires_grad=True) for v in init]
    reference = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    for g in grads:
        for p, x in zip(params, g):
            p.grad = torch.tensor(x)
        reference.step()
    expected = [p.detach().numpy() for p in params]

    def run(torch_epsilon):
        variables = [keras.Variable(v, dtype="float64") for v in init]
        optimizer = FusedAdam(2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8,
                              torch_epsilon=torch_epsilon)
        optimizer.build(variables)
        step = _stepper(optimizer, variables, compiled)
        for g in grads:
            step([tf.constant(x) for x in g])
        return [np.asarray(v) for v in variables]

    # Updates are ~2e-4 per step; Keras holds lr and betas as float32 (1e-7 of an update).
    for a, b in zip(expected, run(True)):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)
    keras_place = run(False)
    assert max(np.max(np.abs(a - b)) for a, b in zip(expected, keras_place)) > 1e-5


def test_fused_adam_torch_epsilon_in_config_and_refused_with_amsgrad():
    optimizer = FusedAdam(1e-3, torch_epsilon=True)
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert clone.get_config()["torch_epsilon"] is True
    with pytest.raises(ValueError, match="amsgrad"):
        FusedAdam(1e-3, amsgrad=True, torch_epsilon=True)
