"""Attribute table -> raw CRF rows of the data model (``gvhdtrial.data``).

Only raw observations are written: skin BSA, bilirubin, stool volumes ..., steroid doses in
mg/day, infusion dates and bags, agents with dates. Stages, grades, SR categories, responses
and populations are NOT stored; ``reference.verify`` derives them again through the protocol
engine and checks them against the attribute table.

Disease states of the course (``course_phases`` of the attribute table) become organ stages:
NR = the baseline stages, PR = every involved organ one stage lower (some organ stays >= 1),
CR = all stages 0, PD = one organ one stage worse (or a newly involved organ). Stages become
measurements in the middle of their MAGIC band (docs/protocol.md section 1), and every assessment is
re-staged by ``gvhdtrial.protocol.stage_organs`` to check it.

SYNTHETIC reconstruction: these are not the trial's patients.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.protocol import (
    Measurements,
    OrganStages,
    bags_per_infusion,
    overall_grade,
    stage_organs,
    treatment_plan,
)
from gvhdtrial.supply.tracking import generate_tracking_numbers
from reference.assemble import SITES, screen_failures_for, state_on

__all__ = ["RawTables", "baseline_stages", "measurements_for", "realize"]

ORGAN_KEYS = ("skin", "liver", "upper_gi", "lower_gi")
#: Centres that report bilirubin in umol/L (the loader converts, 1 mg/dL = 17.1 umol/L).
UMOL_SITES = frozenset({"S2", "S4"})

_CONDITIONING = {"Bu based": "busulfan-based", "TBI based": "TBI-based", "Others": "other"}
_DONOR = {"Sibling": "sibling", "Unrelated": "unrelated", "Haplo": "haploidentical"}
_SOURCE = {"CB": "CB", "PBSC": "PBSC", "PBSC + BM": "PBSC+BM"}
_PROPHYLAXIS = {"MTX + CNI": "mtx_cni", "MTX excluded": "no_mtx"}
_SERO = {"+": "positive", "-": "negative"}


def _agent_code(agent: str) -> str:
    return agent.replace(" ", "_")


@dataclass
class RawTables:
    sites: pd.DataFrame
    patients: pd.DataFrame
    steroid_doses: pd.DataFrame
    randomization: pd.DataFrame
    infusions: pd.DataFrame
    assessments: pd.DataFrame
    therapies: pd.DataFrame


# ---------------------------------------------------------------------------------------------
# stages
# ---------------------------------------------------------------------------------------------


def _stages(**kw: int) -> OrganStages:
    return OrganStages(**{k: int(kw.get(k, 0)) for k in ORGAN_KEYS})


def baseline_stages(rec: dict[str, Any], rng: np.random.Generator) -> OrganStages:
    """Baseline stages with the patient's involved organs and MAGIC grade (II, III or IV).

    Grade II with a PR in its course gets skin stage >= 2 (PR needs an organ at stage >= 2).
    """
    organs, grade = set(rec["organs"]), int(rec["baseline_grade"])
    needs_pr = "PR" in str(rec["trajectory"]).split("/")[:2] or any(
        s == "PR" for _, s in rec["course_phases"]
    )
    s = {k: 0 for k in ORGAN_KEYS}
    gut_upper_only = "gut" in organs and grade == 2 and rng.random() < 0.2
    if grade == 4:  # all three grade IV patients: skin + gut (Results, Efficacy)
        s["skin"], s["lower_gi"] = 3, 4
        s["upper_gi"] = int(rng.random() < 0.5)
    elif grade == 3:
        if "gut" in organs:
            s["lower_gi"] = int(rng.choice([2, 3]))
            s["upper_gi"] = int(rng.random() < 0.4)
            if "liver" in organs:
                s["liver"] = int(rng.choice([1, 2, 3]))
        else:
            s["liver"] = int(rng.choice([2, 3]))
        if "skin" in organs:
            s["skin"] = int(rng.choice([1, 2, 3]))
    else:
        if "gut" in organs:
            if gut_upper_only and not ("skin" not in organs and needs_pr):
                s["upper_gi"] = 1
            else:
                s["lower_gi"] = 1
                s["upper_gi"] = int(rng.random() < 0.3)
        if "liver" in organs:
            s["liver"] = 1
        if "skin" in organs:
            alone = organs == {"skin"}
            s["skin"] = 3 if alone else int(rng.choice([2, 3] if needs_pr else [1, 2, 3]))
    stages = _stages(**s)
    if overall_grade(stages) != grade:
        raise AssertionError(f"{rec['patient_id']}: stages {s} give grade {overall_grade(stages)}")
    return stages


def _state_stages(base: OrganStages, state: str, worse_organ: str) -> OrganStages:
    s = base.as_dict()
    if state == "NR":
        return base
    if state == "CR":
        return _stages()
    if state == "PR":
        out = {k: max(v - 1, 0) for k, v in s.items()}
        if not any(out.values()):
            raise AssertionError(f"PR impossible from {s}")
        return _stages(**out)
    # PD: the chosen organ one stage worse
    s[worse_organ] += 1
    return _stages(**s)


def _worse_organ(base: OrganStages, rng: np.random.Generator) -> str:
    s = base.as_dict()
    cands = [k for k in ("skin", "lower_gi") if 0 < s[k] < 3]
    cands += [k for k in ("liver",) if s[k] < 3]
    cands += [k for k in ("upper_gi",) if s[k] == 0]
    return str(cands[int(rng.integers(len(cands)))])


# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------


def measurements_for(
    stages: OrganStages, weight: float, rng: np.random.Generator, umol: bool = False
) -> dict[str, Any]:
    """Raw measurements in the middle of each stage's MAGIC band (re-staged to check)."""
    s = stages.as_dict()
    bsa = {0: 0, 1: rng.integers(8, 21), 2: rng.integers(28, 46), 3: rng.integers(55, 81)}
    row: dict[str, Any] = {
        "skin_bullae": False,
        "skin_desquamation_percent": 0.0,
    }
    if s["skin"] == 4:
        row["skin_bsa_percent"] = float(rng.integers(65, 91))
        row["skin_bullae"] = True
        row["skin_desquamation_percent"] = float(rng.integers(8, 21))
    else:
        row["skin_bsa_percent"] = float(bsa[s["skin"]])
    bili = {
        0: rng.uniform(0.3, 1.6),
        1: rng.uniform(2.2, 2.9),
        2: rng.uniform(3.4, 5.6),
        3: rng.uniform(6.8, 13.0),
        4: rng.uniform(16.5, 24.0),
    }[s["liver"]]
    bili = round(float(bili), 1)
    if umol:
        row["bilirubin"], row["bilirubin_unit"] = round(bili * 17.1, 1), "umol/L"
    else:
        row["bilirubin"], row["bilirubin_unit"] = bili, "mg/dL"
    row["upper_gi_persistent"] = bool(s["upper_gi"])
    child = weight <= 50.0
    lg = s["lower_gi"]
    if child:
        per_kg = {0: (2, 8), 1: (12, 18), 2: (22, 28), 3: (33, 45), 4: (25, 45)}[lg]
        volume = round(float(rng.uniform(*per_kg)) * weight / 10) * 10
        episodes = {0: (0, 3), 1: (4, 6), 2: (7, 10), 3: (11, 14), 4: (8, 14)}[lg]
    else:
        ml = {0: (100, 400), 1: (600, 900), 2: (1100, 1450), 3: (1700, 2600), 4: (1600, 2800)}[lg]
        volume = round(float(rng.uniform(*ml)) / 10) * 10
        episodes = {0: (0, 2), 1: (3, 4), 2: (5, 7), 3: (8, 12), 4: (8, 14)}[lg]
    row["stool_ml_per_day"] = float(volume)
    row["stool_episodes_per_day"] = float(rng.integers(episodes[0], episodes[1] + 1))
    row["stool_mixed_with_urine"] = False
    row["weight_kg"] = float(weight)
    row["severe_abdominal_pain"] = False
    row["ileus"] = False
    row["bloody_stool"] = lg == 4
    check = stage_organs(Measurements(**row))
    if check != stages:
        raise AssertionError(f"measurements {row} stage to {check}, not {stages}")
    return row


