"""The solved attribute table reproduces every count-based published number exactly.

Each assertion recounts from the attribute table (one row per randomized patient) and names its
source in the paper, e.g. "Table 2 ORR_D28 ITT organ:gut: 14/26 vs 9/26".
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``reference`` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from reference import solve  # noqa: E402
from reference import targets as T  # noqa: E402
from reference.attributes import ATTRIBUTE_COLUMNS  # noqa: E402
from reference.generate import DEFAULT_SEED  # noqa: E402

SEED = DEFAULT_SEED  # 20200601, the committed reference trial's


@pytest.fixture(scope="module")
def attributes(solved_attributes: pd.DataFrame) -> pd.DataFrame:
    return solved_attributes  # the session's solve of SEED (conftest)


def _population(a: pd.DataFrame, population: str, arm: str) -> pd.DataFrame:
    sub = a[a["arm"] == arm]
    return sub[sub["in_pp"]] if population == "PP" else sub


def _table1_mask(a: pd.DataFrame, attribute: str, level: object) -> pd.Series:
    if attribute == "organ":
        return a["organs"].map(lambda o: level in o)
    if attribute == "n_organs":
        return a["organs"].map(len) == level
    if attribute == "grade":
        return a["baseline_grade"] == level
    return a[attribute] == level


def _subgroup_mask(a: pd.DataFrame, subgroup: str) -> pd.Series:
    if subgroup == "all":
        return pd.Series(True, index=a.index)
    kind, _, value = subgroup.partition(":")
    if kind == "grade":
        grades = {"II": {2}, "III": {3}, "III-IV": {3, 4}}[value]
        return a["baseline_grade"].isin(grades)
    if kind == "organ":
        return a["organs"].map(lambda o: value in o)
    if kind == "organs":
        return a["organs"].map(len) == 1 if value == "1" else a["organs"].map(len) >= 2
    return a["sr_type"] == value


def _responded(a: pd.DataFrame, endpoint: str) -> pd.Series:
    if endpoint == "ORR_D28":
        return a["response_d28"].isin(["CR", "PR"])
    if endpoint == "CR_D28":
        return a["response_d28"] == "CR"
    if endpoint == "ORR_D56":
        return a["response_d56"].isin(["CR", "PR"])
    return a["dcr"].astype(bool)


def test_contract_columns(attributes: pd.DataFrame) -> None:
    missing = [c.name for c in ATTRIBUTE_COLUMNS if c.name not in attributes.columns]
    assert not missing, f"attribute table lacks {missing}"
    assert len(attributes) == 78 and attributes["patient_id"].is_unique


@pytest.mark.parametrize("pop", ["ITT", "PP"])
@pytest.mark.parametrize("arm", T.ARMS)
def test_population_sizes(attributes: pd.DataFrame, pop: str, arm: str) -> None:
    want = T.POPULATION_SIZES[(pop, arm)]
    got = len(_population(attributes, pop, arm))
    assert got == want, f"Table 1 No. of patients {pop} {arm}: {got}, published {want}"


@pytest.mark.parametrize("target", T.TABLE1_COUNTS, ids=lambda t: f"{t.attribute}={t.level}")
def test_table1_counts(attributes: pd.DataFrame, target: T.CountTarget) -> None:
    for pop in ("ITT", "PP"):
        for arm in T.ARMS:
            sub = _population(attributes, pop, arm)
            got = int(_table1_mask(sub, target.attribute, target.level).sum())
            want = target.value(pop, arm)
            assert got == want, f"{target.source} {pop} {arm}: {got}, published {want}"


@pytest.mark.parametrize(
    "t", T.RESPONSE_TARGETS, ids=lambda t: f"{t.endpoint}-{t.population}-{t.subgroup}"
)
def test_response_targets(attributes: pd.DataFrame, t: T.ResponseTarget) -> None:
    got = []
    for arm in T.ARMS:
        sub = _population(attributes, t.population, arm)
        sub = sub[_subgroup_mask(sub, t.subgroup)]
        got.append(f"{int(_responded(sub, t.endpoint).sum())}/{len(sub)}")
    want = [f"{t.msc_x}/{t.msc_n}", f"{t.control_x}/{t.control_n}"]
    label = f"{t.source} {t.endpoint} {t.population} {t.subgroup}"
    assert got == want, f"{label}: {got[0]} vs {got[1]}, published {want[0]} vs {want[1]}"


@pytest.mark.parametrize("arm", T.ARMS)
def test_consort(attributes: pd.DataFrame, arm: str) -> None:
    sub = attributes[attributes["arm"] == arm]
    disc = sub[sub["discontinued_before_d28"]]
    assert len(disc) == 8, f"Results, Patients: discontinued before d28 {arm}: {len(disc)} != 8"
    for reason in ("salvage_failure", "consent_withdrawn", "death"):
        got = int((disc["discontinuation_reason"] == reason).sum())
        want = T.CONSORT[reason][arm]
        assert got == want, f"Results, Patients: {reason} {arm}: {got}, published {want}"
    sf = disc[disc["discontinuation_reason"] == "salvage_failure"]
    assert (sf["baseline_grade"] == 3).all(), "Results, Patients: salvage failures all grade III"
    assert (disc["discontinuation_day"] < 28).all()
    causes = sorted(disc.loc[disc["discontinuation_reason"] == "death", "fixed_death_cause"])
    assert causes == sorted(T.CONSORT["early_death_causes"][arm]), "early death causes"
    for _, r in disc.iterrows():
        assert (r["response_d28"], r["response_d56"], r["dcr"]) == ("NR", "NR", False), (
            f"{r['patient_id']}: a discontinued patient is NR at d28 and d56"
        )


@pytest.mark.parametrize("arm", T.ARMS)
def test_per_protocol_is_at_least_8_infusions(attributes: pd.DataFrame, arm: str) -> None:
    sub = attributes[attributes["arm"] == arm]
    assert ((sub["n_infusions"] >= 8) == sub["in_pp"]).all(), "protocol 10: PP = >= 8"


@pytest.mark.parametrize("arm", T.ARMS)
def test_salvage(attributes: pd.DataFrame, arm: str) -> None:
    sub = attributes[attributes["arm"] == arm]
    salvaged = sub["salvage_day"].notna()
    for pop, key in (("ITT", "salvage_itt"), ("PP", "salvage_pp")):
        got = int((salvaged & (sub["in_pp"] if pop == "PP" else True)).sum())
        want = T.TEXT_TARGETS[key][arm]
        assert got == want, f"Discussion: salvage {pop} {arm}: {got}, published {want}"
    rux = int(sub["salvage_agents"].map(lambda a: "ruxolitinib" in a).sum())
    want = T.TEXT_TARGETS["ruxolitinib_salvage"][arm]
    assert rux == want, f"Discussion: ruxolitinib as salvage {arm}: {rux}, published {want}"
    early = sub[salvaged & (sub["salvage_day"].fillna(999) < 28)]
    assert (early["response_d28"] == "NR").all(), "salvage before d28 -> NR at d28"


def test_msc_doses_and_response_time(attributes: pd.DataFrame) -> None:
    msc = attributes[attributes["arm"] == "MSC"]
    doses = T.TEXT_TARGETS["msc_doses"]
    got = (float(np.median(msc["n_infusions"])), msc["n_infusions"].min(), msc["n_infusions"].max())
    assert got == (doses["median"], doses["low"], doses["high"]), f"Results: MSC doses {got}"
    pr = msc[(msc["response_d28"] == "PR") & ~msc["discontinued_before_d28"]]
    assert (pr["n_infusions"][pr["salvage_day"].isna()] == 16).all(), "PR at d28 -> 16 infusions"
    times = [int(d) for d in msc["first_response_day"] if d is not None]
    rt = T.TEXT_TARGETS["msc_response_time"]
    got_t = (float(np.median(times)), min(times), max(times))
    assert got_t == (rt["median"], rt["low"], rt["high"]), f"Results: MSC response time {got_t}"


def test_grade_iv_stories(attributes: pd.DataFrame) -> None:
    g4 = attributes[attributes["baseline_grade"] == 4]
    assert list(g4["arm"].unique()) == ["MSC"] and len(g4) == 3, "Results: 3 grade IV, all MSC"
    assert all(o == frozenset({"skin", "gut"}) for o in g4["organs"]), "grade IV: skin + gut"
    assert g4["in_pp"].all(), "grade IV: all per-protocol"
    stories = {(r["sr_type"], r["response_d28"]) for _, r in g4.iterrows()}
    assert stories == {("dependence", "CR"), ("resistance", "PR"), ("resistance", "PD")}
    pr = g4[g4["response_d28"] == "PR"].iloc[0]
    assert pr["response_d56"] == "PR", "grade IV steroid-resistant PR at d28 and d56"
    pd_ = g4[g4["response_d28"] == "PD"].iloc[0]
    assert (pd_["fixed_death_day"], pd_["fixed_death_cause"]) == (70, "pneumonia")


@pytest.mark.parametrize("target", T.CONTINUOUS_TARGETS, ids=lambda t: t.source)
def test_continuous_median_and_range(attributes: pd.DataFrame, target) -> None:
    sub = _population(attributes, target.population, target.arm)
    values = sub[target.variable].astype(float)
    got = (float(np.median(values)), float(values.min()), float(values.max()))
    want = (float(target.median), float(target.low), float(target.high))
    assert got == pytest.approx(want), f"{target.source}: {got}, published {want}"


def test_age_group_consistent(attributes: pd.DataFrame) -> None:
    assert ((attributes["age"] < 18) == (attributes["age_group"] == "<18")).all()


def test_infeasible_targets_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """An impossible target is reported with the name of its constraint family."""
    rows = list(T.TABLE1_COUNTS)
    k = next(i for i, t in enumerate(rows) if t.attribute == "grade" and t.level == 4)
    rows[k] = T.CountTarget("grade", 4, 5, 0, 3, 0, "Table 1, aGVHD grade at baseline: IV")
    monkeypatch.setattr(T, "TABLE1_COUNTS", tuple(rows))
    with pytest.raises(solve.InfeasibleTargets) as exc:
        solve.solve_categorical(SEED)
    families = {fam for fam, _name, _detail in exc.value.violations}
    assert any("Table 1" in f or "Table 2" in f for f in families), families
