"""benchmarks/few_rows_matmul.py: the discriminators' products it records and times."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import few_rows_matmul  # noqa: E402


def test_it_records_every_discriminator_product_of_an_iteration():
    from attngan_tf.config import get_preset

    config = get_preset("tiny")
    shapes = few_rows_matmul.product_shapes(config, batch=2)
    assert shapes, "no discriminator block ran as a matrix product"
    rows = {shape[0] for shape in shapes}
    # each product once for the update's 2·batch images, once for the generator's batch
    assert sum(shapes.values()) % 2 == 0
    assert any(2 * r in rows for r in rows)
    plain, transposed = few_rows_matmul.time_input_gradients(min(shapes), repeats=1)
    assert plain > 0 and transposed > 0
