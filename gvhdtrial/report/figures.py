"""The report's figures, drawn with matplotlib from an analysis results object.

Every figure function takes the results (see ``gvhdtrial.analysis.results.AnalysisResults``)
and returns a :class:`ReportFigure`: the matplotlib figure plus its number, title and caption.
:func:`make_figures` gives the list the report shows, in order; :func:`save_figure` writes PNG
and SVG.

- Figure 1, the CONSORT flow diagram (paper, Fig. 1).
- Figure 2, ORR at d28, ORR at d56 and DCR by arm, ITT (A-C) and per-protocol (D-F)
  (paper, Fig. 2).
- Figure 3 (ITT) and Figure S1 (per-protocol): cumulative incidence of chronic GVHD,
  moderate-to-severe chronic GVHD, NRM and relapse, and Kaplan-Meier OS and FFS, with 95 % CI
  bands, numbers at risk, 2-year estimates, p-value and hazard ratio (paper, Fig. 3, Fig. S1).
- Figure 4: forest plot of ORR at d28 odds ratios by subgroup (Table 2, Table S2), which the
  paper does not have.

When the results are blinded, only pooled data-review figures are drawn: the CONSORT diagram
without the arm split and the pooled outcome curves.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.transforms import blended_transform_factory

from gvhdtrial.i18n import _
from gvhdtrial.report import style
from gvhdtrial.report.consort import ArmFlow, consort_view, reason_label

_T = TypeVar("_T")

_RC_BASE = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "svg.fonttype": "none",  # text stays text in the SVG: searchable, smaller
    "svg.hashsalt": "gvhdtrial",  # reproducible ids
    "savefig.dpi": 150,
}


def _rc() -> dict[str, Any]:
    """The matplotlib style, with a Chinese font after DejaVu Sans in a Chinese report."""
    return {**_RC_BASE, "font.family": style.font_families()}


@dataclass
class ReportFigure:
    """A drawn figure with what the report prints around it."""

    name: str  # file stem: figure1_consort, ...
    number: str  # "1", "2", "3", "S1", "4"
    title: str
    caption: str
    figure: Figure = field(repr=False)

    @property
    def label(self) -> str:
        return _("Figure %(number)s") % {"number": self.number}


# ---------------------------------------------------------------------------------------------
# Small helpers over the results' DataFrames
# ---------------------------------------------------------------------------------------------


def _column(frame: pd.DataFrame, *names: str) -> str | None:
    for name in names:
        if name in frame.columns:
            return name
    return None


def _value(row: Mapping[str, Any] | pd.Series, *names: str) -> Any:
    for name in names:
        if name in row and not style.is_missing(row[name]):
            return row[name]
    return math.nan


def _table2_row(table2: pd.DataFrame, endpoint: str, population: str, subgroup: str) -> Any:
    if table2 is None or table2.empty:
        return None
    sub = table2
    for col, want in (("endpoint", endpoint), ("population", population), ("subgroup", subgroup)):
        if col in sub.columns:
            sub = sub[sub[col].astype(str).str.lower() == want.lower()]
    if sub.empty:
        return None
    return sub.iloc[0]


def _arms_in(frame: pd.DataFrame) -> list[str]:
    """The arms present in a long frame, experimental first, as raw values."""
    if "arm" not in frame.columns:
        return []
    raw = list(dict.fromkeys(frame["arm"].astype(str)))
    order = {"msc": 0, "control": 1, "pooled": 2}
    return sorted(raw, key=lambda a: order[style.arm_key(a)])


def _styled(draw: Callable[..., _T]) -> Callable[..., _T]:
    """Draw under the report's matplotlib style (titles, spines, fonts are read at draw time)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        with plt.rc_context(_rc()):
            return draw(*args, **kwargs)

    return wrapper


def _new_figure(width: float, height: float) -> Figure:
    with plt.rc_context(_rc()):
        fig = plt.figure(figsize=(width, height))
    return fig


# ---------------------------------------------------------------------------------------------
# Figure 1: CONSORT flow diagram
# ---------------------------------------------------------------------------------------------

_LINE = 0.2  # height of one text line in the diagram's units (inches, 9.5 pt text)
_PAD = 0.12
_CHAR_W = 0.075  # average width of one character at 9.5 pt, inches (DejaVu Sans)


