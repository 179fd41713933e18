"""Attacks on blinding and integrity against the real server (gunicorn on loopback) as a blinded
role would make them, and on its SQLite file (issue 10).

1. Re-hashing: the chain algorithm is public (``sha256(prev_hash + canonical JSON)``), so a
   row hash shown over a redacted arm gives the arm away: try each arm, compare. Each blinded
   role that may read the trail (data manager, monitor, administrator) tries it on everything
   the audit API gives it.
2. Truncation of the database file: cut the last rows of the trail with ``sqlite3`` and move
   the chain head; ``gvhdtrial audit verify`` must fail on the signed checkpoints.
3. Unlock after trial-level unblinding, through the API, must be refused, and writes too.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.web.audit.chain import canonical_row
from gvhdtrial.web.loadrun import LiveServer, create_patients, randomize_all

pytestmark = pytest.mark.slow
ARMS = ("MSC", "placebo")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    server = LiveServer(tmp_path_factory.mktemp("attack") / "live", workers=1, threads=4)
    try:
        tokens = server.seed(slots_per_stratum=6, kits_per_site=2)
        server.start()
        patients = create_patients(server.url, tokens, 14, 4)
        result = randomize_all(server.url, tokens, patients, 4)
        assert len(result.acknowledged) == 14
        yield server, tokens
    finally:
        server.stop()
        server.drop_database()


def _call(server: LiveServer, token: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _get(server: LiveServer, token: str, path: str) -> Any:
    status, data = _call(server, token, path)
    assert status == 200, (path, status, data)
    return data


def _recover(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(redacted arm rows seen, arms recovered by re-hashing each candidate)."""
    by_seq = {r["seq"]: r for r in rows}
    redacted = recovered = 0
    for r in rows:
        if r["field"] != "arm" or "[blinded]" not in (r["old"], r["new"]):
            continue
        redacted += 1
        prev = by_seq.get(r["seq"] - 1, {}).get("hash")
        if not r.get("hash") or not prev:
            continue
        for arm in ARMS:
            guess = {**r, **{k: arm for k in ("old", "new") if r[k] == "[blinded]"}}
            text = canonical_row({**guess, "at": guess["at"]})
            if hashlib.sha256((prev + text).encode()).hexdigest() == r["hash"]:
                recovered += 1
                break
    return redacted, recovered


@pytest.mark.parametrize("role", ["datamanager", "monitor", "admin"])
def test_a_blinded_role_cannot_recompute_an_arm_from_the_audit_trail(
    live: tuple[LiveServer, dict[str, str]], role: str
) -> None:
    server, tokens = live
    rows = _get(server, tokens[f"user:{role}"], "/api/audit?limit=1000")
    rows += _get(server, tokens[f"user:{role}"], "/api/audit?limit=1000&after_seq=1000")
    for r in rows:  # the API's ISO time back to the canonical form the chain hashes
        r["at"] = r["at"].replace("+00:00", "Z").replace("Z", "") + "Z"
        if "." not in r["at"]:
            r["at"] = r["at"][:-1] + ".000000Z"
    redacted, recovered = _recover(rows)
    assert redacted >= 14  # the slot and kit arms are in what the role reads, redacted
    assert recovered == 0
    assert not any(r.get("hash") for r in rows)
    newest = _get(server, tokens[f"user:{role}"], "/api/audit?newest_first=true&limit=50")
    assert newest[0]["seq"] > newest[-1]["seq"] and not any(r.get("hash") for r in newest)


def test_cutting_the_trail_in_the_database_file_fails_verify(
    live: tuple[LiveServer, dict[str, str]], tmp_path: Path
) -> None:
    server, _ = live
    if server.vendor != "sqlite":
        pytest.skip("an attack on the SQLite file")
    copy = tmp_path / "home"
    shutil.copytree(server.home, copy)  # the server keeps running on the original
    db = sqlite3.connect(copy / "gvhdtrial.sqlite3")
    (last,) = db.execute("SELECT max(seq) FROM audit_auditentry").fetchone()
    db.executescript(
        "DROP TRIGGER audit_auditentry_no_delete; "
        f"DELETE FROM audit_auditentry WHERE seq > {last - 3};"
    )
    (head,) = db.execute(f"SELECT hash FROM audit_auditentry WHERE seq = {last - 3}").fetchone()
    db.execute(
        "UPDATE audit_chainhead SET last_seq = ?, last_hash = ? WHERE id = 1", (last - 3, head)
    )
    db.commit()
    db.close()
    env = {**server.env, "GVHDTRIAL_HOME": str(copy)}
    out = subprocess.run(
        [sys.executable, "-m", "gvhdtrial.cli", "audit", "verify"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"covers seq {last}, but the trail ends at seq {last - 3}" in out.stdout


def test_after_trial_unblinding_the_live_api_refuses_unlock_and_writes(
    live: tuple[LiveServer, dict[str, str]],
) -> None:
    server, tokens = live
    creds = json.loads((server.home / "demo_credentials.json").read_text())

    def post(who: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return _call(server, tokens[f"user:{who}"], path, body)

    wrong = post("admin", "/api/lock", {"reason": "end of study", "password": "not mine",
                                        "confirmed": True})  # fmt: skip
    assert wrong[0] == 403 and not _get(server, tokens["statistician"], "/api/lock")["locked"]
    lock = {"reason": "end", "password": creds["admin"], "confirmed": True}
    assert post("admin", "/api/lock", lock)[0] == 200
    signed = {"reason": "final analysis", "password": creds["statistician"]}
    status, state = post("statistician", "/api/trial-unblinding", signed)
    assert status == 200 and state["trial_unblinded"]
    status, refusal = post("admin", "/api/unlock", {"reason": "late", "password": creds["admin"]})
    assert status == 409 and "never be unlocked" in refusal["detail"]
    answers = {"age_years": 40, "agvhd_grade": 3}
    status, body = post("investigator", "/api/patients", {"weight_kg": 60, "answers": answers})
    assert status == 423, body
    state = _get(server, tokens["statistician"], "/api/lock")
    assert state["locked"] and state["trial_unblinded"]
