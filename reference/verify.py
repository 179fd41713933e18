"""Re-derive every patient-level quantity from the raw rows through the protocol engine.

``verify_trial(data, attributes)`` stages every assessment (``stage_organs``), grades the
baseline (``overall_grade``), computes the SR category (``steroid_refractory_category`` over the
steroid course as of randomization), screens every patient (``screen``), counts infusions, and
assesses the responses at d28 and d56 (``assess_response`` on the assessment nearest the target
day within +/- 3 days, NR for death, salvage or no assessment), the durable CR
(``durable_complete_response``) and the time to first response (``time_to_first_response``),
using the conventions of docs/protocol.md and ``gvhdtrial.analysis.config`` defaults. It returns the
list of mismatches against the attribute table, each naming patient and quantity; the
generator fails loudly when the list is not empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from gvhdtrial.data import TrialData
from gvhdtrial.protocol import (
    SCREENING_FLAGS,
    Candidate,
    DatedStages,
    Measurements,
    StageAssessment,
    SteroidCourse,
    SteroidDose,
    assess_response,
    durable_complete_response,
    overall_grade,
    screen,
    stage_organs,
    steroid_refractory_category,
    time_to_first_response,
)

__all__ = ["derive_patient", "verify_trial"]

MEASUREMENT_FIELDS = (
    "skin_bsa_percent",
    "skin_bullae",
    "skin_desquamation_percent",
    "bilirubin",
    "bilirubin_unit",
    "upper_gi_persistent",
    "stool_ml_per_day",
    "stool_episodes_per_day",
    "stool_mixed_with_urine",
    "weight_kg",
    "severe_abdominal_pain",
    "ileus",
    "bloody_stool",
)
WINDOW = 3  # days either side of d28 / d56 (docs/protocol.md section 4)


def _d(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


_BOOL_FIELDS = frozenset(
    {
        "skin_bullae",
        "upper_gi_persistent",
        "stool_mixed_with_urine",
        "severe_abdominal_pain",
        "ileus",
        "bloody_stool",
    }
)


def _measurements(row: dict[str, Any]) -> Measurements:
    kw: dict[str, Any] = {}
    for k in MEASUREMENT_FIELDS:
        v = row[k]
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            continue
        kw[k] = bool(v) if k in _BOOL_FIELDS else (v if isinstance(v, str) else float(v))
    return Measurements(**kw)


def _course(doses: pd.DataFrame, staged: list[tuple[dt.date, Any]], weight: float, as_of):
    start = _d(doses["date"].min())
    records = [
        SteroidDose(_d(r["date"]), float(r["dose_mg_per_day"]) / weight)
        for r in doses.sort_values("date").to_dict("records")
    ]
    window = [(d, s) for d, s in staged if start <= d <= as_of]
    return SteroidCourse(start, tuple(records), tuple(DatedStages(d, s) for d, s in window))


def derive_patient(
    pid: str, data: TrialData, death: dt.date | None
) -> dict[str, Any]:  # fmt: skip
    """Everything the analysis derives for one randomized patient, through the protocol engine."""
    pat = data.patients[data.patients["patient_id"] == pid].iloc[0]
    rnd = data.randomization[data.randomization["patient_id"] == pid].iloc[0]
    day0 = _d(rnd["randomization_date"])
    rows = data.assessments[data.assessments["patient_id"] == pid].sort_values("assessment_date")
    staged = [(_d(r["assessment_date"]), stage_organs(_measurements(r))) for r in
              rows.to_dict("records")]  # fmt: skip
    visits = dict(zip([_d(v) for v in rows["assessment_date"]], rows["visit"], strict=True))
    base = [s for d, s in staged if visits[d] == "baseline"]
    baseline = base[-1] if base else [s for d, s in staged if d <= day0][-1]
    doses = data.steroid_doses[data.steroid_doses["patient_id"] == pid]
    weight = float(pat["weight_kg"])
    sr = steroid_refractory_category(_course(doses, staged, weight, day0), as_of=day0)
    in_effect = doses[doses["date"] <= pd.Timestamp(day0)].sort_values("date")
    inf = data.infusions[data.infusions["patient_id"] == pid]
    first_day = (_d(inf["date"].min()) - day0).days if len(inf) else 0
    th = data.therapies[
        (data.therapies["patient_id"] == pid) & (data.therapies["role"] == "salvage")
    ]
    salvage = _d(th["start_date"].min()) if len(th) else None
    post = [
        StageAssessment((d - day0).days, s, salvage=salvage is not None and salvage <= d)
        for d, s in staged
        if d > day0
    ]
    out: dict[str, Any] = {
        "baseline_grade": overall_grade(baseline),
        "organs": frozenset(
            o
            for o, v in (("skin", baseline.skin), ("liver", baseline.liver), ("gut", baseline.gut))
            if v > 0
        ),
        "sr_category": sr.category,
        "baseline_steroid_mg": float(in_effect.iloc[-1]["dose_mg_per_day"]),
        "n_infusions": len(inf),
        "onset_to_randomization_days": (day0 - _d(pat["agvhd_onset_date"])).days,
    }
    for name, target in (("response_d28", 28), ("response_d56", 56)):
        window = sorted(
            (a for a in post if abs(a.day - target) <= WINDOW),
            key=lambda a: (abs(a.day - target), a.day),
        )
        by = day0 + dt.timedelta(days=max(target, window[0].day if window else target))
        died = death is not None and death <= by
        salvaged = salvage is not None and salvage <= by
        if not window:
            out[name] = "NR"
        else:
            out[name] = str(assess_response(baseline, window[0].stages, died=died,
                                            salvage=salvaged))  # fmt: skip
    out["dcr"] = durable_complete_response(post, first_day)
    out["first_response_day"] = time_to_first_response(baseline, post)
    return out


def _screen(data: TrialData, pid: str) -> tuple[bool, tuple[str, ...]]:
    pat = data.patients[data.patients["patient_id"] == pid].iloc[0]
    rows = data.assessments[data.assessments["patient_id"] == pid].sort_values("assessment_date")
    end = pat["consent_date"] if pd.notna(pat["consent_date"]) else pat["screening_date"]
    staged = [(_d(r["assessment_date"]), stage_organs(_measurements(r))) for r in
              rows.to_dict("records")]  # fmt: skip
    upto = [s for d, s in staged if d <= _d(end)]
    doses = data.steroid_doses[data.steroid_doses["patient_id"] == pid]
    sr = steroid_refractory_category(
        _course(doses, staged, float(pat["weight_kg"]), _d(end)), as_of=_d(end)
    )
    cand = Candidate(
        age_years=int(pat["age_years"]),
        steroid_refractory=sr.refractory,
        consent_signed=bool(pd.notna(pat["consent_date"])),
        stages=upto[-1] if upto else None,
        days_enrolment_to_first_infusion=int(pat["days_enrolment_to_first_infusion"]),
        nyha_class=None if pd.isna(pat["nyha_class"]) else int(pat["nyha_class"]),
        creatinine_clearance_ml_min=None
        if pd.isna(pat["creatinine_clearance_ml_min"])
        else float(pat["creatinine_clearance_ml_min"]),
        **{f: bool(pat[f]) for f in SCREENING_FLAGS},
    )
    result = screen(cand)
    return result.eligible, result.codes


#: Expected failure codes of each screen-failure reason (``reference.assemble``).
EXPECTED_CODES = {
    "not_steroid_refractory": ("I2c",),
    "grade_I": ("I2d",),
    "uncontrolled_infection": ("E1a",),
    "gi_infection": ("E2b",),
    "gut_ta_tma": ("E2a",),
    "creatinine_clearance": ("E1f",),
    "no_consent": ("I4",),
    "severe_vod_sos": ("E1g",),
    "nyha_iii_iv": ("E1c",),
    "age_over_70": ("I1",),
    "not_first_hsct": ("I2b",),
    "infection_and_creatinine": ("E1a", "E1f"),
}


def verify_trial(data: TrialData, attributes: pd.DataFrame) -> list[str]:
    """Mismatches between the re-derived values and the attribute table (empty: all agree)."""
    problems: list[str] = []
    deaths = data.events[data.events["event_type"] == "death"]
    death_of = {str(r["patient_id"]): _d(r["event_date"]) for r in deaths.to_dict("records")}
    for rec in attributes.to_dict("records"):
        pid = str(rec["patient_id"])
        got = derive_patient(pid, data, death_of.get(pid))
        want = {
            "baseline_grade": int(rec["baseline_grade"]),
            "organs": frozenset(rec["organs"]),
            "sr_category": int(rec["sr_category"]),
            "baseline_steroid_mg": float(rec["baseline_steroid_mg"]),
            "n_infusions": int(rec["n_infusions"]),
            "onset_to_randomization_days": int(rec["onset_to_randomization_days"]),
            "response_d28": rec["response_d28"],
            "response_d56": rec["response_d56"],
            "dcr": bool(rec["dcr"]),
        }
        if rec["arm"] == "MSC":
            want["first_response_day"] = rec["first_response_day"]
        for key, value in want.items():
            if got[key] != value:
                problems.append(f"{pid} {key}: derived {got[key]!r}, target {value!r}")
        eligible, codes = _screen(data, pid)
        if not eligible:
            problems.append(f"{pid} screening: randomized but fails {codes}")
    randomized = set(attributes["patient_id"])
    for rec in data.patients.to_dict("records"):
        pid = str(rec["patient_id"])
        if pid in randomized:
            continue
        reason = str(rec["screening_notes"]).removeprefix("screen failure (").rstrip(")")
        expected = EXPECTED_CODES[reason.replace(" ", "_")]
        eligible, codes = _screen(data, pid)
        if eligible or codes != expected:
            problems.append(f"{pid} screening: {codes}, expected {expected} ({reason})")
    return problems