# ---------------------------------------------------------------------------------------------
# one randomized patient
# ---------------------------------------------------------------------------------------------


def _pre_randomization_stages(
    rec: dict[str, Any], base: OrganStages, rng: np.random.Generator
) -> list[tuple[int, str, OrganStages]]:
    """(study day, visit, stages) from steroid start to the day before randomization.

    Chosen so that ``steroid_refractory_category`` gives the patient's category (paper, Methods):
    1: an organ worse than at steroid start on day 3-6; 2: no improvement on day 7; 3: improved
    by day 7 but not in CR on day 14; 4: improved on days 4 and 7, flare on day 10 (the dose is
    raised on day 11, see ``_steroid_rows``).
    """
    cat, s0 = int(rec["sr_category"]), int(rec["steroid_start_day"])
    b = base.as_dict()
    involved = [k for k in ORGAN_KEYS if b[k] > 0]
    rows: list[tuple[int, str, OrganStages]] = []
    if cat == 1:
        start = dict(b)
        k = max(involved, key=lambda o: (b[o], o))
        start[k] -= 1
        if not any(start.values()):
            start["skin" if k != "skin" else "upper_gi"] = 1
        rows = [(s0, "steroid_start", _stages(**start)), (int(rec["sr_criterion_day"]), "", base)]
    elif cat == 2:
        rows = [(s0, "steroid_start", base), (s0 + 3, "", base), (s0 + 7, "", base)]
    elif cat == 3:
        start = dict(b)
        up = [k for k in ("skin", "lower_gi") if 0 < b[k] < 3] + (["liver"] if b["liver"] else [])
        if not up:
            up = ["upper_gi"] if not b["upper_gi"] else ["liver"]
        start[str(up[int(rng.integers(len(up)))])] += 1
        rows = [(s0, "steroid_start", _stages(**start)), (s0 + 7, "", base), (s0 + 14, "", base)]
    else:
        better = dict(b)
        better[max(involved, key=lambda o: (b[o], o))] -= 1
        improved = _stages(**better)
        rows = [
            (s0, "steroid_start", base),
            (s0 + 4, "", improved),
            (s0 + 7, "", improved),
            (s0 + 10, "", base),
        ]
    screening = int(rec["screening_day"])
    if screening < 0 and all(d != screening for d, _, _ in rows):
        rows.append((screening, "screening", base))
    rows = [r for r in rows if r[0] < 0]
    return sorted(rows, key=lambda r: r[0])


