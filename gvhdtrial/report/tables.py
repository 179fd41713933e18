"""The report's tables as display DataFrames, one function per table of the paper.

Each function turns a DataFrame of the analysis results into what a reader sees (counts as
"x/n (%)", ratios with their CI, p-values with three decimals) and returns a :class:`DisplayTable`
which :mod:`gvhdtrial.report.html` renders with great_tables. A table whose columns are not the
expected ones (e.g. the pooled tables of a blinded analysis) is shown as it is, formatted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gvhdtrial.i18n import gettext
from gvhdtrial.report import style
from gvhdtrial.report.consort import consort_rows, consort_view


@dataclass
class DisplayTable:
    """A table ready to render: the frame plus its title and rendering hints."""

    key: str  # html id: table1, table2, ...
    number: str  # "1", "2", "S2", ... or "" for unnumbered
    title: str
    frame: pd.DataFrame
    subtitle: str = ""
    group_column: str | None = None  # rows grouped under this column's values
    spanners: dict[str, list[str]] = field(default_factory=dict)  # label -> columns
    header_rows: list[int] = field(default_factory=list)  # rows shown bold (section heads)
    highlight_rows: list[int] = field(default_factory=list)  # rows shaded
    highlight_colour: str = "#FDE3E1"  # pale red: a difference; pale blue: selected
    footnote: str = ""

    @property
    def label(self) -> str:
        return f"Table {self.number}" if self.number else ""


# ---------------------------------------------------------------------------------------------
# Cell formats
# ---------------------------------------------------------------------------------------------


def _cell(x: Any) -> str:
    """Any value as table text: NaN/None empty, floats without noise, bools as yes/no."""
    if style.is_missing(x):
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e12:
            return str(int(x))
        return f"{x:.3g}" if abs(x) < 0.01 else f"{x:.2f}"
    if isinstance(x, list | tuple | dict):
        return json.dumps(x, ensure_ascii=False)
    return str(x)


def _p(x: Any) -> str:
    if style.is_missing(x):
        return ""
    return style.format_p(x).replace("p = ", "").replace("p ", "")


def _p_with_test(p: Any, test: Any) -> str:
    if style.is_missing(p):
        return "not tested" if str(test).strip().lower() == "not tested" else ""
    label = style.test_label(test)
    return f"{_p(p)} ({label})" if label else _p(p)


def _count_pct(x: Any, n: Any) -> str:
    if style.is_missing(x) or style.is_missing(n):
        return ""
    x, n = int(x), int(n)
    pct = 100.0 * x / n if n else math.nan
    return f"{x}/{n} ({pct:.1f}%)" if n else f"{x}/{n}"


def _ci(est: Any, low: Any, high: Any, percent: bool = False) -> str:
    if style.is_missing(est):
        return ""
    if percent:
        text = style.format_pct(est)
        if not (style.is_missing(low) or style.is_missing(high)):
            lo, hi = 100 * style.as_fraction(low), 100 * style.as_fraction(high)
            text += f" ({lo:.1f}-{hi:.1f})"
        return text
    return style.format_ratio(est, low, high)


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if "p_value" in str(col):
            out[col] = [_p(v) for v in out[col]]
        else:
            out[col] = [_cell(v) for v in out[col]]
    out.columns = [_column_label(c) for c in out.columns]
    return out


def _column_label(name: Any) -> str:
    text = str(name)
    labels = {
        "p_value": "p",
        "n_at_risk": "At risk",
        "time_months": "Months",
        "itt_pooled": "ITT, all patients",
        "pp_pooled": "PP, all patients",
        "x": "Responders",
        "n": "Patients",
    }
    if text in labels:
        return labels[text]
    return text.replace("_", " ").capitalize()


def _with_headings(
    frame: pd.DataFrame, group: str, item: str, label: str
) -> tuple[pd.DataFrame, list[int]]:
    """Flatten (group, item) rows into one column with the group as a bold heading row."""
    rows: list[dict[str, Any]] = []
    heads: list[int] = []
    current = None
    value_cols = [c for c in frame.columns if c not in (group, item)]
    for _, r in frame.iterrows():
        g = "" if style.is_missing(r[group]) else str(r[group])
        if g and g != current:
            heads.append(len(rows))
            rows.append({label: g, **dict.fromkeys(value_cols, "")})
        current = g
        rows.append(
            {label: ("\u2003" if g else "") + str(r[item]), **{c: r[c] for c in value_cols}}
        )
    return pd.DataFrame(rows, columns=[label, *value_cols]), heads


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

_ARM_COLUMNS = {"msc": "MSC", "control": "Control", "pooled": "All patients"}


def table1(results: Any) -> DisplayTable:
    """Table 1: baseline characteristics, ITT and per-protocol, by arm, with p-values."""
    t = results.table1
    if not {"variable", "level"} <= set(t.columns):
        return DisplayTable("table1", "1", "Baseline characteristics", _formatted(t))
    flat, heads = _with_headings(t, "variable", "level", "Characteristic")
    for h in heads:  # the variable's test is printed on its first level: move it up
        for col in flat.columns:
            if col.endswith(("_p_value", "_test")) and h + 1 < len(flat):
                flat.loc[h, col], flat.loc[h + 1, col] = flat.loc[h + 1, col], ""
    spanners: dict[str, list[str]] = {}
    columns = {"Characteristic": flat["Characteristic"]}
    for pop, pop_label in (("itt", "Intention-to-treat"), ("pp", "Per-protocol")):
        cols = []
        for arm in ("msc", "control", "pooled"):
            src = f"{pop}_{arm}"
            if src in flat.columns:
                name = f"{_ARM_COLUMNS[arm]} ({pop.upper()})"
                columns[name] = [_cell(v) for v in flat[src]]
                cols.append(name)
        if f"{pop}_p_value" in flat.columns:
            name = f"p ({pop.upper()})"
            tests = flat.get(f"{pop}_test")
            columns[name] = [
                _p_with_test(p, tt)
                for p, tt in zip(
                    flat[f"{pop}_p_value"],
                    tests if tests is not None else [None] * len(flat),
                    strict=True,
                )
            ]
            cols.append(name)
        if cols:
            spanners[pop_label] = cols
    frame = pd.DataFrame(columns)
    return DisplayTable(
        "table1",
        "1",
        "Baseline characteristics, intention-to-treat and per-protocol sets",
        frame,
        subtitle="n (%) or median (range); p-value (test) between arms",
        spanners=spanners,
        header_rows=heads,
    )


_ENDPOINT_ORDER = ("ORR_D28", "ORR_D56", "DCR", "CR_D28", "CR_D56")


def _response_table(
    results: Any,
    key: str,
    number: str,
    title: str,
    endpoints: Sequence[str],
    populations: Sequence[str],
) -> DisplayTable:
    t = results.table2
    sub = t[
        t["endpoint"].astype(str).isin(endpoints) & t["population"].astype(str).isin(populations)
    ].copy()
    order = list(style.SUBGROUP_LABELS)
    sub["_e"] = [list(endpoints).index(e) for e in sub["endpoint"].astype(str)]
    sub["_p"] = [list(populations).index(p) for p in sub["population"].astype(str)]
    sub["_s"] = [order.index(s) if s in order else len(order) for s in sub["subgroup"].astype(str)]
    sub = sub.sort_values(["_p", "_e", "_s"], kind="stable")
    rows = []
    for _, r in sub.iterrows():
        group = style.endpoint_label(r["endpoint"])
        if len(populations) > 1:
            group += f", {r['population']}"
        row = {"Endpoint": group, "Subgroup": style.subgroup_label(r["subgroup"])}
        if "msc_x" in sub.columns:
            row["MSC"] = _count_pct(r["msc_x"], r["msc_n"])
            row["Control"] = _count_pct(r["control_x"], r["control_n"])
            row["Odds ratio (95% CI)"] = _ci(r.get("odds_ratio"), r.get("ci_low"), r.get("ci_high"))
            row["p"] = _p(r.get("p_value"))
            row["Test"] = style.test_label(r.get("test"))
        else:  # blinded: pooled rates only
            row["All patients"] = _count_pct(r.get("x"), r.get("n"))
        rows.append(row)
    frame = pd.DataFrame(rows)
    return DisplayTable(
        key,
        number,
        title,
        frame,
        subtitle="responders/patients (%); Woolf 95% CI; test by the analysis plan's rule",
        group_column="Endpoint" if not frame.empty else None,
    )


def table2(results: Any) -> DisplayTable:
    return _response_table(
        results,
        "table2",
        "2",
        "Treatment response, intention-to-treat set, overall and by subgroup",
        ("ORR_D28", "ORR_D56", "DCR"),
        ("ITT",),
    )


def table_s2(results: Any) -> DisplayTable:
    return _response_table(
        results,
        "tableS2",
        "S2",
        "Treatment response, per-protocol set, overall and by subgroup",
        ("ORR_D28", "ORR_D56", "DCR"),
        ("PP",),
    )


def table_s4(results: Any) -> DisplayTable:
    return _response_table(
        results,
        "tableS4",
        "S4",
        "Complete response at d28 and d56, intention-to-treat and per-protocol sets",
        ("CR_D28", "CR_D56"),
        ("ITT", "PP"),
    )


def table3(results: Any) -> DisplayTable:
    """Table 3: adverse events up to d180 in the safety set (patients with >= 1 event)."""
    t = results.table3
    if not {"group", "event"} <= set(t.columns):
        return DisplayTable("table3", "3", "Adverse events", _formatted(t))
    keep = [
        c
        for c in t.columns
        if c not in ("group", "event") and not str(c).endswith("_n") and not str(c).endswith("_N")
    ]
    flat, heads = _with_headings(t[["group", "event", *keep]], "group", "event", "Adverse event")
    grade_names = {"any": "Any grade", "grade3_4": "Grade 3-4", "grade5": "Grade 5"}
    columns: dict[str, Any] = {"Adverse event": flat["Adverse event"]}
    spanners: dict[str, list[str]] = {}
    for arm in ("msc", "control", "pooled"):
        cols = []
        for g, gname in grade_names.items():
            src = f"{arm}_{g}"
            if src in flat.columns:
                name = f"{gname} ({_ARM_COLUMNS[arm]})"
                columns[name] = [_cell(v) for v in flat[src]]
                cols.append(name)
        if cols:
            spanners[_ARM_COLUMNS[arm]] = cols
    return DisplayTable(
        "table3",
        "3",
        "Adverse events within 180 days, safety set",
        pd.DataFrame(columns),
        subtitle="patients with at least one event, n (%); CTCAE v5.0",
        spanners=spanners,
        header_rows=heads,
        footnote=(
            "Listed: events with ≥ 10% any grade, ≥ 5% grade 3-4, or any grade 5, in either arm. "
            "A patient can count in both grade columns, and one death can carry two grade 5 terms."
        ),
    )


def safety_summary(results: Any) -> DisplayTable:
    t = results.safety_summary
    if not {"quantity", "arm", "n", "N"} <= set(t.columns) or t.empty:
        return DisplayTable("safety", "", "Safety summary", _formatted(t))
    rows: dict[str, dict[str, str]] = {}
    arms: list[str] = []
    for _, r in t.iterrows():
        arm = _ARM_COLUMNS[style.arm_key(r["arm"])]
        if arm not in arms:
            arms.append(arm)
        rows.setdefault(str(r["quantity"]), {})[arm] = _count_pct(r["n"], r["N"])
    frame = pd.DataFrame(
        [{"Quantity": q, **{a: v.get(a, "") for a in arms}} for q, v in rows.items()]
    )
    return DisplayTable("safety", "", "Safety summary, safety set", frame, subtitle="n/N (%)")


def survival_summary(results: Any) -> DisplayTable:
    t = results.survival_summary
    rows = []
    for _, r in t.iterrows():
        at = r.get("at_months", 24)
        row = {
            "Endpoint": style.endpoint_label(r["endpoint"]),
            "Set": str(r["population"]),
            "At (months)": _cell(at),
        }
        for arm in ("msc", "control", "pooled"):
            if f"{arm}_estimate" in t.columns and not style.is_missing(r.get(f"{arm}_estimate")):
                row[f"{_ARM_COLUMNS[arm]} (95% CI)"] = _ci(
                    r[f"{arm}_estimate"], r.get(f"{arm}_lower"), r.get(f"{arm}_upper"), True
                )
        if "hr" in t.columns:
            row["HR (95% CI)"] = _ci(r.get("hr"), r.get("hr_lower"), r.get("hr_upper"))
            row["p"] = _p(r.get("p_value"))
            row["Test"] = style.test_label(r.get("test"))
        rows.append(row)
    frame = pd.DataFrame(rows).fillna("")
    return DisplayTable(
        "survival",
        "",
        "Outcome estimates at 2 years",
        frame,
        subtitle=(
            "Kaplan-Meier (OS, FFS) or cumulative incidence (others) with 95% CI; HR from Cox "
            "(OS, FFS) or Fine-Gray (competing risks); p from log-rank or Gray's test"
        ),
    )


_POSTHOC_TITLES = {
    "S1": "ITT set",
    "S3": "per-protocol set",
    "S5": "ITT set",
    "S6": "per-protocol set",
}


def _posthoc_sort_key(key: str) -> tuple[str, int, str]:
    table, _, endpoint = key.partition(":")
    order = [*_ENDPOINT_ORDER, "OS", "FFS", "cGVHD", "cGVHD_mod_sev"]
    return (table, order.index(endpoint) if endpoint in order else len(order), endpoint)


def posthoc_tables(results: Any) -> list[DisplayTable]:
    """Tables S1, S3, S5, S6: univariable then multivariable, one pair per endpoint."""
    out: list[DisplayTable] = []
    for key in sorted(results.posthoc, key=_posthoc_sort_key):
        res = results.posthoc[key]
        table, _, _ = key.partition(":")
        ratio = "OR" if "logistic" in str(res.model).lower() else "HR"
        what = (
            f"{style.endpoint_label(res.endpoint)}, "
            f"{style.POPULATION_LABELS.get(res.population, res.population)} ({res.model})"
        )
        uni = res.univariable
        rows = []
        for _, r in uni.iterrows():
            rows.append(
                {
                    "Variable": _cell(r.get("variable")),
                    "Term": _cell(r.get("term")),
                    f"{ratio} (95% CI)": _ci(r.get("estimate"), r.get("lower"), r.get("upper")),
                    "p": _p(r.get("p_value")),
                    "Selected (p < 0.1)": "✓" if bool(r.get("selected", False)) else "",
                }
            )
        selected = [i for i, r in enumerate(rows) if r["Selected (p < 0.1)"]]
        out.append(
            DisplayTable(
                f"posthoc-{key.replace(':', '-')}-uni",
                table,
                gettext("Univariable analysis: %(what)s") % {"what": what},
                pd.DataFrame(rows),
                highlight_rows=selected,
                highlight_colour="#E3EEF9",
                footnote=res.note,
            )
        )
        multi = res.multivariable
        mrows = [
            {
                "Term": _cell(r.get("term")),
                f"{ratio} (95% CI)": _ci(r.get("estimate"), r.get("lower"), r.get("upper")),
                "p": _p(r.get("p_value")),
            }
            for _, r in multi.iterrows()
        ]
        none = gettext("(no variable selected)")
        frame = pd.DataFrame(mrows) if mrows else pd.DataFrame({"Term": [none]})
        out.append(
            DisplayTable(
                f"posthoc-{key.replace(':', '-')}-multi",
                table,
                gettext("Multivariable analysis: %(what)s") % {"what": what},
                frame,
                subtitle="variables with p < 0.1 in the univariable analysis",
            )
        )
    return out


def consort_table(results: Any) -> DisplayTable:
    view = consort_view(results.consort, blinded=bool(results.blinded))
    frame = pd.DataFrame(consort_rows(view)).fillna("")
    for col in frame.columns:
        frame[col] = [_cell(v) for v in frame[col]]
    return DisplayTable("consort", "", "CONSORT flow, counts", frame)


def published_vs_reproduced(results: Any) -> DisplayTable:
    t = results.published_vs_reproduced
    frame = _formatted(t)
    highlight: list[int] = []
    if "exact" in t.columns:
        highlight = [i for i, v in enumerate(t["exact"]) if not _truthy(v)]
        frame["Exact"] = ["yes" if _truthy(v) else "NO" for v in t["exact"]]
    n_exact = len(t) - len(highlight)
    return DisplayTable(
        "published",
        "",
        "Published versus reproduced",
        frame,
        subtitle=f"{n_exact} of {len(t)} numbers reproduced exactly; differences shaded",
        highlight_rows=highlight,
    )


def published_summary(results: Any) -> DisplayTable:
    """How many published numbers each source (table, text) has and how many were reproduced."""
    t = results.published_vs_reproduced
    if t.empty or "exact" not in t.columns:
        return DisplayTable("published-summary", "", "Reproduction summary", pd.DataFrame())
    source = t["source"].astype(str) if "source" in t.columns else pd.Series(["all"] * len(t))
    exact = t["exact"].map(_truthy)
    rows = []
    for name in dict.fromkeys(source):
        mask = source == name
        n, k = int(mask.sum()), int(exact[mask].sum())
        rows.append({"Source": name, "Numbers": n, "Exact": k, "Different": n - k})
    rows.append(
        {
            "Source": "All",
            "Numbers": len(t),
            "Exact": int(exact.sum()),
            "Different": int((~exact).sum()),
        }
    )
    frame = pd.DataFrame(rows)
    frame = frame.astype(str)
    different = [i for i, r in enumerate(rows[:-1]) if r["Different"]]
    return DisplayTable(
        "published-summary",
        "",
        "Reproduction summary by source",
        frame,
        header_rows=[len(rows) - 1],
        highlight_rows=different,
    )


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "yes", "1")
    return (not style.is_missing(v)) and bool(v)


def extras(results: Any) -> DisplayTable:
    return DisplayTable(
        "extras", "", "Other numbers of the paper's text", _formatted(results.extras)
    )


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, _cell(value) if not isinstance(value, str) else value))


def configuration(results: Any) -> DisplayTable:
    rows: list[tuple[str, str]] = []
    _flatten("", results.config, rows)
    frame = pd.DataFrame(rows, columns=["Setting", "Value"])
    return DisplayTable("config", "", "Analysis configuration", frame)
