"""Tables 1-3, the safety summary, the CONSORT flow and the other numbers of the text.

Every function takes analysis datasets (ADSL, ADAE) and returns a DataFrame or dict; the
statistics come from :mod:`gvhdtrial.stats` (the SAP rule for proportions, t-test / Wilcoxon
rank-sum for continuous variables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import special, stats

from gvhdtrial.analysis import formatting as fmt
from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.analysis.derive import ARMS, TABLE3_ORDER
from gvhdtrial.data import ctcae
from gvhdtrial.stats import compare_proportions, t_test, wilcoxon_rank_sum
from gvhdtrial.stats.proportions import sap_rule

# ---------------------------------------------------------------------------------------------
# Table 1
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table1Row:
    """One row of Table 1: how to count it from ADSL, and how its variable is tested."""

    variable: str
    level: str
    column: str
    value: Any = True  # the level's value in ``column`` ("median" rows: ignored)
    kind: str = "count"  # "patients", "count" or "median"
    decimals: int | None = None  # "median" rows: fixed places, None = whole numbers bare
    test: str = "categorical"  # "categorical", "binary", "ordinal", "continuous", "none"


def _levels(variable: str, column: str, pairs: Sequence[tuple[str, Any]], test: str) -> list:
    return [Table1Row(variable, label, column, value, test=test) for label, value in pairs]


_SERO = (("D+/R+", "D+/R+"), ("D+/R-", "D+/R-"), ("D-/R+", "D-/R+"), ("D-/R-", "D-/R-"))

#: Table 1 of the paper, row by row (published/table1.csv), and where each row comes from.
TABLE1_ROWS: Final[tuple[Table1Row, ...]] = (
    Table1Row("", "No. of patients", "itt", kind="patients", test="none"),
    Table1Row("", "Age, median (range), years", "age_years", kind="median", test="continuous"),
    Table1Row("", "Age < 18 years, n (%)", "age_lt18", True, test="binary"),
    Table1Row("Gender, n (%)", "Male", "male", True, test="binary"),
    *_levels(
        "Disease, n (%)",
        "diagnosis",
        [(d, d) for d in ("AML", "MDS", "ALL", "CML", "NHL", "MDS/MPN")],
        "categorical",
    ),
    *_levels(
        "Conditioning, n (%)",
        "conditioning",
        [("Bu based", "busulfan-based"), ("TBI based", "TBI-based"), ("Others", "other")],
        "categorical",
    ),
    *_levels(
        "Type of donor, n (%)",
        "donor_type",
        [("Sibling", "sibling"), ("Unrelated", "unrelated"), ("Haplo", "haploidentical")],
        "categorical",
    ),
    *_levels(
        "Stem cell source, n (%)",
        "stem_cell_source",
        [("CB", "CB"), ("PBSC", "PBSC"), ("PBSC + BM", "PBSC+BM")],
        "categorical",
    ),
    Table1Row(
        "Graft",
        "CD34+, median (range), *10E06/kg",
        "cd34_dose_1e6_per_kg",
        kind="median",
        decimals=1,
        test="continuous",
    ),
    *_levels("CMV serostatus, n (%)", "cmv_serostatus", _SERO, "categorical"),
    *_levels("EBV serostatus, n (%)", "ebv_serostatus", _SERO, "categorical"),
    *_levels(
        "GVHD prophylaxis, n (%)",
        "gvhd_prophylaxis",
        [("MTX + Calcineurin inhibitor", "mtx_cni"), ("MTX Excluded", "no_mtx")],
        "categorical",
    ),
    *_levels(
        "SR aGVHD categories, n (%)",
        "sr_category",
        [
            ("Progression after 3 days", 1),
            ("Failure to improve after 7 days", 2),
            ("Failure to achieve CR after 14 days", 3),
            ("Failure during taper", 4),
        ],
        "categorical",
    ),
    *_levels(
        "aGVHD grade at baseline, n (%)",
        "baseline_grade",
        [("II", 2), ("III", 3), ("IV", 4)],
        "ordinal",
    ),
    Table1Row("aGVHD organ involvement, n (%)", "Skin", "organ_skin", True, test="binary"),
    Table1Row("aGVHD organ involvement, n (%)", "Liver", "organ_liver", True, test="binary"),
    Table1Row("aGVHD organ involvement, n (%)", "Gut", "organ_gut", True, test="binary"),
    *_levels(
        "No. of involved organs, n (%)", "n_organs", [("1", 1), ("2", 2), ("3", 3)], "ordinal"
    ),
    Table1Row(
        "aGVHD onset to randomization, median (range), days",
        "aGVHD onset to randomization, median (range), days",
        "onset_to_randomization_days",
        kind="median",
        test="continuous",
    ),
    Table1Row(
        "Steroid dose at baseline, median (range), mg/day",
        "Steroid dose at baseline, median (range), mg/day",
        "baseline_steroid_mg",
        kind="median",
        test="continuous",
    ),
    *_levels(
        "Second-line agent at baseline, n (%)",
        "second_line_agent",
        [
            ("Basiliximab", "basiliximab"),
            ("MTX", "methotrexate"),
            ("Mycophenolate mofetil", "mycophenolate_mofetil"),
            ("Tacrolimus", "tacrolimus"),
            ("Sirolimus", "sirolimus"),
        ],
        "categorical",
    ),
)


def _cell(rows: pd.DataFrame, spec: Table1Row) -> str:
    if spec.kind == "patients":
        return str(len(rows))
    if spec.kind == "median":
        return fmt.median_range([float(v) for v in rows[spec.column]], spec.decimals)
    n = int((rows[spec.column] == spec.value).fillna(False).sum())
    return fmt.n_percent(n, len(rows), 1)


def fisher_exact_rx2(table: np.ndarray) -> float:
    """Two-sided Fisher exact p for an r x 2 table (R: ``fisher.test``), by full enumeration.

    p = sum of the probabilities (multivariate hypergeometric, margins fixed) of every table
    no more probable than the observed one (relative tolerance 1e-7, as R).
    """
    table = np.asarray(table, dtype=int)
    rows = table.sum(axis=1)
    c1 = int(table[:, 0].sum())
    total = int(rows.sum())
    sums = np.array([0])
    logp = np.array([0.0])
    for n in rows:
        a = np.arange(n + 1)
        la = special.gammaln(n + 1) - special.gammaln(a + 1) - special.gammaln(n - a + 1)
        sums = (sums[:, None] + a[None, :]).ravel()
        logp = (logp[:, None] + la[None, :]).ravel()
        keep = sums <= c1
        sums, logp = sums[keep], logp[keep]
    logp = logp[sums == c1]
    log_norm = (
        special.gammaln(total + 1) - special.gammaln(c1 + 1) - special.gammaln(total - c1 + 1)
    )
    observed = sum(
        special.gammaln(n + 1) - special.gammaln(a + 1) - special.gammaln(n - a + 1)
        for n, a in zip(rows, table[:, 0], strict=True)
    )
    probs = np.exp(logp - log_norm)
    p_obs = math.exp(observed - log_norm)
    return float(min(1.0, probs[probs <= p_obs * (1 + 1e-7)].sum()))


def categorical_test(table: np.ndarray) -> tuple[str, float]:
    """The SAP rule for an r x 2 table (levels x arms): 2 x 2 by :func:`compare_proportions`;
    larger: Pearson chi-square when N >= 40 and every expected count >= 5, else Fisher exact.
    Levels absent from both arms are dropped; a single level is not tested."""
    table = np.asarray(table, dtype=int)
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return "not tested", math.nan
    if table.shape[0] == 2:
        res = compare_proportions(
            int(table[0, 0]), int(table[:, 0].sum()), int(table[0, 1]), int(table[:, 1].sum())
        )
        return res.test, res.p_value
    total = int(table.sum())
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    if sap_rule(total, float(expected.min())) == "pearson":
        return "pearson", float(stats.chi2_contingency(table, correction=False).pvalue)
    return "fisher", fisher_exact_rx2(table)


def _variable_test(
    rows: pd.DataFrame, specs: Sequence[Table1Row], config: AnalysisConfig
) -> tuple[str, float]:
    spec = specs[0]
    arm_rows = [rows[rows["arm"] == arm] for arm in ARMS]
    if spec.test == "none":
        return "", math.nan
    if spec.test in ("continuous", "ordinal"):
        x, y = (r[spec.column].astype(float).dropna().to_numpy() for r in arm_rows)
        if len(x) < 2 or len(y) < 2:
            return "not tested", math.nan
        if spec.test == "continuous" and config.table1_continuous_test == "t":
            return "t-test", t_test(x, y).p_value
        return "wilcoxon", wilcoxon_rank_sum(x, y).p_value
    if spec.test == "binary":
        counts = [int((r[spec.column] == spec.value).fillna(False).sum()) for r in arm_rows]
        table = np.array(
            [[counts[0], counts[1]], [len(arm_rows[0]) - counts[0], len(arm_rows[1]) - counts[1]]]
        )
        return categorical_test(table)
    table = np.array(
        [[int((r[s.column] == s.value).fillna(False).sum()) for r in arm_rows] for s in specs]
    )
    return categorical_test(table)


def table1(adsl: pd.DataFrame, config: AnalysisConfig, blinded: bool) -> pd.DataFrame:
    """Table 1, ITT and PP by arm, cells as the paper prints them, with SAP p-values.

    A variable's p-value and test stand on its first row. Blinded: one pooled ITT column.
    """
    records: list[dict[str, Any]] = []
    if blinded:
        for spec in TABLE1_ROWS:
            records.append(
                {"variable": spec.variable, "level": spec.level, "itt_pooled": _cell(adsl, spec)}
            )
        return pd.DataFrame.from_records(records)
    groups: dict[tuple[str, str], list[Table1Row]] = {}
    for spec in TABLE1_ROWS:
        groups.setdefault((spec.variable, spec.column), []).append(spec)
    pops = {"itt": adsl[adsl["itt"]], "pp": adsl[adsl["pp"]]}
    tests: dict[tuple[str, str], dict[str, tuple[str, float]]] = {
        key: {pop: _variable_test(rows, specs, config) for pop, rows in pops.items()}
        for key, specs in groups.items()
    }
    seen: set[tuple[str, str]] = set()
    for spec in TABLE1_ROWS:
        key = (spec.variable, spec.column)
        rec: dict[str, Any] = {"variable": spec.variable, "level": spec.level}
        for pop, rows in pops.items():
            for arm in ARMS:
                rec[f"{pop}_{arm.lower()}"] = _cell(rows[rows["arm"] == arm], spec)
        for pop in pops:
            test, p = tests[key][pop] if key not in seen else ("", math.nan)
            rec[f"{pop}_p_value"] = p
            rec[f"{pop}_test"] = test
        seen.add(key)
        records.append(rec)
    return pd.DataFrame.from_records(records)


# ---------------------------------------------------------------------------------------------
# Table 2 (and Tables S2, S4)
# ---------------------------------------------------------------------------------------------

#: Subgroups (docs/protocol.md section 7), as ADSL conditions; ``grade:III`` for the text.
SUBGROUPS: Final[dict[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "all": lambda a: pd.Series(True, index=a.index),
    "grade:II": lambda a: a["baseline_grade"] == 2,
    "grade:III-IV": lambda a: a["baseline_grade"] >= 3,
    "grade:III": lambda a: a["baseline_grade"] == 3,
    "organ:skin": lambda a: a["organ_skin"].astype(bool),
    "organ:gut": lambda a: a["organ_gut"].astype(bool),
    "organ:liver": lambda a: a["organ_liver"].astype(bool),
    "organs:1": lambda a: a["n_organs"] == 1,
    "organs:>=2": lambda a: a["n_organs"] >= 2,
    "steroid:dependence": lambda a: a["sr_type"] == "dependence",
    "steroid:resistance": lambda a: a["sr_type"] == "resistance",
}
#: Response endpoints and their ADSL flag columns.
RESPONSE_ENDPOINTS: Final = {
    "ORR_D28": "orr_d28",
    "ORR_D56": "orr_d56",
    "DCR": "dcr",
    "CR_D28": "cr_d28",
    "CR_D56": "cr_d56",
}
POPULATIONS: Final = {"ITT": "itt", "PP": "pp"}


def table2(adsl: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """Response rates by endpoint x population x subgroup, MSC (group 1) vs control.

    Test by the SAP rule (:func:`gvhdtrial.stats.compare_proportions`), odds ratio with a
    Woolf 95 % CI. Blinded: pooled ``x`` and ``n`` only.
    """
    records = []
    for endpoint, flag in RESPONSE_ENDPOINTS.items():
        for population, pop_flag in POPULATIONS.items():
            pop = adsl[adsl[pop_flag]]
            for subgroup, condition in SUBGROUPS.items():
                rows = pop[condition(pop).fillna(False).astype(bool)]
                if blinded:
                    records.append(
                        {
                            "endpoint": endpoint,
                            "population": population,
                            "subgroup": subgroup,
                            "x": int(rows[flag].sum()),
                            "n": len(rows),
                        }
                    )
                    continue
                counts = {}
                for arm in ARMS:
                    arm_rows = rows[rows["arm"] == arm]
                    counts[arm] = (int(arm_rows[flag].sum()), len(arm_rows))
                rec: dict[str, Any] = {
                    "endpoint": endpoint,
                    "population": population,
                    "subgroup": subgroup,
                    "msc_x": counts["MSC"][0],
                    "msc_n": counts["MSC"][1],
                    "control_x": counts["control"][0],
                    "control_n": counts["control"][1],
                    "test": "",
                    "p_value": math.nan,
                    "odds_ratio": math.nan,
                    "ci_low": math.nan,
                    "ci_high": math.nan,
                }
                if counts["MSC"][1] and counts["control"][1]:
                    res = compare_proportions(*counts["MSC"], *counts["control"])
                    rec.update(
                        test=res.test,
                        p_value=res.p_value,
                        odds_ratio=res.odds_ratio,
                        ci_low=res.ci_low,
                        ci_high=res.ci_high,
                    )
                records.append(rec)
    return pd.DataFrame.from_records(records)


# ---------------------------------------------------------------------------------------------
# Table 3 and the safety summary
# ---------------------------------------------------------------------------------------------


_listed = ctcae.table3_listed  # Table 3's listing rule (gvhdtrial.data.ctcae, one place)


def table3(adae: pd.DataFrame, adsl: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """AEs within the window by Table 3 label, safety set: patients per arm with any grade,
    grade 3-4 and grade 5, listed if the rule holds in either arm; grouped and ordered like the
    paper (its rows first in its order, then other listed terms by decreasing frequency), with
    the "Any adverse event" row first. Cells "n (%)" with whole percents; ``*_n`` are counts.
    """
    safety = adsl[adsl["safety"]]
    arms = ("pooled",) if blinded else ARMS
    arm_of = (lambda s: pd.Series("pooled", index=s.index)) if blinded else (lambda s: s)
    totals = {arm: int((arm_of(safety["arm_received"]) == arm).sum()) for arm in arms}
    ae = adae[adae["in_window"]].copy()
    ae["arm_key"] = arm_of(ae["arm_received"])

    def counts(rows: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
        out = {}
        for arm in arms:
            r = rows[rows["arm_key"] == arm]
            out[arm] = (
                r["patient_id"].nunique(),
                r.loc[r["grade"].isin([3, 4]), "patient_id"].nunique(),
                r.loc[r["grade"] == 5, "patient_id"].nunique(),
            )
        return out

    def record(group: str, event: str, c: dict[str, tuple[int, int, int]]) -> dict[str, Any]:
        rec: dict[str, Any] = {"group": group, "event": event}
        for arm in arms:
            key = arm.lower()
            for name, n in zip(("any", "grade3_4", "grade5"), c[arm], strict=True):
                rec[f"{key}_{name}"] = fmt.n_percent(n, totals[arm], 0) if n else "0 (0)"
                rec[f"{key}_{name}_n"] = n
        return rec

    records = [record("", "Any adverse event", counts(ae))]
    by_label = {label: counts(rows) for label, rows in ae.groupby("label")}
    listed = [
        label
        for label, c in by_label.items()
        if any(_listed(*c[arm], totals[arm]) for arm in arms if totals[arm])
    ]
    known = [label for label in TABLE3_ORDER if label in listed]
    others = sorted(
        (label for label in listed if label not in TABLE3_ORDER),
        key=lambda lab: (-sum(by_label[lab][a][0] for a in arms), lab),
    )
    group_of = dict(zip(ae["label"], ae["group"], strict=False))
    current = None
    for label in [*known, *others]:
        group = group_of.get(label, "")
        if group and group != current:
            records.append({"group": group, "event": group})
        current = group
        records.append(record(group, label, by_label[label]))
    frame = pd.DataFrame.from_records(records)
    for column in frame.columns:
        if column.endswith("_n"):
            frame[column] = frame[column].astype("Int64")
    return frame.fillna({c: "" for c in frame.columns if not c.endswith("_n")})


def safety_summary(adae: pd.DataFrame, adsl: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """The safety text: patients with any AE, grade 3-4, grade 5, drug-related AE, SAE (all
    within the window) and infusion toxicity (within 14 days of the last infusion, or an
    infusion reaction recorded on the infusion form), per arm of the safety set."""
    safety = adsl[adsl["safety"]]
    arms = ("pooled",) if blinded else ARMS
    in_window = adae[adae["in_window"]]
    tox_patients = set(adae.loc[adae["infusion_toxicity"], "patient_id"]) | set(
        safety.loc[safety["infusion_reaction"], "patient_id"]
    )
    quantities: dict[str, set[str]] = {
        "any AE": set(in_window["patient_id"]),
        "grade 3-4 AE": set(in_window.loc[in_window["grade"].isin([3, 4]), "patient_id"]),
        "grade 5 AE": set(in_window.loc[in_window["grade"] == 5, "patient_id"]),
        "drug-related AE": set(in_window.loc[in_window["related_to_study_agent"], "patient_id"]),
        "SAE": set(in_window.loc[in_window["serious"], "patient_id"]),
        "drug-related SAE": set(
            in_window.loc[in_window["serious"] & in_window["related_to_study_agent"], "patient_id"]
        ),
        "infusion toxicity": tox_patients,
    }
    records = []
    for quantity, patients in quantities.items():
        for arm in arms:
            members = safety if blinded else safety[safety["arm_received"] == arm]
            n = len(set(members["patient_id"]) & patients)
            total = len(members)
            records.append(
                {
                    "quantity": quantity,
                    "arm": arm,
                    "n": n,
                    "N": total,
                    "percent": 100.0 * n / total if total else math.nan,
                }
            )
    return pd.DataFrame.from_records(records)


# ---------------------------------------------------------------------------------------------
# CONSORT
# ---------------------------------------------------------------------------------------------


def consort(screening: pd.DataFrame, adsl: pd.DataFrame, blinded: bool) -> dict[str, Any]:
    """The CONSORT flow as a JSON-ready dict (counts only; ``by_arm`` absent when blinded).

    Screen failures are the screened patients not randomized, counted by every failed
    criterion of :func:`gvhdtrial.protocol.screen` (a patient can fail several).
    """
    randomized = set(adsl["patient_id"])
    not_rand = screening[~screening["patient_id"].isin(randomized)]
    reasons: dict[str, int] = {}
    for codes in not_rand["failure_codes"]:
        for code in filter(None, str(codes).split(";")):
            reasons[code] = reasons.get(code, 0) + 1
    assessable = (
        screening["assessable"].astype(bool)
        if "assessable" in screening
        else pd.Series(True, index=screening.index)
    )
    randomized_ineligible = screening[
        screening["patient_id"].isin(randomized) & ~screening["eligible"] & assessable
    ]
    # Randomized, with the data to judge screening missing (no baseline form): missing data,
    # not a failed criterion; the key is present only when there are some (the reference
    # trial's CONSORT output is unchanged).
    not_assessable = sorted(
        screening[screening["patient_id"].isin(randomized) & ~assessable]["patient_id"]
    )

    def split(rows: pd.DataFrame) -> dict[str, int] | int:
        if blinded:
            return len(rows)
        out = {arm: int((rows["arm"] == arm).sum()) for arm in ARMS}
        out["total"] = len(rows)
        return out

    disc = adsl[adsl["discontinued_before_d28"]]

    def by(rows: pd.DataFrame, column: str) -> dict[str, Any]:
        values = sorted({str(v) for v in rows[column].dropna()})
        return {v: split(rows[rows[column].astype(str) == v]) for v in values}

    return {
        "screened": len(screening),
        "screen_failures": len(not_rand),
        "screen_failure_reasons": dict(sorted(reasons.items())),
        "eligible_not_randomized": int(not_rand["eligible"].sum()),
        "randomized_but_screen_criteria_failed": sorted(randomized_ineligible["patient_id"]),
        **({"randomized_screening_not_assessable": not_assessable} if not_assessable else {}),
        "randomized": split(adsl),
        "received_infusion": split(adsl[adsl["n_infusions"] >= 1]),
        "discontinued_before_d28": {
            "total": split(disc),
            "by_reason": by(disc, "discontinuation_reason"),
            "by_grade": by(disc.assign(grade=disc["baseline_grade_label"]), "grade"),
        },
        "excluded_from_per_protocol": split(adsl[~adsl["pp"]]),
        "per_protocol_with_8_infusions_discontinued_before_d28": split(
            adsl[adsl["pp"] & adsl["discontinued_before_d28"]]
        ),
        "analysed": {
            "ITT": split(adsl[adsl["itt"]]),
            "PP": split(adsl[adsl["pp"]]),
            "safety": split(adsl[adsl["safety"]]),
        },
    }