def _wrap(lines: Sequence[str], width: float) -> list[tuple[int, str]]:
    """Wrap each line to the box width; keep which input line each piece came from."""
    chars = max(12, int((width - 0.3) / _CHAR_W))
    out: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        line = line.replace("n = ", "n\u00a0=\u00a0")
        indent = "   " if line.startswith("• ") else ""
        for piece in textwrap.wrap(line, chars, subsequent_indent=indent) or [""]:
            out.append((i, piece))
    return out


def _box_height(lines: Sequence[str], width: float) -> float:
    return len(_wrap(lines, width)) * _LINE + 2 * _PAD


def _box(
    ax: Axes,
    x_centre: float,
    y_top: float,
    width: float,
    lines: Sequence[str],
    *,
    height: float | None = None,
    colour: str = "#333333",
    fill: str = "white",
    centred: bool = False,
) -> float:
    """Draw a box whose top edge is at ``y_top`` (first line bold); return its bottom."""
    wrapped = _wrap(lines, width)
    height = max(height or 0.0, _box_height(lines, width))
    y_bottom = y_top - height
    ax.add_patch(
        FancyBboxPatch(
            (x_centre - width / 2, y_bottom),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.06",
            linewidth=1.5,
            edgecolor=colour,
            facecolor=fill,
        )
    )
    for k, (i, piece) in enumerate(wrapped):
        ax.text(
            x_centre if centred else x_centre - width / 2 + 0.14,
            y_top - _PAD - (k + 0.5) * _LINE,
            piece,
            ha="center" if centred else "left",
            va="center",
            fontsize=9.5,
            fontweight="bold" if i == 0 else "normal",
            color="#111111",
        )
    return y_bottom


def _line(ax: Axes, xs: Sequence[float], ys: Sequence[float]) -> None:
    ax.plot(xs, ys, color="#333333", lw=1.3, solid_capstyle="butt")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": "#333333",
            "lw": 1.3,
            "mutation_scale": 14,
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )


def _arm_stage_lines(flow: ArmFlow) -> list[list[str]]:
    """The boxes of one arm's column, top to bottom."""
    key = style.arm_key(flow.arm)
    label = style.ARM_LABELS[key]
    allocated = [
        _("Allocated to %(arm)s (n = %(n)s)") % {"arm": label, "n": _n(flow.allocated)}
        if key != "pooled"
        else _("Allocated, arms pooled (n = %(n)s)") % {"n": _n(flow.allocated)}
    ]
    allocated.append(_("Received ≥ 1 infusion (n = %(n)s)") % {"n": _n(flow.received)})
    if flow.not_received:
        allocated.append(_("Did not receive an infusion (n = %(n)s)") % {"n": flow.not_received})
    stopped = [_("Discontinued before d28 (n = %(n)s)") % {"n": _n(flow.discontinued)}]
    stopped += [f"• {_(reason_label(r))} (n = {n})" for r, n in flow.discontinued_reasons]
    if flow.discontinued_grades:
        grades = ", ".join(f"{g}: {n}" for g, n in flow.discontinued_grades)
        stopped.append(_("Baseline aGVHD grade %(grades)s") % {"grades": grades})
    pp = [_("Per-protocol set (n = %(n)s)") % {"n": _n(flow.per_protocol)}]
    pp.append(_("Excluded, < 8 infusions (n = %(n)s)") % {"n": _n(flow.excluded_from_pp)})
    if flow.pp_discontinued_after_8:
        pp.append(
            _("Incl. stopped before d28 after 8 infusions (n = %(n)s)")
            % {"n": flow.pp_discontinued_after_8}
        )
    analysed = [
        _("Analysed"),
        _("Intention-to-treat (n = %(n)s)") % {"n": _n(flow.analysed_itt or flow.allocated)},
        _("Per-protocol (n = %(n)s)") % {"n": _n(flow.per_protocol)},
        _("Safety (n = %(n)s)") % {"n": _n(flow.safety)},
    ]
    return [allocated, stopped, pp, analysed]


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


