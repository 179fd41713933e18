"""The capture load run, short: 20 concurrent users save assessments against the real server
for a few seconds; no save is lost or duplicated (full run: benchmarks/bench_capture_load.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_capture_load.py"


def test_twenty_users_save_assessments_without_loss_or_duplication() -> None:
    spec = importlib.util.spec_from_file_location("bench_capture_load", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.run(duration=6, users=20)
    print(result)
    assert result["n_errors"] == 0, result["errors"]
    assert result["lost"] == 0 and result["duplicated"] == 0
    # The property is integrity, not speed (speed: the benchmark script): enough concurrent
    # saves to overlap (at least one per user, a busy CI machine managed 80 in 6 s), each stored.
    assert result["saves"] >= 20 and result["stored"] == result["saves"]
