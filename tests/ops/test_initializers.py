import numpy as np
import pytest

from attngan_tf.ops.initializers import TallOrthogonal


@pytest.mark.parametrize("shape", [(4, 4, 64, 32), (3, 3, 8, 256), (300, 40), (40, 300), (16, 16)])
def test_tall_orthogonal_gives_orthonormal_columns_or_rows(shape):
    w = np.asarray(TallOrthogonal(seed=3)(shape)).reshape(-1, shape[-1]).astype(np.float64)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=2e-5)


def test_tall_orthogonal_is_seeded():
    a = np.asarray(TallOrthogonal(seed=5)((512, 64)))
    b = np.asarray(TallOrthogonal(seed=5)((512, 64)))
    c = np.asarray(TallOrthogonal(seed=6)((512, 64)))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.01