@_styled
def consort_figure(results: Any) -> ReportFigure:
    """Figure 1: the CONSORT flow diagram, from ``results.consort``."""
    view = consort_view(results.consort, blinded=bool(results.blinded))
    n_cols = len(view.arms)
    col_w, gap, margin = 4.1, 0.7, 0.75  # margin on the left holds the stage names
    total_w = margin + n_cols * col_w + (n_cols - 1) * gap
    centres = [margin + col_w / 2 + i * (col_w + gap) for i in range(n_cols)]
    trunk = sum(centres) / n_cols  # the vertical line of the enrolment part
    top_w, excl_w = 3.5, 4.2
    v_gap = 0.45
    fig = _new_figure(total_w, 10)  # resized below, once the boxes are measured
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()

    # Enrolment: screened -> excluded (at the side) -> randomized
    screened_bottom = _box(
        ax,
        trunk,
        0.0,
        top_w,
        [_("Assessed for eligibility (n = %(n)s)") % {"n": _n(view.screened)}],
        centred=True,
    )
    excl_lines = [_("Excluded (n = %(n)s)") % {"n": _n(view.excluded)}]
    excl_lines += [f"• {_(r)} (n = {n})" for r, n in view.excluded_reasons]
    excl_lines += [_(note) for note in view.notes]
    excl_x = max(trunk + 0.4 + excl_w / 2, total_w - excl_w / 2)
    excl_top = screened_bottom - v_gap
    excl_bottom = _box(ax, excl_x, excl_top, excl_w, excl_lines, fill="#F2F2F2")
    branch_y = excl_top - (excl_top - excl_bottom) / 2
    _line(ax, [trunk, trunk], [screened_bottom, branch_y])
    _arrow(ax, (trunk, branch_y), (excl_x - excl_w / 2, branch_y))
    rand_top = excl_bottom - v_gap
    _arrow(ax, (trunk, branch_y), (trunk, rand_top))
    rand_bottom = _box(
        ax,
        trunk,
        rand_top,
        top_w,
        [_("Randomized (n = %(n)s)") % {"n": _n(view.randomized)}],
        centred=True,
    )

    # One column per arm; the boxes of one stage share their top and height
    columns = [_arm_stage_lines(flow) for flow in view.arms]
    stage_names = (_("Allocation"), _("Follow-up"), _("Per-protocol"), _("Analysis"))
    split_y = rand_bottom - v_gap * 0.6
    if n_cols > 1:
        _line(ax, [trunk, trunk], [rand_bottom, split_y])
        _line(ax, [centres[0], centres[-1]], [split_y, split_y])
    prev_bottom = split_y if n_cols > 1 else rand_bottom
    top = split_y - v_gap * 0.8 if n_cols > 1 else rand_bottom - v_gap
    for si, name in enumerate(stage_names):
        height = max(0.95, *(_box_height(col[si], col_w) for col in columns))
        for flow, cx, col in zip(view.arms, centres, columns, strict=True):
            colour = style.ARM_COLOURS[style.arm_key(flow.arm)]
            _arrow(ax, (cx, prev_bottom), (cx, top))
            _box(ax, cx, top, col_w, col[si], height=height, colour=colour)
        ax.text(
            margin - 0.25,
            top - height / 2,
            name,
            rotation=90,
            ha="center",
            va="center",
            fontsize=9,
            color="#555555",
            fontstyle="italic",
        )
        prev_bottom = top - height
        top = prev_bottom - v_gap
    lowest = prev_bottom
    right = max(total_w, excl_x + excl_w / 2)
    ax.set_xlim(-0.05, right + 0.05)
    ax.set_ylim(lowest - 0.1, 0.1)
    fig.set_size_inches(right + 0.1, -lowest + 0.2)
    title = _("CONSORT flow diagram")
    caption = _(
        "Flow of patients through the trial, counted from the data: screened, excluded (with "
        "reasons), randomized, allocated, infused, discontinued before d28 (with reasons, aGVHD "
        "grade and causes of death), per-protocol set and analysed. The per-protocol set "
        "follows the literal definition, ≥ 8 infusions received (see Notes)."
    )
    if view.blinded:
        title += _(" (blinded: arms pooled)")
        caption = _("Blinded data review: the flow of all patients, arms pooled. ") + caption
    return ReportFigure("figure1_consort", "1", title, caption, fig)


# ---------------------------------------------------------------------------------------------
# Figure 2: response bars
# ---------------------------------------------------------------------------------------------

_RESPONSE_PANELS: tuple[tuple[str, str, str], ...] = (
    ("A", "ORR_D28", "ITT"),
    ("B", "ORR_D56", "ITT"),
    ("C", "DCR", "ITT"),
    ("D", "ORR_D28", "PP"),
    ("E", "ORR_D56", "PP"),
    ("F", "DCR", "PP"),
)


def _counts(row: Any, arm: str) -> tuple[int, int] | None:
    x = _value(row, f"{arm}_x", f"{arm}_events", f"{arm}_responders")
    n = _value(row, f"{arm}_n", f"{arm}_total")
    if style.is_missing(x) or style.is_missing(n):
        return None
    return int(x), int(n)


