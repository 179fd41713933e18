"""One look for every figure and table: arm colours and labels, endpoint names, number formats.

The arm colours are from the Okabe-Ito palette (readable with the common colour-vision
deficiencies, and in greyscale print the MSC blue is darker than the control orange).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

#: The arms in the order every figure and table shows them: experimental first.
ARMS: tuple[str, str] = ("msc", "control")
ARM_LABELS: dict[str, str] = {"msc": "MSC", "control": "Control", "pooled": "All patients"}
ARM_COLOURS: dict[str, str] = {"msc": "#0072B2", "control": "#D55E00", "pooled": "#4D4D4D"}

POPULATION_LABELS: dict[str, str] = {
    "ITT": "intention-to-treat set",
    "PP": "per-protocol set",
    "safety": "safety set",
    "all": "all patients",
}

#: Endpoint codes (as the analysis writes them) -> what a clinician reads.
ENDPOINT_LABELS: dict[str, str] = {
    "ORR_D28": "ORR at d28",
    "ORR_D56": "ORR at d56",
    "DCR": "DCR",
    "CR_D28": "CR at d28",
    "CR_D56": "CR at d56",
    "cGVHD": "Chronic GVHD",
    "CGVHD": "Chronic GVHD",
    "cGVHD_mod_sev": "Moderate-to-severe chronic GVHD",
    "CGVHD_MOD_SEV": "Moderate-to-severe chronic GVHD",
    "cGVHD_moderate_severe": "Moderate-to-severe chronic GVHD",
    "mod_sev_cGVHD": "Moderate-to-severe chronic GVHD",
    "NRM": "Non-relapse mortality",
    "relapse": "Relapse",
    "RELAPSE": "Relapse",
    "OS": "Overall survival",
    "FFS": "Failure-free survival",
}

#: Survival endpoints drawn as survival (Kaplan-Meier) rather than cumulative incidence.
SURVIVAL_ENDPOINTS: frozenset[str] = frozenset({"OS", "FFS"})

SUBGROUP_LABELS: dict[str, str] = {
    "all": "All patients",
    "grade:II": "Grade II",
    "grade:III-IV": "Grade III-IV",
    "grade:III": "Grade III",
    "grade:IV": "Grade IV",
    "organ:skin": "Skin involved",
    "organ:gut": "Gut involved",
    "organ:liver": "Liver involved",
    "organs:1": "1 organ",
    "organs:>=2": "≥ 2 organs",
    "steroid:dependence": "Steroid dependence",
    "steroid:resistance": "Steroid resistance",
}


def arm_key(arm: Any) -> str:
    """Normalise an arm name as written by the analysis ("MSC", "msc", "Control"...)."""
    text = str(arm).strip().lower()
    if text in ("msc", "mscs", "experimental", "a"):
        return "msc"
    if text in ("control", "placebo", "b"):
        return "control"
    return "pooled"


def endpoint_label(code: Any) -> str:
    text = str(code)
    return ENDPOINT_LABELS.get(text, ENDPOINT_LABELS.get(text.upper(), text.replace("_", " ")))


def subgroup_label(code: Any) -> str:
    text = str(code)
    return SUBGROUP_LABELS.get(text, text.replace(":", ": "))


def is_missing(x: Any) -> bool:
    if x is None or (isinstance(x, str) and not x.strip()):
        return True
    if x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_p(p: Any) -> str:
    """A p-value as clinical papers print it: three decimals, "< 0.001" below that."""
    if is_missing(p):
        return "p = n/a"
    try:
        p = float(p)
    except (TypeError, ValueError):
        return f"p = {p}"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def as_fraction(x: Any) -> float:
    """An estimate as a fraction in [0, 1] whether it was given as a fraction or a percent."""
    if is_missing(x):
        return math.nan
    value = float(x)
    return value / 100.0 if value > 1.0 + 1e-9 else value


def format_pct(x: Any, digits: int = 1) -> str:
    if is_missing(x):
        return "n/a"
    return f"{100.0 * as_fraction(x):.{digits}f}%"


#: Ratios beyond these bounds come from a monotone likelihood (a zero cell, no events in one
#: arm): the fit "converges" to a meaningless number, so the report says "not estimable".
_RATIO_BOUNDS = (1e-3, 1e3)


def format_ratio(est: Any, low: Any, high: Any) -> str:
    if is_missing(est):
        return "n/a"
    value = float(est)
    if not (math.isfinite(value) and _RATIO_BOUNDS[0] < value < _RATIO_BOUNDS[1]):
        return "not estimable"
    if is_missing(low) or is_missing(high):
        return f"{float(est):.2f}"
    return f"{float(est):.2f} ({float(low):.2f}-{float(high):.2f})"


_TEST_LABELS = {
    "fisher": "Fisher",
    "pearson": "Pearson",
    "yates": "Yates",
    "wilcoxon": "Wilcoxon",
    "t": "t-test",
    "t-test": "t-test",
    "cmh": "CMH",
    "log-rank": "log-rank",
    "logrank": "log-rank",
    "gray": "Gray",
}


def test_label(name: Any) -> str:
    """A test's name as printed ("fisher" -> "Fisher")."""
    if is_missing(name):
        return ""
    text = str(name)
    return _TEST_LABELS.get(text.lower(), text)
