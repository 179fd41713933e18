"""Against the real server (gunicorn on loopback, its own database): a modest load run, a crash
run with SIGKILL, and schemathesis on the OpenAPI schema. The full-size load run (2,000 patients,
50 clients) is ``benchmarks/bench_randomization_load.py``."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gvhdtrial.web.loadrun import (
    LiveServer,
    create_patients,
    randomize_all,
    repeat_some,
    summary,
    verify,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    s = LiveServer(tmp_path / "live", workers=2, threads=8)
    try:
        yield s
    finally:
        s.stop()
        s.drop_database()


def test_concurrent_clients_randomize_each_patient_exactly_once(server: LiveServer) -> None:
    tokens = server.seed(slots_per_stratum=80)
    server.start()
    patients = create_patients(server.url, tokens, 420, 50)
    result = randomize_all(server.url, tokens, patients, 50)
    print(summary(result, f"load ({server.vendor})"))
    assert not result.failures
    assert repeat_some(server.url, tokens, result, 50, 10)
    checks = verify(server, result, expect_all=True)
    assert checks["ok"], checks
    assert checks["allocations"] == 420 and checks["duplicate_patients"] == 0
    assert checks["skipped_slots"] == {} and checks["acknowledged_lost"] == []


def test_kill_9_during_load_loses_no_acknowledged_allocation(server: LiveServer) -> None:
    tokens = server.seed(slots_per_stratum=60)
    server.start()
    patients = create_patients(server.url, tokens, 300, 50)
    killed = threading.Event()

    def on_ack(n: int) -> None:
        if n >= 100 and not killed.is_set():
            killed.set()
            server.kill9()

    result = randomize_all(server.url, tokens, patients, 50, on_ack=on_ack)
    assert killed.is_set() and 100 <= len(result.acknowledged) < 300
    server.start()
    after = verify(server, result, expect_all=False)
    assert after["ok"], after  # nothing half-done, every acknowledged allocation survived
    rest = randomize_all(server.url, tokens, patients, 50)
    for pid, number in rest.acknowledged.items():
        assert result.acknowledged.get(pid, number) == number
        result.acknowledged[pid] = number
    final = verify(server, result, expect_all=True)
    assert final["ok"] and final["allocations"] == 300, final


def test_schemathesis_finds_no_server_error(server: LiveServer) -> None:
    tokens = server.seed(slots_per_stratum=30)
    server.start()
    schema = f"{server.url}/api/openapi.json"
    for who, examples in (("user:investigator", 25), ("user:admin", 10), ("statistician", 10)):
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", schema,
             "-H", f"Authorization: Bearer {tokens[who]}",
             "--checks", "not_a_server_error", "--max-examples", str(examples),
             "--seed", "6", "--no-color"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        tail = run.stdout[-3000:]
        print(who, tail[-600:])
        assert run.returncode == 0, f"schemathesis as {who}:\n{tail}\n{run.stderr[-2000:]}"
        assert " passed" in tail