@_styled
def response_figure(results: Any) -> ReportFigure:
    """Figure 2: ORR d28, ORR d56 and DCR by arm, ITT (A-C) and per-protocol (D-F)."""
    fig = _new_figure(11, 7.2)
    with plt.rc_context(_rc()):
        axes = fig.subplots(2, 3, sharey=True)
    for (letter, endpoint, population), ax in zip(_RESPONSE_PANELS, axes.flat, strict=True):
        row = _table2_row(results.table2, endpoint, population, "all")
        label = f"{style.endpoint_label(endpoint)}, {population}"
        ax.set_title(f"{letter}\u2002{label}", loc="left")
        ax.set_ylim(0, 128)
        ax.set_yticks([0, 20, 40, 60, 80, 100])
        ax.set_xlim(-0.7, 1.7)
        if row is None:
            ax.text(0.5, 50, _("not available"), ha="center", color="#777777")
            ax.set_xticks([])
            continue
        heights = []
        for i, arm in enumerate(style.ARMS):
            counts = _counts(row, arm)
            if counts is None:
                continue
            x, n = counts
            pct = 100.0 * x / n if n else 0.0
            heights.append(pct)
            ax.bar(i, pct, width=0.62, color=style.ARM_COLOURS[arm], edgecolor="none")
            ax.text(i, pct + 2, f"{pct:.1f}%\n{x}/{n}", ha="center", va="bottom", fontsize=9.5)
        ax.set_xticks([0, 1], [style.ARM_LABELS[a] for a in style.ARMS])
        # the comparison, as a bracket over both bars
        top = max(heights, default=0) + 20
        ax.plot([0, 0, 1, 1], [top - 2, top, top, top - 2], color="#333333", lw=1)
        p = _value(row, "p_value", "p")
        test = _value(row, "test")
        p_text = style.format_p(p)
        if not style.is_missing(test):
            p_text += f" ({style.test_label(test)})"
        ax.text(0.5, top + 1.5, p_text, ha="center", va="bottom", fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel(_("Patients responding (%)"))
    fig.tight_layout()
    caption = _(
        "Efficacy by arm. A ORR at d28, B ORR at d56 and C DCR in the intention-to-treat set; "
        "D-F the same in the per-protocol set. Bars show the percentage of patients, labels the "
        "count (x/n); p-values by the analysis plan's rule (Pearson chi-square, continuity-"
        "corrected chi-square or Fisher's exact test, named in brackets). ORR overall response "
        "rate, DCR durable complete response, ITT intention-to-treat, PP per-protocol."
    )
    return ReportFigure("figure2_response", "2", _("Response by arm"), caption, fig)


# ---------------------------------------------------------------------------------------------
# Figure 3 / S1: cumulative incidence and Kaplan-Meier curves
# ---------------------------------------------------------------------------------------------

#: Panel order: the paper's Fig. 3 (cGVHD, moderate-severe cGVHD, FFS, OS) then NRM, relapse.
_CURVE_ORDER: tuple[str, ...] = (
    "cgvhd",
    "cgvhd_mod_sev",
    "cgvhd_moderate_severe",
    "mod_sev_cgvhd",
    "ffs",
    "os",
    "nrm",
    "relapse",
)


def _curve_sort_key(endpoint: str) -> tuple[int, str]:
    key = endpoint.lower()
    return (_CURVE_ORDER.index(key) if key in _CURVE_ORDER else len(_CURVE_ORDER), key)


def _is_survival(endpoint: str, frame: pd.DataFrame) -> bool:
    if endpoint.upper() in style.SURVIVAL_ENDPOINTS:
        return True
    first = frame.sort_values("time_months")["estimate"].head(1)
    return bool(len(first) and style.as_fraction(first.iloc[0]) > 0.5)


def _summary_row(results: Any, endpoint: str, population: str) -> Any:
    summary = getattr(results, "survival_summary", None)
    if summary is None or summary.empty:
        return None
    sub = summary[
        (summary["endpoint"].astype(str).str.lower() == endpoint.lower())
        & (summary["population"].astype(str).str.lower() == population.lower())
    ]
    return None if sub.empty else sub.iloc[0]


def _annotation(row: Any, arms: Sequence[str], survival: bool) -> str:
    if row is None:
        return ""
    lines = [_("2-year estimate (95% CI)")]
    for arm in arms:
        key = style.arm_key(arm)
        prefix = key if key != "pooled" else "pooled"
        est = _value(row, f"{prefix}_estimate")
        if style.is_missing(est):
            lines.append(f"{style.ARM_LABELS[key]}: n/a")
            continue
        low = _value(row, f"{prefix}_lower")
        high = _value(row, f"{prefix}_upper")
        ci = ""
        if not (style.is_missing(low) or style.is_missing(high)):
            ci = f" ({100 * style.as_fraction(low):.1f}-{100 * style.as_fraction(high):.1f})"
        lines.append(f"{style.ARM_LABELS[key]}: {style.format_pct(est)}{ci}")
    hr = _value(row, "hr")
    if not style.is_missing(hr):
        lines.append(
            "HR " + style.format_ratio(hr, _value(row, "hr_lower"), _value(row, "hr_upper"))
        )
    p = _value(row, "p_value")
    if not style.is_missing(p):
        test = _value(row, "test")
        lines.append(
            style.format_p(p) + ("" if style.is_missing(test) else f" ({style.test_label(test)})")
        )
    return "\n".join(lines) if len(lines) > 1 else ""


def _best_corner(
    ax: Axes, curves: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float, str, str]:
    """The axes corner whose box (45 % x 40 % of the axes) holds the fewest curve points."""
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    corners = (
        (0.98, 0.97, "right", "top"),
        (0.02, 0.97, "left", "top"),
        (0.98, 0.03, "right", "bottom"),
        (0.02, 0.03, "left", "bottom"),
    )
    best, best_hits = corners[0], math.inf
    for cx, cy, ha, va in corners:
        x0 = cx - 0.5 if ha == "right" else cx
        y0 = cy - 0.42 if va == "top" else cy
        hits = 0
        for t, y in curves:
            grid = np.linspace(xmin, xmax, 200)
            idx = np.searchsorted(t, grid, side="right") - 1
            ok = idx >= 0
            yy = y[np.clip(idx, 0, None)]
            fx = (grid - xmin) / (xmax - xmin)
            fy = (yy - ymin) / (ymax - ymin)
            hits += int(np.sum(ok & (fx >= x0) & (fx <= x0 + 0.5) & (fy >= y0) & (fy <= y0 + 0.42)))
        if hits < best_hits:
            best, best_hits = (cx, cy, ha, va), hits
    return best


def _risk_table(
    ax: Axes,
    results: Any,
    endpoint: str,
    population: str,
    arms: Sequence[str],
    xlim: tuple[float, float],
) -> None:
    """Numbers at risk under a panel: one row per arm, a column per tabulated time."""
    ax.set_xlim(*xlim)
    ax.set_ylim(-0.6, len(arms) + 0.2)
    ax.set_axis_off()
    nar = getattr(results, "numbers_at_risk", None)
    if nar is None or nar.empty:
        return
    sub = nar[
        (nar["endpoint"].astype(str).str.lower() == endpoint.lower())
        & (nar["population"].astype(str).str.lower() == population.lower())
    ]
    left = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        0.0,
        len(arms),
        _("Number at risk"),
        fontsize=9,
        fontweight="bold",
        ha="left",
        va="center",
        transform=left,
    )
    for i, arm in enumerate(arms):
        y = len(arms) - 1 - i
        key = style.arm_key(arm)
        colour = style.ARM_COLOURS[key]
        ax.text(
            -0.035,
            y,
            style.ARM_LABELS[key],
            ha="right",
            va="center",
            fontsize=9,
            color=colour,
            fontweight="bold",
            transform=left,
        )
        rows = sub[sub["arm"].astype(str) == str(arm)]
        for _i, r in rows.iterrows():
            t = float(r["time_months"])
            if xlim[0] - 1e-9 <= t <= xlim[1] + 1e-9:
                ax.text(
                    t,
                    y,
                    str(int(r["n_at_risk"])),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color=colour,
                )


