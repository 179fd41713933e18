"""A small fake AnalysisResults, shaped like the contract, for the report's tests.

The numbers are the paper's where it gives them (Table 2, Results text) so the pictures can be
compared with the published figures by eye; the curves are simple deterministic step functions.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gvhdtrial.analysis.results import AT_RISK_MONTHS, AnalysisResults, PosthocResult
from gvhdtrial.data.model import SYNTHETIC_STATEMENT

_PUBLISHED_T2 = [
    # endpoint, population, subgroup, msc_x, msc_n, control_x, control_n, p
    ("ORR_D28", "ITT", "all", 24, 40, 19, 38, 0.375),
    ("ORR_D28", "ITT", "grade:II", 16, 21, 14, 23, 0.276),
    ("ORR_D28", "ITT", "grade:III-IV", 8, 19, 5, 15, 0.728),
    ("ORR_D28", "ITT", "organ:gut", 14, 26, 9, 26, 0.163),
    ("ORR_D28", "ITT", "organs:>=2", 7, 15, 3, 9, 0.678),
    ("ORR_D28", "ITT", "steroid:dependence", 7, 7, 4, 5, 0.417),
    ("ORR_D56", "ITT", "all", 20, 40, 13, 38, 0.158),
    ("DCR", "ITT", "all", 17, 40, 12, 38, 0.318),
    ("ORR_D28", "PP", "all", 23, 32, 14, 30, 0.043),
    ("ORR_D28", "PP", "organ:gut", 14, 21, 7, 21, 0.031),
    ("ORR_D28", "PP", "organs:>=2", 6, 12, 0, 7, 0.044),
    ("ORR_D56", "PP", "all", 19, 32, 12, 30, 0.127),
    ("DCR", "PP", "all", 16, 32, 10, 30, 0.184),
    ("CR_D28", "PP", "all", 18, 32, 10, 30, 0.07),
]


def _or(a: int, n1: int, c: int, n2: int) -> tuple[float, float, float]:
    b, d = n1 - a, n2 - c
    if 0 in (a, b, c, d):
        return math.nan, math.nan, math.nan
    est = (a * d) / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return est, est * math.exp(-1.96 * se), est * math.exp(1.96 * se)


def _table2() -> pd.DataFrame:
    rows = []
    for endpoint, population, subgroup, a, n1, c, n2, p in _PUBLISHED_T2:
        est, lo, hi = _or(a, n1, c, n2)
        test = "Pearson" if n1 + n2 >= 40 else "Fisher"
        rows.append((endpoint, population, subgroup, a, n1, c, n2, test, p, est, lo, hi))
    return pd.DataFrame(
        rows,
        columns=[
            "endpoint", "population", "subgroup", "msc_x", "msc_n", "control_x", "control_n",
            "test", "p_value", "odds_ratio", "ci_low", "ci_high",
        ],
    )  # fmt: skip


def _curve(rate: float, n: int, survival: bool, plateau: float) -> pd.DataFrame:
    """A deterministic step curve: n steps over 0-36 months approaching ``plateau``."""
    t = np.r_[0.0, np.linspace(0.5, 30.0, n)]
    inc = plateau * (1 - np.exp(-rate * t))
    est = 1 - inc if survival else inc
    half = 0.08 + 0.1 * inc
    return pd.DataFrame(
        {
            "time_months": t,
            "estimate": est,
            "lower": np.clip(est - half, 0, 1),
            "upper": np.clip(est + half, 0, 1),
        }
    )


_ENDPOINTS = {
    # endpoint: (survival?, msc plateau, control plateau)
    "OS": (True, 0.32, 0.36),
    "FFS": (True, 0.45, 0.55),
    "relapse": (False, 0.001, 0.05),
    "NRM": (False, 0.3, 0.34),
    "cGVHD": (False, 0.5, 0.66),
    "cGVHD_mod_sev": (False, 0.16, 0.45),
}


def _survival(arms: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    curves, nar, summary = [], [], []
    for population in ("ITT", "PP"):
        for endpoint, (surv, p_msc, p_ctl) in _ENDPOINTS.items():
            row: dict[str, object] = {"endpoint": endpoint, "population": population}
            row["at_months"] = 24
            for arm in arms:
                plateau = p_msc if arm in ("MSC", "pooled") else p_ctl
                c = _curve(0.25, 14, surv, plateau)
                c.insert(0, "arm", arm)
                c.insert(0, "population", population)
                c.insert(0, "endpoint", endpoint)
                curves.append(c)
                n0 = 40 if arm == "MSC" else (38 if arm == "control" else 78)
                for k, m in enumerate(AT_RISK_MONTHS):
                    nar.append((endpoint, population, arm, m, max(0, n0 - 5 * k)))
                prefix = "msc" if arm == "MSC" else arm.lower()
                est24 = float(c.loc[c["time_months"] <= 24, "estimate"].iloc[-1])
                row[f"{prefix}_estimate"] = est24
                row[f"{prefix}_lower"] = max(0.0, est24 - 0.15)
                row[f"{prefix}_upper"] = min(1.0, est24 + 0.15)
            if "pooled" not in arms:
                row.update(
                    {
                        "test": "log-rank" if surv else "Gray",
                        "p_value": 0.42,
                        "hr": 0.76,
                        "hr_lower": 0.38,
                        "hr_upper": 1.49,
                    }
                )
            summary.append(row)
    return (
        pd.concat(curves, ignore_index=True),
        pd.DataFrame(nar, columns=["endpoint", "population", "arm", "time_months", "n_at_risk"]),
        pd.DataFrame(summary),
    )


def _posthoc() -> dict[str, PosthocResult]:
    uni = pd.DataFrame(
        {
            "variable": ["steroid response", "gut involvement", "age"],
            "term": ["dependence vs resistance", "yes vs no", "per year"],
            "estimate": [5.1, 0.31, 1.01],
            "lower": [1.1, 0.1, 0.97],
            "upper": [24.0, 0.9, 1.04],
            "p_value": [0.04, 0.03, 0.6],
            "selected": [True, True, False],
        }
    )
    multi = uni.loc[uni["selected"], ["term", "estimate", "lower", "upper", "p_value"]]
    out = {}
    for key, endpoint, population, model in (
        ("S1:ORR_D28", "ORR_D28", "ITT", "logistic"),
        ("S3:ORR_D28", "ORR_D28", "PP", "logistic"),
        ("S5:OS", "OS", "ITT", "Cox"),
        ("S6:cGVHD", "cGVHD", "PP", "Fine-Gray"),
    ):
        out[key] = PosthocResult(
            endpoint,
            population,
            model,
            uni,
            multi.reset_index(drop=True),
            ("steroid response", "gut involvement"),
        )
    return out


def _consort(blinded: bool) -> dict[str, object]:
    """The CONSORT dict, shaped as gvhdtrial.analysis builds it."""

    def split(msc: int, control: int) -> object:
        return (
            msc + control if blinded else {"MSC": msc, "control": control, "total": msc + control}
        )

    return {
        "screened": 120,
        "screen_failures": 42,
        "screen_failure_reasons": {"E1a": 12, "I1": 3, "I2c": 20, "I4": 9},
        "eligible_not_randomized": 0,
        "randomized_but_screen_criteria_failed": [],
        "randomized": split(40, 38),
        "received_infusion": split(40, 38),
        "discontinued_before_d28": {
            "total": split(8, 8),
            "by_reason": {
                "death": split(2, 3),
                "salvage_failure": split(3, 3),
                "withdrawal": split(3, 2),
            },
            "by_grade": {"II": split(3, 2), "III": split(5, 6)},
        },
        "excluded_from_per_protocol": split(8, 8),
        "per_protocol_with_8_infusions_discontinued_before_d28": split(0, 2),
        "analysed": {"ITT": split(40, 38), "PP": split(32, 30), "safety": split(40, 38)},
    }


def make_fake_results(blinded: bool = False) -> AnalysisResults:
    arms = ["pooled"] if blinded else ["MSC", "control"]
    curves, nar, summary = _survival(arms)
    if blinded:
        table1 = pd.DataFrame(
            {
                "variable": ["", "Gender, n (%)"],
                "level": ["No. of patients", "Male"],
                "itt_pooled": ["78", "46 (59.0)"],
            }
        )
        table2 = pd.DataFrame(
            [("ORR_D28", "ITT", "all", 43, 78), ("ORR_D28", "PP", "all", 37, 62)],
            columns=["endpoint", "population", "subgroup", "x", "n"],
        )
        table3 = pd.DataFrame(
            {
                "group": ["", "Hematologic"],
                "event": ["Any adverse event", "Thrombocytopenia"],
                "pooled_any": ["77 (99)", "42 (54)"],
                "pooled_grade3_4": ["65 (83)", "39 (50)"],
                "pooled_grade5": ["13 (17)", "0 (0)"],
            }
        )
        consort = _consort(blinded=True)
    else:
        table1 = pd.DataFrame(
            {
                "variable": ["", "", "Gender, n (%)"],
                "level": ["No. of patients", "Age, median (range), years", "Male"],
                "itt_msc": ["40", "37.5 (17–62)", "25 (62.5)"],
                "itt_control": ["38", "38.5 (13–60)", "21 (55.3)"],
                "pp_msc": ["32", "37.5 (17–62)", "20 (62.5)"],
                "pp_control": ["30", "40.5 (13–60)", "16 (53.3)"],
                "itt_p_value": [math.nan, 0.8, 0.5],
                "itt_test": ["", "Wilcoxon", "Pearson"],
                "pp_p_value": [math.nan, 0.7, 0.4],
                "pp_test": ["", "Wilcoxon", "Pearson"],
            }
        )
        table2 = _table2()
        table3 = pd.DataFrame(
            {
                "group": ["", "Hematologic"],
                "event": ["Any adverse event", "Thrombocytopenia"],
                "msc_any": ["40 (100)", "22 (55)"],
                "msc_grade3_4": ["34 (85)", "19 (48)"],
                "msc_grade5": ["7 (18)", "0 (0)"],
                "control_any": ["37 (97)", "20 (53)"],
                "control_grade3_4": ["31 (82)", "20 (53)"],
                "control_grade5": ["6 (16)", "0 (0)"],
                "msc_any_n": [40, 22],
            }
        )
        consort = _consort(blinded=False)
    total = 78 if blinded else 40
    safety = pd.DataFrame(
        [(q, a, n, N, 100 * n / N) for q, a, n, N in (
            ("patients with >= 1 AE", arms[0], total - 1, total),
            ("SAEs", arms[0], 15, total),
        )],
        columns=["quantity", "arm", "n", "N", "percent"],
    )  # fmt: skip
    arm = "pooled" if blinded else "MSC"
    pvr = pd.DataFrame(
        [
            ("ORR d28", "ITT", arm, "Table 2", "24/40", "24/40", "", True),
            ("ORR d28 p", "ITT", "", "Table 2", "0.375", "0.375", "0", True),
            ("2-year OS", "PP", arm, "Results", "71.1%", "69.0%", "-2.1 pp", False),
        ],
        columns=["quantity", "population", "arm", "source", "published", "reproduced",
                 "difference", "exact"],
    )  # fmt: skip
    extras = pd.DataFrame(
        [("doses received", "ITT", arm, "8 (2-16)", "median (range)")],
        columns=["quantity", "population", "arm", "value", "detail"],
    )
    return AnalysisResults(
        adsl=pd.DataFrame({"patient_id": ["P001", "P002"]}),
        table1=table1,
        table2=table2,
        table3=table3,
        safety_summary=safety,
        consort=consort,
        survival_curves=curves,
        numbers_at_risk=nar,
        survival_summary=summary,
        posthoc={} if blinded else _posthoc(),
        extras=extras,
        published_vs_reproduced=pvr,
        config={
            "response_rules": "paper",
            "pp_reading": "literal: >= 8 infusions received",
            "windows": {"d28": [21, 35]},
        },
        notes=["Per-protocol: the literal reading, received >= 8 infusions (docs/protocol.md 10)."],
        blinded=blinded,
        synthetic_statement=SYNTHETIC_STATEMENT,
    )


@pytest.fixture(scope="session")
def fake_results() -> AnalysisResults:
    return make_fake_results()


@pytest.fixture(scope="session")
def fake_blinded_results() -> AnalysisResults:
    return make_fake_results(blinded=True)
