"""benchmarks/port.py: runs the PyTorch port of the original and reads its figures."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import port  # noqa: E402

pytest.importorskip("torch")


@pytest.mark.slow
def test_port_figures_at_the_tiny_preset():
    sampling = port.port_sample_ms("tiny", (1, 2), repeats=2)
    assert set(sampling) == {1, 2} and all(ms > 0 for ms in sampling.values())
    training = port.port_train("tiny", 2, steps=1, warmup=1)
    assert training["seconds"] > 0 and 0.1 < training["rss_gib"] < 24


def test_a_failing_port_run_says_why(monkeypatch):
    monkeypatch.setattr(port, "SCRIPT", str(ROOT / "benchmarks" / "no_such_script.py"))
    with pytest.raises(RuntimeError, match="no_such_script|failed"):
        port.port_train("tiny", 2, steps=1)