def _curve_panel(
    fig: Figure,
    outer: Any,
    results: Any,
    endpoint: str,
    population: str,
    letter: str,
    frame: pd.DataFrame,
    xmax: float,
) -> None:
    inner = outer.subgridspec(2, 1, height_ratios=[4.0, 1.0], hspace=0.42)
    ax = fig.add_subplot(inner[0])
    survival = _is_survival(endpoint, frame)
    arms = _arms_in(frame)
    plotted: list[tuple[np.ndarray, np.ndarray]] = []
    for arm in arms:
        key = style.arm_key(arm)
        colour = style.ARM_COLOURS[key]
        sub = frame[frame["arm"].astype(str) == str(arm)].sort_values("time_months")
        t = sub["time_months"].to_numpy(dtype=float)
        est = np.array([style.as_fraction(v) for v in sub["estimate"]]) * 100
        low = np.array([style.as_fraction(v) for v in sub["lower"]]) * 100
        high = np.array([style.as_fraction(v) for v in sub["upper"]]) * 100
        if len(t) == 0 or t[0] > 0:
            t = np.r_[0.0, t]
            start = 100.0 if survival else 0.0
            est, low, high = np.r_[start, est], np.r_[start, low], np.r_[start, high]
        # carry the curve to the end of follow-up
        ax.fill_between(t, low, high, step="post", color=colour, alpha=0.15, linewidth=0)
        ax.step(t, est, where="post", color=colour, lw=2, label=style.ARM_LABELS[key])
        plotted.append((t, est))
    ax.set_xlim(0, xmax)
    ax.set_ylim(-2, 101)  # a curve at 0 % or 100 % stays visible off the axis line
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ticks = np.arange(0, xmax + 0.01, 6)
    ax.set_xticks(ticks)
    ax.set_xlabel(_("Months since randomization"))
    ax.set_ylabel(_("Survival probability (%)") if survival else _("Cumulative incidence (%)"))
    ax.axvline(24, color="#999999", lw=0.8, ls=":")
    ax.set_title(f"{letter}\u2002{style.endpoint_label(endpoint)}", loc="left")
    note = _annotation(_summary_row(results, endpoint, population), arms, survival)
    if note:
        cx, cy, ha, va = _best_corner(ax, plotted)
        ax.text(
            cx,
            cy,
            note,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=9,
            linespacing=1.35,
            bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#BBBBBB", "alpha": 0.92},
        )
    risk = fig.add_subplot(inner[1])
    _risk_table(risk, results, endpoint, population, arms, (0.0, xmax))