def _steroid_rows(rec: dict[str, Any], mg_per_kg: float, weight: float) -> list[tuple[int, float]]:
    """(study day, methylprednisolone mg/day) records of the first-line course."""
    s0 = int(rec["steroid_start_day"])
    start = float(round(mg_per_kg * weight / 10) * 10)
    rows = [(s0, start)]
    if int(rec["sr_category"]) == 4:
        rows += [(s0 + 5, float(round(start / 20) * 10)), (s0 + 11, start)]
    baseline = float(rec["baseline_steroid_mg"])
    if baseline != rows[-1][1]:
        if rows[-1][0] == 0:
            rows[-1] = (0, baseline)
        else:
            rows.append((0, baseline))
    return rows


def _date(day0: dt.date, day: int) -> dt.date:
    return day0 + dt.timedelta(days=int(day))


def realize(
    attributes: pd.DataFrame, seed: int
) -> tuple[RawTables, dict[str, OrganStages]]:  # fmt: skip
    """All raw tables except events and adverse events; also each patient's baseline stages."""
    rng = np.random.default_rng([seed, 4])
    site_dose = {s[0]: s[4] for s in SITES}
    patients, doses, rand, infusions, assessments, therapies = [], [], [], [], [], []
    bases: dict[str, OrganStages] = {}
    total_bags = 0
    plans = {}
    for rec in attributes.to_dict("records"):
        plan = treatment_plan(float(rec["weight_kg"]), rec["randomization_date"], None)
        plans[rec["patient_id"]] = plan
        total_bags += plan.bags_per_infusion * int(rec["n_infusions"])
    kits = iter(generate_tracking_numbers(total_bags, seed))

    for rec in attributes.sort_values("patient_id").to_dict("records"):
        pid, day0 = str(rec["patient_id"]), rec["randomization_date"]
        weight = float(rec["weight_kg"])
        base = baseline_stages(rec, rng)
        bases[pid] = base
        onset = _date(day0, -int(rec["onset_to_randomization_days"]))
        cmv, ebv = rec["cmv_serostatus"], rec["ebv_serostatus"]
        patients.append(
            {
                "patient_id": pid,
                "site_id": rec["site_id"],
                "screening_date": rec["screening_date"],
                "age_years": int(rec["age"]),
                "sex": "male" if rec["sex"] == "M" else "female",
                "weight_kg": weight,
                "diagnosis": rec["disease"],
                "haematologic_malignancy": True,
                "first_allo_hsct": True,
                "hsct_date": onset - dt.timedelta(days=int(rng.integers(14, 80))),
                "conditioning": _CONDITIONING[rec["conditioning"]],
                "donor_type": _DONOR[rec["donor_type"]],
                "stem_cell_source": _SOURCE[rec["stem_cell_source"]],
                "cd34_dose_1e6_per_kg": float(rec["cd34_dose"]),
                "cmv_donor": _SERO[cmv[1]],
                "cmv_recipient": _SERO[cmv[4]],
                "ebv_donor": _SERO[ebv[1]],
                "ebv_recipient": _SERO[ebv[4]],
                "gvhd_prophylaxis": _PROPHYLAXIS[rec["prophylaxis"]],
                "agvhd_onset_date": onset,
                "agvhd_after_dli": bool(rng.random() < 0.05),
                "days_enrolment_to_first_infusion": int(rec["first_infusion_day"]),
                "uncontrolled_infection": False,
                "pulmonary_arterial_hypertension": False,
                "nyha_class": None,
                "other_life_threatening_condition": False,
                "acute_myocardial_infarction": False,
                "refractory_hypertension": False,
                "creatinine_clearance_ml_min": float(rng.integers(55, 131)),
                "severe_vod_sos": False,
                "gut_ta_tma": False,
                "gi_infection": False,
                "active_solid_tumour_within_5_years": False,
                "severe_allergy_to_blood_products": False,
                "mental_or_neurological_disorder": False,
                "consent_date": rec["screening_date"],
                "screening_notes": None,
            }
        )
        for day, mg in _steroid_rows(rec, site_dose[rec["site_id"]], weight):
            doses.append(
                {
                    "patient_id": pid,
                    "date": _date(day0, day),
                    "agent": "methylprednisolone",
                    "dose_mg_per_day": mg,
                }
            )
        rand.append(
            {
                "patient_id": pid,
                "randomization_date": day0,
                "stratum": rec["site_id"],
                "sequence_number": int(rec["sequence_number"]),
                "arm": rec["arm"],
            }
        )
        plan = plans[pid]
        for number, day in enumerate(rec["infusion_days"], start=1):
            bags = plan.bags_per_infusion
            infusions.append(
                {
                    "patient_id": pid,
                    "infusion_number": number,
                    "date": _date(day0, day),
                    "kit_numbers": ";".join(next(kits) for _ in range(bags)),
                    "bags": bags,
                    "delivered_cells_1e6_per_kg": round(plan.delivered_cells_per_kg / 1e6, 3),
                    "infusion_reaction": False,
                    "reaction_description": None,
                }
            )
        if bags_per_infusion(weight) != plan.bags_per_infusion:
            raise AssertionError(f"{pid}: bags per infusion")
        umol = rec["site_id"] in UMOL_SITES
        worse = _worse_organ(base, rng)
        visits: list[tuple[int, str, OrganStages]] = _pre_randomization_stages(rec, base, rng)
        visits.append((0, "baseline", base))
        end = rec["discontinuation_day"] if rec["discontinued_before_d28"] else None
        for day in rec["visit_days"]:
            if end is not None and day >= end:
                break
            state = state_on(rec["course_phases"], day)
            visits.append((day, f"d{day}", _state_stages(base, state, worse)))
        for day, visit, stages in visits:
            m = measurements_for(stages, weight, rng, umol)
            assessments.append(
                {
                    "patient_id": pid,
                    "assessment_date": _date(day0, day),
                    "visit": visit or "unscheduled",
                    **m,
                }
            )
        f = int(rec["first_infusion_day"])
        therapies.append(
            {
                "patient_id": pid,
                "agent": _agent_code(rec["second_line_agent"]),
                "role": "second_line",
                "start_date": _date(day0, f),
                "stop_date": None,
            }
        )
        if rec["salvage_day"] is not None:
            for agent in rec["salvage_agents"]:
                therapies.append(
                    {
                        "patient_id": pid,
                        "agent": _agent_code(agent),
                        "role": "salvage",
                        "start_date": _date(day0, int(rec["salvage_day"])),
                        "stop_date": None,
                    }
                )

    sites = pd.DataFrame(
        [{"site_id": s[0], "name": s[1], "city": s[2], "country": "China"} for s in SITES]
    )
    failures = screen_failures_for(seed, attributes)
    for rec in failures.to_dict("records"):
        p, d, a = _screen_failure(rec, rng)
        patients.append(p)
        doses += d
        assessments += a
    return (
        RawTables(
            sites=sites,
            patients=pd.DataFrame(patients),
            steroid_doses=pd.DataFrame(doses),
            randomization=pd.DataFrame(rand),
            infusions=pd.DataFrame(infusions),
            assessments=pd.DataFrame(assessments),
            therapies=pd.DataFrame(therapies),
        ),
        bases,
    )


