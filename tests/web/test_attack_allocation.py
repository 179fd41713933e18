"""Attacks on allocation concealment, run against a live server (gunicorn, its own database and
key folder) the way a curious insider would run them (issue 10).

One small trial is seeded and served; 64 patients are randomized at C01 and 24 at C02 through
the API, and the C01 pharmacist dispenses one bag to each C01 patient in randomization order.
Then:

(a) seed regeneration: every integer written anywhere in the repository's source (gvhdtrial/,
    reference/, tests/, benchmarks/, docs/, Makefile, README, pyproject), plus offsets -2..+2,
    is tried as the seed of the public schedule algorithm and of the public tracking-number
    algorithm; none may reproduce the live allocations (as the statistician sees them) or the
    live kit numbers. The same attack, given the true seed (the statistician's export), does
    reproduce them: the attack works, the seed is simply not there to find.
(b) the database file read without the key folder: no cell of any table holds an arm label, the
    sealed arms of two equal arms differ, and the schedule's seed appears nowhere.
(c) dispensing-order inference by the site pharmacist from their own kit list and dispensing
    order: over the disjoint pairs of patients the attack resolves (at least 4 randomizations
    apart, so "same arm" has probability 1/2), same/other arm is predicted no better than
    chance (one-sided binomial test at 0.001; numbers printed in the assertion message). In a
    simulation of 200 trials of this size (64 patients, 40 kits per arm) the attack resolved
    15.6 pairs on average, all correctly, under the old deterministic rule (the test fails in
    172 of 200), and 32 pairs at 49.8 % under random choice (fails in 0 of 200).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.randomization import ScheduleParams, generate_schedule
from gvhdtrial.supply import generate_tracking_numbers
from gvhdtrial.web.loadrun import ELIGIBLE_ANSWERS, Client, LiveServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARMS = ("MSC", "placebo")
N_C01, N_C02 = 64, 24


@dataclass
class Attacked:
    server: LiveServer
    tokens: dict[str, str]
    allocations: dict[str, list[str]]  # stratum -> arms in sequence order (statistician's view)
    arm_of: dict[str, str]  # patient code -> arm
    order: list[str]  # C01 patient codes in dispensing order
    dispensed: dict[str, list[str]]  # C01 patient code -> the tracking numbers dispensed
    kits: list[dict[str, Any]]  # the C01 pharmacist's own kit list


def _get(c: Client, path: str, token: str) -> Any:
    r = c.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()


def _post(c: Client, path: str, token: str, body: dict[str, Any]) -> Any:
    r = c.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 201), (path, r.status_code, r.text[:300])
    return r.json()


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attacked]:
    server = LiveServer(tmp_path_factory.mktemp("attack"), workers=1, threads=4)
    try:
        tokens = server.seed(slots_per_stratum=72, kits_per_site=40)
        server.start()
        with Client(server.url) as c:
            codes: dict[str, str] = {}
            for site, n in (("C01", N_C01), ("C02", N_C02)):
                for _ in range(n):
                    body = {"weight_kg": 25.0, "answers": ELIGIBLE_ANSWERS,
                            "consent_date": "2024-01-02"}  # fmt: skip
                    p = _post(c, "/api/patients", tokens[site], body)
                    r = _post(c, f"/api/patients/{p['id']}/randomize", tokens[site], {})
                    codes[r["randomization_number"]] = p["code"]
                    if site == "C01":
                        codes[f"id:{p['code']}"] = str(p["id"])
            pharmacist = tokens["user:pharmacist"]
            order, dispensed = [], {}
            for number in sorted(n for n in codes if n.startswith("C01-R")):
                code = codes[number]
                body = {"infusion_number": 1}
                out = _post(c, f"/api/patients/{codes[f'id:{code}']}/dispense", pharmacist, body)
                dispensed[code] = out["tracking_numbers"]
                order.append(code)
            kits = _get(c, "/api/supply/kits?limit=1000", pharmacist)
            rows = _get(c, "/api/randomization/allocations", tokens["statistician"])
        allocations: dict[str, list[str]] = {}
        for row in sorted(rows, key=lambda r: (r["stratum"], r["sequence"])):
            allocations.setdefault(row["stratum"], []).append(row["arm"])
        arm_of = {row["patient_code"]: row["arm"] for row in rows}
        yield Attacked(server, tokens, allocations, arm_of, order, dispensed, kits)
    finally:
        server.stop()
        server.drop_database()


# ------------------------------------------------------------------ (a) seed regeneration
def repository_integers() -> set[int]:
    """Every run of digits in the repository's source and docs (parts of decimals and dates
    included), and every whole integer literal with offsets -2..+2 (seed + 1 and the like)."""
    folders = ("gvhdtrial", "reference", "tests", "benchmarks", "docs")
    files = [p for d in folders if (ROOT / d).exists() for p in (ROOT / d).rglob("*")]
    files += [ROOT / "Makefile", ROOT / "README.md", ROOT / "pyproject.toml"]
    found: set[int] = set()
    whole: set[int] = set()
    for path in files:
        if not path.is_file() or ".venv" in path.parts or path.suffix in (".pyc", ".png", ".pdf"):
            continue
        try:
            text = path.read_text("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found.update(int(m) for m in re.findall(r"\d{1,40}", text))
        whole.update(int(m) for m in re.findall(r"(?<![\d.])\d{1,40}(?![\d.])", text))
    return found | {n + d for n in whole for d in range(-2, 3) if n + d >= 0}


def regenerated_arms(seed: int, strata: tuple[str, ...], n: int) -> dict[str, list[str]]:
    """The public algorithm's first ``n`` arms of each stratum (stratum order = index)."""
    params = ScheduleParams(seed=seed, strata=strata, slots_per_stratum=n, arms=ARMS)
    out: dict[str, list[str]] = {}
    for slot in generate_schedule(params).slots:
        out.setdefault(slot.stratum, []).append(slot.arm)
    return {k: v[:n] for k, v in out.items()}


