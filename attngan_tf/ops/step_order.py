"""Control edges that order a training step's ops, for memory: tensors passed
on unchanged, but only once other ops have run.

Each function here equals the plain form -- its ``tensors`` (or ``gradients``)
passed on as they are, ``None`` staying ``None`` -- in values: inside a
``tf.function`` it returns identities of them with control edges, and eagerly
the tensors themselves. Only when ops run changes. Proven by
``tests/ops/test_step_order.py::test_step_order_passes_tensors_on_unchanged`` and,
in :meth:`attngan_tf.models.AttnGAN._discriminator_step` (the update applied a
piece at a time, each piece after the ones above it),
``tests/models/test_attngan.py::test_discriminator_update_by_pieces_equals_one_update``.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["after_networks", "after_updates", "held_until", "together"]


def held_until(dependencies, tensors) -> list:
    """Identities of ``tensors`` (None stays None) that exist only after ``dependencies``
    have run (control edges; a no-op when executing eagerly)."""
    if tf.executing_eagerly() or not dependencies:
        return list(tensors)
    with tf.control_dependencies(dependencies):
        return [None if t is None else tf.identity(t) for t in tensors]


def after_updates(variables, *tensors):
    """``tensors`` passed on only once ``variables`` are updated.

    Inside a ``tf.function`` a read of a variable is ordered after the writes
    before it, so control edges on reads of the variables make whatever
    consumes the returned tensors wait for those updates. Returns a tuple.
    """
    if tf.executing_eagerly():
        return tensors
    reads = [v.value.read_value() if hasattr(v.value, "read_value") else v.value
             for v in variables]
    return tuple(held_until(reads, tensors))


def after_networks(networks, *tensors):
    """``tensors`` passed on only once every trainable variable of ``networks`` is updated."""
    return after_updates([v for network in networks for v in network.trainable_variables],
                         *tensors)


def together(gradients):
    """``gradients``, released to the optimizer only once all of them exist.

    Otherwise a variable's update can run while a backward op that still
    needs the variable's old value is pending, and TensorFlow then copies the
    variable (copy-on-write): 128 MB for the largest discriminator kernel.
    """
    return held_until([g for g in gradients if g is not None], gradients)