# ---------------------------------------------------------------------------------------------
# screen failures
# ---------------------------------------------------------------------------------------------

_DISEASES = ("AML", "MDS", "ALL", "AML", "ALL", "MDS/MPN", "NHL")


def _screen_failure(
    rec: dict[str, Any], rng: np.random.Generator
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One screen failure: patient row, steroid course and assessments (see module docstring
    of ``reference.assemble`` for the reasons); ``reference.verify`` screens it."""
    reason, pid = rec["reason"], rec["patient_id"]
    screening: dt.date = rec["screening_date"]
    start = screening - dt.timedelta(days=int(rng.integers(8, 11)))
    onset = start - dt.timedelta(days=int(rng.integers(0, 3)))
    age = int(rng.integers(71, 75)) if reason == "age_over_70" else int(rng.integers(18, 66))
    weight = float(np.clip(round(rng.normal(62, 10), 1), 42, 95))
    if reason == "not_steroid_refractory":
        course = [(0, _stages(skin=3, lower_gi=2)), (3, _stages(skin=2, lower_gi=1)),
                  (7, _stages(skin=1, lower_gi=1))]  # fmt: skip
    elif reason == "grade_I":
        course = [(0, _stages(skin=2)), (3, _stages(skin=2)), (7, _stages(skin=2))]
    else:
        b = _stages(lower_gi=int(rng.choice([1, 2])), skin=int(rng.choice([0, 1, 2])))
        course = [(0, b), (3, b), (7, b)]
    assessments = []
    for day, stages in course:
        m = measurements_for(stages, weight, rng)
        assessments.append(
            {
                "patient_id": pid,
                "assessment_date": start + dt.timedelta(days=day),
                "visit": "steroid_start" if day == 0 else "unscheduled",
                **m,
            }
        )
    last = course[-1][1]
    m = measurements_for(last, weight, rng)
    assessments.append({"patient_id": pid, "assessment_date": screening, "visit": "screening", **m})
    dose = float(round(rng.choice([1.0, 2.0]) * weight / 10) * 10)
    doses = [{"patient_id": pid, "date": start, "agent": "methylprednisolone",
              "dose_mg_per_day": dose}]  # fmt: skip
    patient = {
        "patient_id": pid,
        "site_id": rec["site_id"],
        "screening_date": screening,
        "age_years": age,
        "sex": "male" if rng.random() < 0.58 else "female",
        "weight_kg": weight,
        "diagnosis": _DISEASES[int(rng.integers(len(_DISEASES)))],
        "haematologic_malignancy": True,
        "first_allo_hsct": reason != "not_first_hsct",
        "hsct_date": onset - dt.timedelta(days=int(rng.integers(14, 80))),
        "conditioning": "busulfan-based",
        "donor_type": str(rng.choice(["haploidentical", "sibling", "unrelated"])),
        "stem_cell_source": "PBSC",
        "cd34_dose_1e6_per_kg": round(float(rng.uniform(2.0, 9.0)), 1),
        "cmv_donor": "positive",
        "cmv_recipient": "positive",
        "ebv_donor": "positive",
        "ebv_recipient": "positive",
        "gvhd_prophylaxis": "mtx_cni",
        "agvhd_onset_date": onset,
        "agvhd_after_dli": False,
        "days_enrolment_to_first_infusion": 1,
        "uncontrolled_infection": reason in ("uncontrolled_infection", "infection_and_creatinine"),
        "pulmonary_arterial_hypertension": False,
        "nyha_class": 3 if reason == "nyha_iii_iv" else None,
        "other_life_threatening_condition": False,
        "acute_myocardial_infarction": False,
        "refractory_hypertension": False,
        "creatinine_clearance_ml_min": float(rng.integers(15, 29))
        if reason in ("creatinine_clearance", "infection_and_creatinine")
        else float(rng.integers(55, 131)),
        "severe_vod_sos": reason == "severe_vod_sos",
        "gut_ta_tma": reason == "gut_ta_tma",
        "gi_infection": reason == "gi_infection",
        "active_solid_tumour_within_5_years": False,
        "severe_allergy_to_blood_products": False,
        "mental_or_neurological_disorder": False,
        "consent_date": None if reason == "no_consent" else screening,
        "screening_notes": f"screen failure ({reason.replace('_', ' ')})",
    }
    return patient, doses, assessments