@_styled
def outcome_curves_figure(results: Any, population: str) -> ReportFigure | None:
    """Figure 3 (ITT) or S1 (per-protocol): CI and KM curves with numbers at risk."""
    curves = getattr(results, "survival_curves", None)
    if curves is None or curves.empty:
        return None
    curves = curves[curves["population"].astype(str).str.lower() == population.lower()]
    if curves.empty:
        return None
    endpoints = sorted(dict.fromkeys(curves["endpoint"].astype(str)), key=_curve_sort_key)
    n = len(endpoints)
    n_cols = 2
    n_rows = math.ceil(n / n_cols)
    xmax = float(math.ceil(max(curves["time_months"].max(), 24.0) / 6.0) * 6.0)
    height = 4.5 * n_rows + 0.5
    fig = _new_figure(5.6 * n_cols, height)
    with plt.rc_context(_rc()):
        grid = fig.add_gridspec(
            n_rows,
            n_cols,
            hspace=0.28,
            wspace=0.34,
            left=0.11,
            right=0.98,
            top=1 - 0.55 / height,
            bottom=0.1 / height,
        )
        arms = _arms_in(curves)
        handles = [
            Line2D(
                [],
                [],
                color=style.ARM_COLOURS[style.arm_key(a)],
                lw=2.5,
                label=style.ARM_LABELS[style.arm_key(a)],
            )
            for a in arms
        ]
        fig.legend(
            handles=handles,
            loc="upper center",
            ncols=len(handles),
            fontsize=10.5,
            bbox_to_anchor=(0.5, 1.0),
            frameon=False,
        )
        for i, endpoint in enumerate(endpoints):
            frame = curves[curves["endpoint"].astype(str) == endpoint]
            _curve_panel(
                fig,
                grid[i // n_cols, i % n_cols],
                results,
                endpoint,
                population,
                "ABCDEFGHIJ"[i],
                frame,
                xmax,
            )
    is_itt = population.upper() == "ITT"
    number = "3" if is_itt else "S1"
    set_name = style.POPULATION_LABELS.get(population, population)
    panels = "; ".join(
        f"{'ABCDEFGHIJ'[i]} {style.endpoint_label(e)}" for i, e in enumerate(endpoints)
    )
    caption = _(
        "Outcomes in the %(set)s: %(panels)s. Cumulative incidence (Aalen-Johansen; Gray's "
        "test; Fine-Gray HR) for chronic GVHD (competing: relapse, death without cGVHD), "
        "moderate-to-severe chronic GVHD, NRM (competing: relapse) and relapse (competing: "
        "NRM); Kaplan-Meier (log-rank; Cox HR) for OS and FFS. Shaded bands are 95%% CIs; the "
        "dotted line marks 2 years; numbers at risk beneath each panel."
    ) % {"set": set_name, "panels": panels}
    if results.blinded:
        caption = _("Blinded data review, all patients pooled. ") + caption
    title = _("Outcomes, %(set)s") % {"set": set_name}
    return ReportFigure(
        f"figure{number}_outcomes_{population.lower()}", number, title, caption, fig
    )


# ---------------------------------------------------------------------------------------------
# Figure 4: forest plot of subgroup odds ratios
# ---------------------------------------------------------------------------------------------


def _odds_ratio(row: Any) -> tuple[float, float, float]:
    est = _value(row, "odds_ratio", "or")
    low = _value(row, "ci_low", "or_lower", "or_ci_low")
    high = _value(row, "ci_high", "or_upper", "or_ci_high")
    if "odds_ratio" not in row and "or" not in row:
        msc, ctl = _counts(row, "msc"), _counts(row, "control")
        if msc is None or ctl is None:
            return math.nan, math.nan, math.nan
        from gvhdtrial.stats import compare_proportions

        c = compare_proportions(msc[0], msc[1], ctl[0], ctl[1])
        est, low, high = c.odds_ratio, c.ci_low, c.ci_high
    return float(est), float(low), float(high)


@_styled
def forest_figure(results: Any, endpoint: str = "ORR_D28") -> ReportFigure | None:
    """Figure 4: odds ratios (MSC vs control) of ORR at d28 by subgroup, ITT and PP, log scale."""
    table2 = results.table2
    if table2 is None or table2.empty or "subgroup" not in table2.columns:
        return None
    rows: list[tuple[str, Any]] = []  # (kind, payload): header or a row
    for population in ("ITT", "PP"):
        sub = table2[
            (table2["endpoint"].astype(str).str.upper() == endpoint)
            & (table2["population"].astype(str).str.upper() == population)
        ]
        if sub.empty:
            continue
        rows.append(("header", style.POPULATION_LABELS[population].capitalize()))
        order = list(style.SUBGROUP_LABELS)
        keyed = sorted(
            sub.iterrows(),
            key=lambda ir: (
                order.index(ir[1]["subgroup"]) if ir[1]["subgroup"] in order else len(order)
            ),
        )
        for _key, r in keyed:
            rows.append(("row", r))
    if not rows:
        return None
    n = len(rows)
    fig = _new_figure(11, 0.34 * n + 1.5)
    with plt.rc_context(_rc()):
        grid = fig.add_gridspec(
            1,
            3,
            width_ratios=[3.4, 3.2, 1.6],
            wspace=0.02,
            left=0.01,
            right=0.99,
            top=1 - 0.55 / (0.34 * n + 1.5),
            bottom=0.75 / (0.34 * n + 1.5),
        )
        left, mid, right = (fig.add_subplot(grid[0, i]) for i in range(3))
    lo_lim, hi_lim = 0.05, 50.0
    for a in (left, mid, right):
        a.set_ylim(n - 0.5, -1.2)
    for a in (left, right):
        a.set_xlim(0, 1)
        a.set_axis_off()
    mid.set_xscale("log")
    mid.set_xlim(lo_lim, hi_lim)
    mid.set_xticks(
        [0.1, 0.25, 0.5, 1, 2, 4, 10, 25], ["0.1", "0.25", "0.5", "1", "2", "4", "10", "25"]
    )
    mid.minorticks_off()
    mid.spines["left"].set_visible(False)
    mid.set_yticks([])
    mid.axvline(1.0, color="#555555", lw=1)
    mid.set_xlabel(_("Odds ratio (log scale)"))
    head_y = -0.9
    left.text(0.0, head_y, _("Subgroup"), fontweight="bold", va="center")
    left.text(
        0.62,
        head_y,
        "MSC",
        fontweight="bold",
        va="center",
        ha="center",
        color=style.ARM_COLOURS["msc"],
    )
    left.text(
        0.86,
        head_y,
        style.ARM_LABELS["control"],
        fontweight="bold",
        va="center",
        ha="center",
        color=style.ARM_COLOURS["control"],
    )
    right.text(0.0, head_y, _("OR (95% CI)"), fontweight="bold", va="center")
    right.text(0.80, head_y, "p", fontweight="bold", va="center")
    mid.text(
        0.9, head_y, _("← favours control"), ha="right", va="center", fontsize=8.5, color="#444444"
    )
    mid.text(1.1, head_y, _("favours MSC →"), ha="left", va="center", fontsize=8.5, color="#444444")
    for y, (kind, payload) in enumerate(rows):
        if kind == "header":
            left.text(0.0, y, payload, fontweight="bold", va="center", fontsize=10)
            continue
        r = payload
        overall = str(r["subgroup"]) == "all"
        left.text(
            0.04,
            y,
            style.subgroup_label(r["subgroup"]),
            va="center",
            fontweight="bold" if overall else "normal",
        )
        for xpos, arm in ((0.62, "msc"), (0.86, "control")):
            counts = _counts(r, arm)
            text = "" if counts is None else f"{counts[0]}/{counts[1]}"
            left.text(xpos, y, text, va="center", ha="center")
        est, low, high = _odds_ratio(r)
        finite = all(math.isfinite(v) and v > 0 for v in (est, low, high)) and (
            style.format_ratio(est, low, high) != style.not_estimable()
        )
        p_text = style.format_p(_value(r, "p_value")).replace("p = ", "").replace("p ", "")
        right.text(0.80, y, p_text, va="center")
        if not finite:
            right.text(0.0, y, _("not estimable"), va="center", color="#777777")
            continue
        right.text(0.0, y, style.format_ratio(est, low, high), va="center")
        lo_c, hi_c = max(low, lo_lim), min(high, hi_lim)
        mid.plot([lo_c, hi_c], [y, y], color="#222222", lw=1.4)
        for end, clipped, marker in ((low, lo_c, "<"), (high, hi_c, ">")):
            if end != clipped:
                mid.plot([clipped], [y], marker=marker, color="#222222", ms=5)
        mid.plot(
            [min(max(est, lo_lim), hi_lim)],
            [y],
            marker="D" if overall else "s",
            color=style.ARM_COLOURS["msc"] if overall else "#222222",
            ms=8 if overall else 6,
        )
    caption = _(
        "%(endpoint)s: odds ratio of response, MSC versus control, overall "
        "and by subgroup (aGVHD grade, organ involved, number of organs, steroid response), in "
        "the intention-to-treat and per-protocol sets (Table 2, Table S2). Horizontal lines are "
        "Woolf 95%% CIs (arrows: beyond the axis); OR > 1 favours MSC. Counts are responders/"
        "patients. Subgroup analyses are exploratory; the paper reports them as a table only."
    ) % {"endpoint": style.endpoint_label(endpoint)}
    return ReportFigure(
        "figure4_forest",
        "4",
        _("%(endpoint)s by subgroup (forest plot)") % {"endpoint": style.endpoint_label(endpoint)},
        caption,
        fig,
    )


# ---------------------------------------------------------------------------------------------
# All figures
# ---------------------------------------------------------------------------------------------


def make_figures(
    results: Any, on_figure: Callable[[str], None] | None = None
) -> list[ReportFigure]:
    """Every figure of the report, in order. Blinded results give only pooled figures."""
    makers: list[tuple[str, Callable[[], ReportFigure | None]]] = [
        ("Figure 1 (CONSORT)", lambda: consort_figure(results)),
    ]
    if not results.blinded:
        makers.append(("Figure 2 (response)", lambda: response_figure(results)))
    makers.append(("Figure 3 (ITT outcomes)", lambda: outcome_curves_figure(results, "ITT")))
    makers.append(("Figure S1 (PP outcomes)", lambda: outcome_curves_figure(results, "PP")))
    if not results.blinded:
        makers.append(("Figure 4 (forest plot)", lambda: forest_figure(results)))
    out: list[ReportFigure] = []
    for label, make in makers:
        fig = make()
        if fig is not None:
            out.append(fig)
        if on_figure is not None:
            on_figure(label)
    return out


def save_figure(fig: ReportFigure, folder: Path) -> dict[str, Path]:
    """Write ``fig`` as PNG (150 dpi) and SVG into ``folder``; return the paths by format."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for fmt in ("png", "svg"):
        path = folder / f"{fig.name}.{fmt}"
        with plt.rc_context(_rc()):
            fig.figure.savefig(
                path,
                format=fmt,
                bbox_inches="tight",
                facecolor="white",
                metadata={"Date": None} if fmt == "svg" else None,
            )
        paths[fmt] = path
    return paths


def figure_svg(fig: ReportFigure) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog or metadata, ids prefixed with
    the figure name so that several figures can share one HTML page."""
    buffer = io.StringIO()
    with plt.rc_context(_rc()):
        fig.figure.savefig(
            buffer, format="svg", bbox_inches="tight", facecolor="white", metadata={"Date": None}
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    prefix = fig.name + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    label = f"{fig.label}. {fig.title}".replace('"', "'")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def close_figures(figures: Iterable[ReportFigure]) -> None:
    for fig in figures:
        plt.close(fig.figure)
