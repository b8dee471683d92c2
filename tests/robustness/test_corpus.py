"""The bad-input corpus (tests/robustness/corpus.py): every case as documented.

Each case is one test: a clear error naming the input, a counted repair, or
acceptance -- never a traceback or a hang.
"""

from __future__ import annotations

import pytest

from tests.robustness import corpus

CASES = corpus.cases(include_slow=True)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.entry}: {c.name}" for c in CASES])
def test_case_ends_as_documented(case):
    if case.entry.startswith("TFLite"):
        pytest.importorskip("ai_edge_litert")
    result = corpus.run_case(case)
    assert result.passed, f"{result.outcome} (expected {case.expect}): {result.detail}"


def test_the_runner_counts_tracebacks_and_hangs():
    def crash(tmp):
        raise KeyError("boom")

    def sleep(tmp):
        import time
        time.sleep(5)

    def unnamed(tmp):
        raise ValueError("something went wrong")

    results = [corpus.run_case(corpus.Case("x", "crash", crash, "error", "boom")),
               corpus.run_case(corpus.Case("x", "hang", sleep, "ok", timeout=1)),
               corpus.run_case(corpus.Case("x", "unnamed", unnamed, "error", "caption")),
               corpus.run_case(corpus.Case("x", "accepted", lambda t: None, "error", "a"))]
    assert [r.outcome for r in results] == ["traceback", "hang", "unclear", "wrong"]
    assert not any(r.passed for r in results)
    table = corpus.table(results)
    assert "| total" in table and table.splitlines()[-1].split("|")[2].strip() == "4"