def test_no_integer_in_the_repository_regenerates_the_allocations_or_kit_numbers(
    attacked: Attacked,
) -> None:
    candidates = repository_integers()
    assert len(candidates) > 5_000  # the whole source was read
    seen_c01 = attacked.allocations["C01"]
    seen_c02 = attacked.allocations["C02"]
    assert len(seen_c01) == N_C01 and len(seen_c02) == N_C02
    live_numbers = {k["tracking_number"] for k in attacked.kits}
    schedule_hits, kit_hits = [], []
    for seed in sorted(candidates):
        first_block = regenerated_arms(seed, ("C01",), 2)["C01"]  # cheap filter, then in full
        if first_block == seen_c01[: len(first_block)]:
            both = regenerated_arms(seed, ("C01", "C02"), N_C01)
            if both["C01"] == seen_c01 and both["C02"][:N_C02] == seen_c02:
                schedule_hits.append(seed)
        first_kit = generate_tracking_numbers(1, seed)[0]  # cheap filter, then three
        if first_kit in live_numbers and set(generate_tracking_numbers(3, seed)) <= live_numbers:
            kit_hits.append(seed)
    assert not schedule_hits, f"seeds from the source regenerate the schedule: {schedule_hits}"
    assert not kit_hits, f"seeds from the source regenerate the kit list: {kit_hits}"
    # The attack itself works: given the true seed (the statistician's export) it succeeds.
    meta = sealed_schedule_meta(attacked)
    if meta is not None:
        true = regenerated_arms(int(meta["seed"]), tuple(meta["strata"])[:2], N_C01)
        assert true["C01"] == seen_c01 and true["C02"][:N_C02] == seen_c02


def sealed_schedule_meta(attacked: Attacked) -> dict[str, Any] | None:
    """The schedule's seed and parameters as the statistician exports them for the trial
    master file (None when the service has no such export)."""
    with Client(attacked.server.url) as c:
        r = c.get(
            "/api/randomization/schedule",
            {"Authorization": f"Bearer {attacked.tokens['statistician']}"},
        )
    if r.status_code != 200:
        return None
    params: dict[str, Any] = r.json()["params"]
    return params if params.get("seed") is not None else None


# ------------------------------------------------------------------ (b) the database file
def public(table: str, column: str) -> str:
    """Rows that hold the trial definition's text, public protocol text that names the arms
    but no allocation (the blinding crawl summarises the same, ``SUMMARISED_FIELDS``)."""
    if table == "trialdef_definitionversion" and column in ("text", "changes"):
        return " WHERE 0"
    if table == "audit_auditentry":
        return (
            " WHERE NOT (record LIKE 'trialdef.definitionversion:%'"
            " AND field IN ('text', 'changes'))"
        )
    return ""


