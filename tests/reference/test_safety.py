"""Adverse events of the synthetic reference trial: Table 3 recounted from the generated rows.

Every assertion names the cell it checks ("Table 3, <term>, <arm>, <column>").
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``reference`` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from gvhdtrial.data import ctcae, model  # noqa: E402
from reference import safety  # noqa: E402
from reference.outcomes import CAUSE_OF_TERM, death_primary_term, generate_outcomes  # noqa: E402

COLUMNS = ("any grade", "grade 3-4", "grade 5")
PUBLISHED = ROOT / "gvhdtrial/analysis/published/table3.csv"


@pytest.fixture(scope="module")
def trial(solved_attributes: pd.DataFrame) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    attributes = solved_attributes
    # a short outcome search is enough here: only the deaths (7 / 6 within 180 days) matter
    events = generate_outcomes(attributes, np.random.default_rng(11), effort=0.15)
    aes = safety.generate_adverse_events(attributes, events, np.random.default_rng(12))
    return attributes, events, aes


@pytest.fixture(scope="module")
def counts(trial: tuple) -> dict:
    attributes, _, aes = trial
    return safety.count_table3(attributes, aes)


def test_table3_constant_matches_published_csv() -> None:
    df = pd.read_csv(PUBLISHED)
    df = df[df["msc_any"].notna() & (df["event"] != "Any adverse event")]
    assert len(df) == len(safety.TABLE3)
    for _, r in df.iterrows():
        cells = tuple(
            int(str(r[c]).split(" ")[0])
            for c in (
                "msc_any",
                "msc_grade3_4",
                "msc_grade5",
                "control_any",
                "control_grade3_4",
                "control_grade5",
            )
        )
        assert safety.TABLE3[r["event"]] == cells, f"Table 3, {r['event']}: transcription"


@pytest.mark.parametrize("term", list(safety.TABLE3))
def test_table3_cells(counts: dict, term: str) -> None:
    cells = safety.TABLE3[term]
    got = counts.get(term, {"MSC": (0, 0, 0), "control": (0, 0, 0)})
    for k, arm in enumerate(("MSC", "control")):
        for j, col in enumerate(COLUMNS):
            want = cells[3 * k + j]
            assert got[arm][j] == want, f"Table 3, {term}, {arm}, {col}: {got[arm][j]} != {want}"


def test_table3_any_adverse_event_row(counts: dict) -> None:
    for arm in ("MSC", "control"):
        tot = safety.TOTALS[arm]
        got = counts["__any__"][arm]
        for j, (col, key) in enumerate(zip(COLUMNS, ("any", "grade3_4", "grade5"), strict=True)):
            assert got[j] == tot[key], f"Table 3, Any adverse event, {arm}, {col}"


def test_unlisted_terms_stay_below_listing_thresholds(counts: dict) -> None:
    for term, by_arm in counts.items():
        if term in safety.TABLE3 or term == "__any__":
            continue
        for arm, (n_any, n34, n5) in by_arm.items():
            listed = safety.listed(n_any, n34, n5, safety.ARM_N[arm])
            assert not listed, f"filler {term}, {arm}: {n_any}/{n34}/{n5} would be listed"


def test_listing_rule_lists_every_table3_term() -> None:
    for term, c in safety.TABLE3.items():
        listed = safety.listed(c[0], c[1], c[2], 40) or safety.listed(c[3], c[4], c[5], 38)
        assert listed, f"Table 3, {term}: printed although below every threshold"


def _per_arm(trial: tuple, pred) -> dict[str, int]:
    attributes, _, aes = trial
    arm_of = dict(zip(attributes["patient_id"], attributes["arm"], strict=True))
    pts = {r["patient_id"] for r in aes if pred(r)}
    return {arm: sum(1 for p in pts if arm_of[p] == arm) for arm in ("MSC", "control")}


def test_sae_related_and_infusion_totals(trial: tuple) -> None:
    sae = _per_arm(trial, lambda r: r["serious"])
    rel = _per_arm(trial, lambda r: r["related_to_study_agent"])
    inf = _per_arm(trial, lambda r: r["infusion_related"])
    for arm in ("MSC", "control"):
        tot = safety.TOTALS[arm]
        assert sae[arm] == tot["sae"], f"Results, Safety, SAE patients, {arm}"
        assert rel[arm] == tot["related"], f"Results, Safety, drug-related AE patients, {arm}"
        assert inf[arm] == 0, f"Results, Safety, infusion toxicity, {arm}"
    _, _, aes = trial
    assert not [r for r in aes if r["serious"] and r["related_to_study_agent"]], (
        "Results, Safety: no SAE is related to the study agent"
    )
    assert all(r["serious"] for r in aes if r["grade"] == 5), "a fatal AE is serious"


def test_rows_follow_the_data_model(trial: tuple) -> None:
    _, _, aes = trial
    table = model.table("adverse_events")
    outcomes = set(table.field("outcome").allowed)
    for r in aes:
        assert set(r) == set(table.columns)
        assert r["term"] in ctcae.CTCAE_TERMS
        assert r["soc"] == ctcae.soc_of(r["term"])
        assert (r["term_specify"] is not None) == (r["term"] in ctcae.OTHER_SPECIFY_TERMS)
        assert 1 <= r["grade"] <= 5
        assert r["outcome"] in outcomes
        has_res = r["outcome"] in ("recovered", "recovered_with_sequelae")
        assert (r["resolution_date"] is not None) == has_res
    keys = [(r["patient_id"], r["ae_id"]) for r in aes]
    assert len(keys) == len(set(keys)), "primary key (patient_id, ae_id)"


def test_dates_consistent_with_deaths_and_window(trial: tuple) -> None:
    attributes, events, aes = trial
    day0 = dict(zip(attributes["patient_id"], attributes["randomization_date"], strict=True))
    death = {e["patient_id"]: e["event_date"] for e in events if e["event_type"] == "death"}
    last = {
        e["patient_id"]: e["event_date"]
        for e in events
        if e["event_type"] in ("last_contact", "lost_to_follow_up")
    }
    for r in aes:
        pid = r["patient_id"]
        assert r["onset_date"] >= day0[pid], "AE onset before randomization"
        assert r["onset_date"] <= day0[pid] + dt.timedelta(days=180), "AE after day 180"
        if pid in death:
            assert r["onset_date"] <= death[pid], "AE onset after death"
            if r["resolution_date"] is not None:
                assert r["resolution_date"] < death[pid], "AE resolved after death"
        if pid in last:
            assert r["onset_date"] <= last[pid], "AE onset after last contact"
        if r["resolution_date"] is not None:
            assert r["resolution_date"] >= r["onset_date"]
        if r["grade"] == 5:
            assert r["outcome"] == "fatal"
            assert pid in death and r["onset_date"] <= death[pid]
        else:
            assert r["outcome"] != "fatal"


def test_grade5_patients_are_the_deaths_within_180_days(trial: tuple) -> None:
    attributes, events, aes = trial
    day0 = dict(zip(attributes["patient_id"], attributes["randomization_date"], strict=True))
    deaths = [e for e in events if e["event_type"] == "death"]
    early = {
        e["patient_id"] for e in deaths if (e["event_date"] - day0[e["patient_id"]]).days <= 180
    }
    g5 = {r["patient_id"] for r in aes if r["grade"] == 5}
    assert g5 == early
    for e in deaths:
        pid = e["patient_id"]
        if pid not in early:
            continue
        terms = {
            ctcae.table3_label(r["term"], r["term_specify"])
            for r in aes
            if r["patient_id"] == pid and r["grade"] == 5
        }
        assert 1 <= len(terms) <= 2, f"{pid}: {terms}"
        primary = death_primary_term(e)
        assert primary in terms, f"{pid}: death cause {primary} has no grade 5 AE"
        assert CAUSE_OF_TERM[primary] == e["death_cause"]
        if primary == "Death not else classified":
            assert terms == {primary}
