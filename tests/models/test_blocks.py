import numpy as np


def test_up_block_trains_as_it_infers():
    import tensorflow as tf

    from attngan_tf.models.blocks import UpBlock

    rng = np.random.default_rng(5)
    x = tf.constant(rng.normal(size=(3, 4, 4, 6)), tf.float32)
    block = UpBlock(5)
    block.build(x.shape)
    # Same batch statistics as inference would use once the moving ones equal them.
    trained = block(x, training=True)
    conv = block.conv(block.upsample(x))
    mean, var = tf.nn.moments(conv, axes=[0, 1, 2])
    block.bn.moving_mean.assign(mean)
    block.bn.moving_variance.assign(var)
    np.testing.assert_allclose(block(x, training=False).numpy(), trained.numpy(), atol=1e-4)
    assert trained.shape == (3, 8, 8, 5)