def test_the_database_file_without_the_keys_holds_no_arm(attacked: Attacked) -> None:
    if attacked.server.vendor != "sqlite":
        pytest.skip("reads the SQLite file; PostgreSQL holds the same values")
    db = attacked.server.home / "gvhdtrial.sqlite3"
    label = re.compile(r"\b(" + "|".join(ARMS) + r")\b")
    hits: list[str] = []
    slot_arms: list[str] = []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                query = f'SELECT "{column}" FROM "{table}"{public(table, column)}'
                for (value,) in conn.execute(query):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    if isinstance(text, str) and label.search(text):
                        hits.append(f"{table}.{column}: {text[:80]!r}")
        slot_arms = [r[0] for r in conn.execute("SELECT arm FROM randomization_slot")]
        dump = "\n".join(conn.iterdump())
    assert not hits, f"{len(hits)} cells name an arm, e.g. {hits[:5]}"
    assert len(set(slot_arms)) == len(slot_arms)  # equal arms, unequal sealed values
    meta = sealed_schedule_meta(attacked)
    assert meta is not None and str(meta["seed"]) not in dump


# ------------------------------------------------------------------ (c) dispensing order
def same_arm_predictions(
    kits: list[dict[str, Any]], order: list[str], dispensed: dict[str, list[str]], min_gap: int = 4
) -> dict[tuple[str, str], bool]:
    """The pharmacist's attack on the old rule (earliest expiry, then lowest number, within the
    arm). What they see: their kit list (number, lot, expiry) and which kits went to whom, in
    order. Constraints: kits dispensed together share an arm; when a batch is dispensed, every
    kit still on the shelf that sorts before it is of the other arm. Solved as a two-colouring
    (union-find with parity), this resolves some pairs of patients exactly. Returned: disjoint
    resolved pairs at least ``min_gap`` randomizations apart (so never in one block of <= 4,
    and "same arm" has probability 1/2 whatever the attack), with the predicted same/other."""
    key = {k["tracking_number"]: (k["expiry"], k["tracking_number"]) for k in kits}
    parent = {t: t for t in key}
    parity = dict.fromkeys(key, 0)

    def find(t: str) -> tuple[str, int]:
        p = 0
        while parent[t] != t:
            p ^= parity[t]
            t = parent[t]
        return t, p

    def link(a: str, b: str, other: int) -> None:
        (ra, pa), (rb, pb) = find(a), find(b)
        if ra != rb:
            parent[ra], parity[ra] = rb, pa ^ pb ^ other

    shelf = set(key)
    for code in order:
        batch = dispensed[code]
        for k in batch[1:]:
            link(batch[0], k, 0)
        top = max(key[k] for k in batch)
        for j in shelf - set(batch):
            if key[j] < top:
                link(j, batch[0], 1)
        shelf -= set(batch)
    out: dict[tuple[str, str], bool] = {}
    used: set[str] = set()
    for i, a in enumerate(order):
        for b in order[i + min_gap :]:
            if a in used or b in used:
                continue
            (ra, pa), (rb, pb) = find(dispensed[a][0]), find(dispensed[b][0])
            if ra == rb:
                out[(a, b)] = pa == pb
                used |= {a, b}
    return out


def test_dispensing_order_tells_the_pharmacist_nothing_about_arms(attacked: Attacked) -> None:
    from scipy.stats import binomtest

    c01_kits = [k for k in attacked.kits if k["site"] == "C01"]
    predictions = same_arm_predictions(c01_kits, attacked.order, attacked.dispensed)
    truth = {(a, b): attacked.arm_of[a] == attacked.arm_of[b] for a, b in predictions}
    correct = sum(predictions[p] == truth[p] for p in predictions)
    n = len(predictions)
    test = binomtest(correct, n, 0.5, alternative="greater")
    assert n >= 10  # enough resolved pairs that the old rule (100 % right) would fail the test
    assert test.pvalue > 0.001, (
        f"the pharmacist predicted same/other arm for {correct} of {n} disjoint pairs "
        f"(chance: {n / 2:.0f}); one-sided binomial p = {test.pvalue:.2g}"
    )


def test_the_attack_tokens_are_blinded_roles(attacked: Attacked) -> None:
    """The pharmacist used above is blinded: the schedule and allocations are refused."""
    with Client(attacked.server.url) as c:
        headers = {"Authorization": f"Bearer {attacked.tokens['user:pharmacist']}"}
        for path in ("/api/randomization/allocations", "/api/randomization/schedule"):
            assert c.get(path, headers).status_code == 403
