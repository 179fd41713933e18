"""The other numbers of the paper's text: salvage, doses, response time, follow-up, grade IV.

``extras`` rows: ``quantity, population, arm, value, detail`` (value as printed).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from gvhdtrial.analysis import formatting as fmt
from gvhdtrial.analysis.derive import ARMS
from gvhdtrial.stats import compare_proportions

POPULATIONS = {"ITT": "itt", "PP": "pp"}


def _row(quantity: str, population: str, arm: str, value: Any, detail: str = "") -> dict:
    return {
        "quantity": quantity,
        "population": population,
        "arm": arm,
        "value": str(value),
        "detail": detail,
    }


def _pct(n: int, total: int) -> str:
    return f"{n} ({fmt.percent(n, total, 1)}%)" if total else f"{n}"


def extras(adsl: pd.DataFrame, table2: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """Salvage (ITT 11/40 vs 15/38, PP 8/32 vs 13/30), ruxolitinib as salvage, doses and
    response time (median, range), follow-up of survivors, grade III-IV share, gut involvement,
    baseline steroid dose, the grade III comparison by Pearson as the text printed it, and the
    grade IV patients' stories."""
    rows: list[dict[str, Any]] = []
    arms = ("pooled",) if blinded else ARMS

    def members(pop: pd.DataFrame, arm: str) -> pd.DataFrame:
        return pop if arm == "pooled" else pop[pop["arm"] == arm]

    for population, flag in POPULATIONS.items():
        pop = adsl[adsl[flag]]
        for arm in arms:
            m = members(pop, arm)
            rows.append(
                _row("salvage treatment", population, arm, _pct(int(m["salvage"].sum()), len(m)))
            )
        if not blinded:
            a, b = (members(pop, arm) for arm in ARMS)
            if len(a) and len(b):
                res = compare_proportions(
                    int(a["salvage"].sum()), len(a), int(b["salvage"].sum()), len(b)
                )
                rows.append(
                    _row("salvage treatment p", population, "", fmt.p_value(res.p_value), res.test)
                )
        for arm in arms:
            m = members(pop, arm)
            rows.append(_row("gut involvement", population, arm, int(m["organ_gut"].sum())))
        share = pop["grade_iii_iv"].astype(bool)
        rows.append(
            _row(
                "grade III-IV (% of cohort)",
                population,
                "pooled",
                f"{fmt.percent(int(share.sum()), len(pop), 1)}%" if len(pop) else "",
                f"{int(share.sum())}/{len(pop)}",
            )
        )
    itt = adsl[adsl["itt"]]
    for arm in arms:
        m = members(itt, arm)
        rows.append(_row("ruxolitinib as salvage", "ITT", arm, int(m["salvage_ruxolitinib"].sum())))
        rows.append(
            _row(
                "doses received: median (range)",
                "ITT",
                arm,
                fmt.median_range([float(v) for v in m["n_infusions"]]),
            )
        )
        times = [float(v) for v in m["time_to_response_days"].dropna()]
        rows.append(
            _row(
                "time to response: median (range) days",
                "ITT",
                arm,
                fmt.median_range(times),
                f"{len(times)} patients with a response",
            )
        )
    alive = itt[~itt["dead"].astype(bool)]
    rows.append(
        _row(
            "follow-up: median (range) months",
            "all",
            "pooled",
            fmt.median_range([round(float(v), 6) for v in alive["followup_months"]], 1),
            f"{len(alive)} patients alive at last contact",
        )
    )
    rows.append(
        _row(
            "baseline steroid dose median (range) mg",
            "all",
            "pooled",
            fmt.median_range([float(v) for v in itt["baseline_steroid_mg"]]),
        )
    )
    if not blinded:
        g3 = table2[
            (table2["endpoint"] == "ORR_D28")
            & (table2["population"] == "ITT")
            & (table2["subgroup"] == "grade:III")
        ]
        if len(g3) and g3.iloc[0]["msc_n"] and g3.iloc[0]["control_n"]:
            r = g3.iloc[0]
            x = (int(r["msc_x"]), int(r["msc_n"]), int(r["control_x"]), int(r["control_n"]))
            pooled = x[0] + x[2]
            if 0 < pooled < x[1] + x[3]:
                pearson = compare_proportions(*x, test="pearson")
                rows.append(
                    _row(
                        "ORR_D28 grade:III p (Pearson, as the text printed it)",
                        "ITT",
                        "",
                        fmt.p_value(pearson.p_value),
                        f"SAP rule: {r['test']} p = {fmt.p_value(float(r['p_value']))}",
                    )
                )
    grade_iv = itt[itt["baseline_grade"] == 4].sort_values("patient_id")
    for arm in arms:
        rows.append(_row("grade IV patients", "ITT", arm, len(members(grade_iv, arm))))
    for rec in grade_iv.to_dict("records"):
        organs = "+".join(o for o in ("skin", "liver", "gut") if rec[f"organ_{o}"])
        death = (
            f"died day {int(rec['death_day'])} ({rec['death_cause']})"
            if not math.isnan(rec["death_day"])
            else "alive"
        )
        detail = (
            f"SR {rec['sr_type']}; organs {organs}; d28 {rec['resp_d28']}; d56 {rec['resp_d56']};"
            f" DCR {'yes' if rec['dcr'] else 'no'}; {death}"
        )
        rows.append(
            _row(
                "grade IV patient",
                "ITT",
                "pooled" if blinded else str(rec["arm"]),
                rec["patient_id"],
                detail,
            )
        )
    return pd.DataFrame.from_records(
        rows, columns=["quantity", "population", "arm", "value", "detail"]
    )


def grade_iv_stories(adsl: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """The grade IV patients (Results, Efficacy): SR type, organs, d28/d56, DCR, death."""
    g = adsl[adsl["baseline_grade"] == 4].sort_values("patient_id")
    cols = [
        "patient_id",
        "sr_type",
        "organ_skin",
        "organ_liver",
        "organ_gut",
        "resp_d28",
        "resp_d56",
        "dcr",
        "death_day",
        "death_cause",
    ]
    if not blinded:
        cols.insert(1, "arm")
    return g[cols].reset_index(drop=True)
