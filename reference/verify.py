"""Check the generated trial by running the analysis on it: nothing is derived twice.

``verify_trial(data, attributes)`` runs the analysis's own derivations
(:func:`gvhdtrial.analysis.pipeline.build_adsl` and
:func:`gvhdtrial.analysis.derive.screen_patients`, with the analysis plan's defaults, i.e. the
phase 2 trial's rules in ``gvhdtrial.protocol``) on the raw rows and compares each patient's
baseline grade, organs, SR category, baseline steroid dose, infusions, onset to randomization,
responses at d28 and d56, durable CR and time to first response with the attribute table the
generator aimed at; every screened patient goes through the eligibility engine. It returns the
list of mismatches, each naming patient and quantity; the generator fails loudly when the list
is not empty.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gvhdtrial.analysis.config import DEFAULT_CONFIG
from gvhdtrial.analysis.derive import screen_patients
from gvhdtrial.analysis.pipeline import build_adsl
from gvhdtrial.data import TrialData

__all__ = ["EXPECTED_CODES", "derived_patients", "verify_trial"]


def derived_patients(adsl: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The quantities the generator aims at, as the analysis derived them (ADSL), by patient."""
    out: dict[str, dict[str, Any]] = {}
    for rec in adsl.to_dict("records"):
        ttr = rec["time_to_response_days"]
        out[str(rec["patient_id"])] = {
            "baseline_grade": int(rec["baseline_grade"]),
            "organs": frozenset(o for o in ("skin", "liver", "gut") if rec[f"organ_{o}"]),
            "sr_category": None if pd.isna(rec["sr_category"]) else int(rec["sr_category"]),
            "baseline_steroid_mg": float(rec["baseline_steroid_mg"]),
            "n_infusions": int(rec["n_infusions"]),
            "onset_to_randomization_days": int(rec["onset_to_randomization_days"]),
            "response_d28": rec["resp_d28"],
            "response_d56": rec["resp_d56"],
            "dcr": bool(rec["dcr"]),
            "first_response_day": None if pd.isna(ttr) else int(ttr),
        }
    return out


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
    """Mismatches between the analysis's derivations and the attribute table (empty: agree)."""
    problems: list[str] = []
    adsl, staged = build_adsl(data, DEFAULT_CONFIG)
    derived = derived_patients(adsl)
    screened = screen_patients(data.patients, data.steroid_doses, staged, DEFAULT_CONFIG)
    screening = {
        str(r["patient_id"]): (
            bool(r["eligible"]),
            tuple(filter(None, r["failure_codes"].split(";"))),
        )
        for r in screened.to_dict("records")
    }
    for rec in attributes.to_dict("records"):
        pid = str(rec["patient_id"])
        got = derived[pid]
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
        eligible, codes = screening[pid]
        if not eligible:
            problems.append(f"{pid} screening: randomized but fails {codes}")
    randomized = set(attributes["patient_id"])
    for rec in data.patients.to_dict("records"):
        pid = str(rec["patient_id"])
        if pid in randomized:
            continue
        reason = str(rec["screening_notes"]).removeprefix("screen failure (").rstrip(")")
        expected = EXPECTED_CODES[reason.replace(" ", "_")]
        eligible, codes = screening[pid]
        if eligible or codes != expected:
            problems.append(f"{pid} screening: {codes}, expected {expected} ({reason})")
    return problems
