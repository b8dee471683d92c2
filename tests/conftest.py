"""Shared fixtures: seeding, the optional ../shared folder, built networks."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE_FILE = SHARED / "reference_vectors" / "attngan_small.npz"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)


@pytest.fixture(scope="session")
def reference_file() -> pathlib.Path:
    if not REFERENCE_FILE.is_file():
        pytest.skip(f"reference vectors not found at {REFERENCE_FILE} "
                    "(../shared is absent outside the project's workspace)")
    return REFERENCE_FILE


@pytest.fixture(scope="session")
def birds_networks():
    from attngan_tf.config import get_preset
    from attngan_tf.info import build_networks

    keras.utils.set_random_seed(7)
    return build_networks(get_preset("birds"))


# -- the slow tests ---------------------------------------------------------------------------
# Tests marked ``slow`` (about 20 s or more each: whole training runs, examples,
# the float64 parity checks) are left out of a plain ``pytest`` run, which stays
# within a few minutes; ``pytest --slow`` (the README's test command, and CI's)
# runs them too.
def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true",
                     help="also run the tests marked slow (the README's test command does)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes about 20 s or more; run with --slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
