"""Post-hoc univariable -> multivariable analyses (Tables S1, S3, S5, S6).

Candidates (docs/protocol.md section 8, plus the arm): age, sex, diagnosis, conditioning, donor
type, CD34+ dose, prophylaxis, steroid response, grade, organ involvement (skin, liver, gut),
number of organs, baseline steroid dose, second-line agent. Variables with p < 0.1 alone enter
one multivariable model (:func:`gvhdtrial.stats.univariable_then_multivariable`).

Codings (chosen so that every level has patients in a trial of this size): diagnosis AML /
ALL / MDS / other (reference AML); conditioning busulfan-based or not; donor type (reference
haploidentical); second-line agent basiliximab or not; grade III-IV vs II; >= 2 organs vs 1.

Models: S1/S3 (ORR d28, ORR d56, DCR) logistic by default; the paper says Cox regression for
these (``config.posthoc_binary_model = "cox"`` fits Cox with time = d28/d56/d100 and the
response as event, which for a fixed-time binary outcome is a crude device). S5/S6: OS by Cox;
FFS, cGVHD and moderate-severe cGVHD by Fine-Gray.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.analysis.results import PosthocResult
from gvhdtrial.stats import univariable_then_multivariable

CANDIDATES: dict[str, str] = {
    "arm_msc": "MSC arm (vs control)",
    "age_years": "Age, years",
    "male": "Male sex",
    "diagnosis_group": "Diagnosis (vs AML)",
    "busulfan_conditioning": "Busulfan-based conditioning",
    "donor_group": "Donor type (vs haploidentical)",
    "cd34_dose_1e6_per_kg": "CD34+ dose, 10^6/kg",
    "mtx_excluded": "Prophylaxis without MTX",
    "steroid_dependence": "Steroid dependence (vs resistance)",
    "grade_iii_iv": "Grade III-IV (vs II)",
    "organ_skin": "Skin involvement",
    "organ_liver": "Liver involvement",
    "organ_gut": "Gut involvement",
    "organs_ge2": ">= 2 organs (vs 1)",
    "baseline_steroid_mg": "Baseline steroid dose, mg/day",
    "basiliximab": "Basiliximab as second-line agent",
}

BINARY_ENDPOINTS = {"ORR_D28": ("orr_d28", 28), "ORR_D56": ("orr_d56", 56), "DCR": ("dcr", 100)}
TIME_ENDPOINTS = {
    "OS": "cox",
    "FFS": "fine_gray",
    "cGVHD": "fine_gray",
    "cGVHD_mod_sev": "fine_gray",
}


def posthoc_data(adsl: pd.DataFrame) -> pd.DataFrame:
    """The candidate variables, coded for regression (module docstring). A value that is
    missing (a baseline form not entered) stays missing: each fit uses its complete rows."""

    def coded(column: str, value: Any) -> pd.Series:
        known = adsl[column].notna()
        return (adsl[column] == value).astype(float).where(known.astype(bool))

    d = pd.DataFrame(index=adsl.index)
    d["arm_msc"] = (adsl["arm"] == "MSC").astype(float)
    d["age_years"] = adsl["age_years"].astype(float)
    d["male"] = coded("sex", "male")
    d["diagnosis_group"] = pd.Categorical(
        adsl["diagnosis"].map(
            lambda x: x if x in ("AML", "ALL", "MDS") else "other", na_action="ignore"
        ),
        categories=["AML", "ALL", "MDS", "other"],
    )
    d["busulfan_conditioning"] = coded("conditioning", "busulfan-based")
    d["donor_group"] = pd.Categorical(
        adsl["donor_type"].astype(object), categories=["haploidentical", "sibling", "unrelated"]
    )
    d["cd34_dose_1e6_per_kg"] = adsl["cd34_dose_1e6_per_kg"].astype(float)
    d["mtx_excluded"] = coded("gvhd_prophylaxis", "no_mtx")
    d["steroid_dependence"] = adsl["steroid_dependence"].map(
        lambda v: np.nan if v is None or pd.isna(v) else float(v)
    )
    d["grade_iii_iv"] = adsl["grade_iii_iv"].astype(float)
    for organ in ("skin", "liver", "gut"):
        d[f"organ_{organ}"] = adsl[f"organ_{organ}"].astype(float)
    d["organs_ge2"] = adsl["organs_ge2"].astype(float)
    d["baseline_steroid_mg"] = adsl["baseline_steroid_mg"].astype(float)
    d["basiliximab"] = (adsl["second_line_agent"] == "basiliximab").astype(float)
    return d


def _usable(data: pd.DataFrame, outcome: list[str], variable: str, model: str, opts) -> str:
    """ "" if the variable can be fitted alone, else why not."""
    column = data[variable].dropna()
    if column.nunique() < 2:
        return "a single value"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            univariable_then_multivariable(
                data, outcome if model != "logistic" else outcome[0], [variable], model, **opts
            )
    except (ValueError, KeyError, np.linalg.LinAlgError, ArithmeticError) as exc:
        return str(exc).splitlines()[0]
    return ""


def _select(
    data: pd.DataFrame, outcome: list[str], model: str, config: AnalysisConfig, key: str, pop: str
) -> PosthocResult:
    opts: dict[str, Any] = {"threshold": config.posthoc_threshold, "conf_level": config.conf_level}
    categorical = [c for c in ("diagnosis_group", "donor_group") if c in data]
    usable, dropped = [], []
    for variable in CANDIDATES:
        why = _usable(data, outcome, variable, model, {**opts, "categorical": categorical})
        if why:
            dropped.append(f"{variable} ({why})")
        else:
            usable.append(variable)
    note = "not estimable and left out: " + "; ".join(dropped) if dropped else ""
    if not usable:
        return PosthocResult(key, pop, model, pd.DataFrame(), pd.DataFrame(), (), note)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sel = univariable_then_multivariable(
                data,
                outcome if model != "logistic" else outcome[0],
                usable,
                model,  # type: ignore[arg-type]
                categorical=categorical,
                **opts,
            )
    except (ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
        empty = pd.DataFrame()
        return PosthocResult(key, pop, model, empty, empty, (), f"{note} failed: {exc}".strip())
    uni = sel.univariable.rename(columns={"ci_low": "lower", "ci_high": "upper"})
    uni = uni[
        ["variable", "term", "estimate", "lower", "upper", "p_value", "p_variable", "selected"]
    ]
    multi = (
        sel.multivariable.rename(columns={"ci_low": "lower", "ci_high": "upper"})[
            ["variable", "term", "estimate", "lower", "upper", "p_value", "p_variable"]
        ]
        if sel.multivariable is not None
        else pd.DataFrame(
            columns=["variable", "term", "estimate", "lower", "upper", "p_value", "p_variable"]
        )
    )
    return PosthocResult(key, pop, model, uni, multi, tuple(sel.selected), note)


def posthoc_analyses(adsl: pd.DataFrame, config: AnalysisConfig) -> dict[str, PosthocResult]:
    """Tables S1 (ITT) / S3 (PP): ORR d28, ORR d56, DCR; S5 (ITT) / S6 (PP): OS, FFS, cGVHD,
    moderate-severe cGVHD. Keys ``"S1:ORR_D28"``, ..., ``"S6:cGVHD_mod_sev"``."""
    out: dict[str, PosthocResult] = {}
    for table_binary, table_time, pop, flag in (
        ("S1", "S5", "ITT", "itt"),
        ("S3", "S6", "PP", "pp"),
    ):
        rows = adsl[adsl[flag]]
        base = posthoc_data(rows)
        for endpoint, (column, day) in BINARY_ENDPOINTS.items():
            data = base.copy()
            if config.posthoc_binary_model == "logistic":
                data["_y"] = rows[column].astype(float)
                outcome, model = ["_y"], "logistic"
            else:
                data["_t"] = float(day)
                data["_e"] = rows[column].astype(float)
                outcome, model = ["_t", "_e"], "cox"
            out[f"{table_binary}:{endpoint}"] = _select(data, outcome, model, config, endpoint, pop)
        for endpoint, model in TIME_ENDPOINTS.items():
            data = base.copy()
            data["_t"] = rows[f"{endpoint}_months"].astype(float)
            status = rows[f"{endpoint}_status"].astype(int)
            data["_s"] = (status == 1).astype(int) if model == "cox" else status
            out[f"{table_time}:{endpoint}"] = _select(
                data, ["_t", "_s"], model, config, endpoint, pop
            )
    return out
