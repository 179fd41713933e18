"""A design report from a TOML scenario: boundaries, sample sizes, operating characteristics.

The scenario file (see docs/design.md and docs/design_phase3_gut.toml)::

    title = "..."
    [design]            # group_sequential arguments
    k_max = 3
    type_of_design = "asOF"
    [[effects]]         # one or more assumed effects: pi1 (experimental) vs pi2 (control)
    name = "phase 2"
    pi1 = 0.667
    pi2 = 0.333
    [operating]         # optional: power curve and simulation at the planned size
    pi1 = [0.35, 0.45, 0.55, 0.65]
    iterations = 100000
    seed = 20240101
    workers = 0         # 0: in this process; n: LocalCluster; or scheduler = "tcp://..."

Every problem is reported once with the file, the table, the key and what was expected.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.design.exact import sap_power
from gvhdtrial.design.group_sequential import TrialDesign, group_sequential
from gvhdtrial.design.rates import RatesPlan, sample_size_rates
from gvhdtrial.design.simulation import exact_rates
from gvhdtrial.design.sweep import grid, plot_sweep, sweep_rates
from gvhdtrial.i18n import N_, _, check_language, language

DESIGN_KEYS = {
    "k_max": int,
    "alpha": float,
    "beta": float,
    "sided": int,
    "information_rates": list,
    "type_of_design": str,
    "delta_wt": float,
    "delta_pt1": float,
    "delta_pt0": float,
    "gamma_a": float,
    "user_alpha_spending": list,
    "type_beta_spending": str,
    "gamma_b": float,
    "binding_futility": bool,
    "futility_bounds": list,
    "two_sided_power": bool,
}
EFFECT_KEYS = {"name": str, "pi1": float, "pi2": float, "allocation_ratio_planned": float}
OPERATING_KEYS = {
    "pi1": list,
    "iterations": int,
    "seed": int,
    "workers": int,
    "scheduler": str,
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the place."""


@dataclass(frozen=True)
class Scenario:
    title: str
    design_args: dict[str, Any]
    effects: list[dict[str, Any]]
    operating: dict[str, Any]
    source: str


def _check_table(source: str, where: str, table: Any, keys: dict[str, type]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ScenarioError(f"{source}: [{where}] must be a table, got {table!r}")
    out = {}
    for key, value in table.items():
        if key not in keys:
            raise ScenarioError(
                f"{source}: [{where}] unknown key {key!r}; expected one of {sorted(keys)}"
            )
        want = keys[key]
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ScenarioError(f"{source}: [{where}] {key} = {value!r}: expected {want.__name__}")
        out[key] = value
    return out


def load_scenario(path: Path) -> Scenario:
    source = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{source}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(raw) - {"title", "design", "effects", "operating"}
    if unknown:
        raise ScenarioError(
            f"{source}: unknown top-level key(s) {sorted(unknown)}; expected title, design, "
            "effects, operating"
        )
    design_args = _check_table(source, "design", raw.get("design", {}), DESIGN_KEYS)
    effects_raw = raw.get("effects")
    if not isinstance(effects_raw, list) or not effects_raw:
        raise ScenarioError(f"{source}: at least one [[effects]] table with pi1 and pi2 is needed")
    effects = []
    for i, eff in enumerate(effects_raw, start=1):
        e = _check_table(source, f"effects #{i}", eff, EFFECT_KEYS)
        for k in ("pi1", "pi2"):
            if k not in e:
                raise ScenarioError(f"{source}: [effects #{i}] {k} is missing")
        e.setdefault("name", f"effect {i}")
        effects.append(e)
    operating = _check_table(source, "operating", raw.get("operating", {}), OPERATING_KEYS)
    title = raw.get("title", Path(path).stem)
    if not isinstance(title, str):
        raise ScenarioError(f"{source}: title = {title!r}: expected a string")
    scenario = Scenario(title, design_args, effects, operating, source)
    try:
        design_of(scenario)
        for e in effects:
            sample_size_rates(
                design_of(scenario),
                pi1=e["pi1"],
                pi2=e["pi2"],
                allocation_ratio_planned=e.get("allocation_ratio_planned", 1.0),
            )
    except ValueError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return scenario


def design_of(scenario: Scenario) -> TrialDesign:
    try:
        return group_sequential(**scenario.design_args)
    except ValueError as exc:
        raise ScenarioError(f"{scenario.source}: [design] {exc}") from None


# --- figures --------------------------------------------------------------------------


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def boundaries_figure(design: TrialDesign) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gvhdtrial.report.style import font_families

    plt.rcParams["font.family"] = font_families()  # a Chinese font in a Chinese report
    fig, ax = plt.subplots(figsize=(6, 4))
    t = design.information_rates
    crit = np.where(np.isfinite(design.critical_values), design.critical_values, np.nan)
    ax.plot(t, crit, "o-", color="#b2182b", label=_("efficacy (reject H0)"))
    if design.sided == 2:
        ax.plot(t, -crit, "o-", color="#b2182b")
    fut = design.futility_bounds
    if np.isfinite(fut).any():
        ax.plot(
            t[:-1],
            np.where(np.isfinite(fut), fut, np.nan),
            "s--",
            color="#2166ac",
            label=_("futility"),
        )
        if design.sided == 2:  # the inner wedge |Z| < f
            ax.plot(t[:-1], np.where(np.isfinite(fut), -fut, np.nan), "s--", color="#2166ac")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel(_("information rate"))
    ax.set_ylabel(_("z-statistic boundary"))
    ax.set_title(f"{design.type_of_design}, K = {design.k_max}")
    ax.legend()
    fig.tight_layout()
    return _png(fig)


def power_figure(design: TrialDesign, plans: list[tuple[str, RatesPlan]], pi1_grid) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gvhdtrial.report.style import font_families

    plt.rcParams["font.family"] = font_families()  # a Chinese font in a Chinese report
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, plan in plans:
        n = [math.ceil(x) for x in plan.number_of_subjects]
        powers = [
            exact_rates(design, pi1=p, pi2=plan.pi2, planned_subjects=_increasing(n)).overall_reject
            for p in pi1_grid
        ]
        ax.plot(
            pi1_grid,
            powers,
            "o-",
            label=_("{name}: N = {n}, control {control}").format(
                name=name, n=n[-1], control=f"{plan.pi2:.0%}"
            ),
        )
    ax.axhline(1 - design.beta, color="grey", lw=0.5, ls="--")
    ax.set_xlabel(_("response rate, experimental arm"))
    ax.set_ylabel(_("probability of rejecting H0 (exact)"))
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _increasing(n: list[int]) -> list[int]:
    out = []
    for x in n:
        out.append(max(x, out[-1] + 2) if out else max(x, 2))
    return out


# --- the HTML report -------------------------------------------------------------------------


#: Column headings of the tables (the CSV files keep them in English; the HTML shows them in
#: the report's language).
HEADINGS = (
    N_("look"), N_("information rate"), N_("critical value (z)"), N_("futility bound (z)"),
    N_("cumulative alpha spent"), N_("cumulative beta spent"), N_("one-sided stage level"),
    N_("effect"), N_("ORR experimental"), N_("ORR control"), N_("N fixed design"),
    N_("N maximum"), N_("N per look (cumulative)"), N_("expected N under H0"),
    N_("expected N under H1"), N_("power (normal approx.)"),
    N_("SAP-rule power, fixed N (exact)"), N_("N"), N_("P(reject H0)"), N_("expected N"),
)  # fmt: skip


def _heading(column: str) -> str:
    if m := re.fullmatch(r"stop at look (\d+)", column):
        return _("stop at look {k}").format(k=m.group(1))
    return _(column) if column in HEADINGS else column


def _table(df: pd.DataFrame) -> str:
    shown = df.rename(columns={c: _heading(str(c)) for c in df.columns})
    return shown.to_html(index=False, border=0, classes="t", float_format=lambda x: f"{x:.4g}")


def build_report(scenario: Scenario, out: Path, progress: bool = True, lang: str = "en") -> Path:
    """Write ``out/design_report.html`` (figures embedded), the figures as PNG and the
    tables as CSV; the page and the figures in ``lang`` (``en`` or ``zh``; the CSV stays
    English)."""
    check_language(lang)
    with language(lang):
        return _build_report(scenario, out, progress, lang)


def _build_report(scenario: Scenario, out: Path, progress: bool, lang: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    design = design_of(scenario)
    bounds = pd.DataFrame(
        {
            "look": np.arange(1, design.k_max + 1),
            "information rate": design.information_rates,
            "critical value (z)": design.critical_values,
            "futility bound (z)": np.append(design.futility_bounds, np.nan),
            "cumulative alpha spent": design.alpha_spent,
            "cumulative beta spent": design.beta_spent,
            "one-sided stage level": design.stage_levels,
        }
    )
    plans = []
    rows = []
    for e in scenario.effects:
        plan = sample_size_rates(
            design,
            pi1=e["pi1"],
            pi2=e["pi2"],
            allocation_ratio_planned=e.get("allocation_ratio_planned", 1.0),
        )
        plans.append((e["name"], plan))
        n_looks = [math.ceil(x) for x in plan.number_of_subjects]
        half = max(1, n_looks[-1] // 2)
        rows.append(
            {
                "effect": e["name"],
                "ORR experimental": e["pi1"],
                "ORR control": e["pi2"],
                "N fixed design": math.ceil(plan.n_fixed),
                "N maximum": math.ceil(plan.max_number_of_subjects),
                "N per look (cumulative)": ", ".join(str(x) for x in n_looks),
                "expected N under H0": plan.expected_number_of_subjects_h0,
                "expected N under H1": plan.expected_number_of_subjects_h1,
                "power (normal approx.)": plan.overall_reject,
                "SAP-rule power, fixed N (exact)": sap_power(
                    half,
                    n_looks[-1] - half,
                    e["pi1"],
                    e["pi2"],
                    alpha=2 * design.alpha if design.sided == 1 else design.alpha,
                ),
            }
        )
    sizes = pd.DataFrame(rows)
    op = scenario.operating
    pi1_grid = op.get("pi1") or sorted(
        {
            round(x, 3)
            for x in np.linspace(plans[0][1].pi2, max(e["pi1"] for e in scenario.effects), 6)
        }
    )
    oc_rows = []
    for name, plan in plans:
        n = _increasing([math.ceil(x) for x in plan.number_of_subjects])
        for p in pi1_grid:
            ex = exact_rates(design, pi1=p, pi2=plan.pi2, planned_subjects=n)
            oc_rows.append(
                {
                    "effect": name,
                    "N": n[-1],
                    "ORR experimental": p,
                    "ORR control": plan.pi2,
                    "P(reject H0)": ex.overall_reject,
                    **{
                        f"stop at look {k + 1}": ex.reject_per_stage[k]
                        + (ex.futility_per_stage[k] if k < design.k_max - 1 else 0)
                        for k in range(design.k_max - 1)
                    },
                    "expected N": ex.expected_number_of_subjects,
                }
            )
    oc = pd.DataFrame(oc_rows)
    sim_html = ""
    if "iterations" in op:
        name, plan = plans[0]
        n = _increasing([math.ceil(x) for x in plan.number_of_subjects])
        sim = sweep_rates(
            grid(design, pi1_grid, [plan.pi2], n),
            iterations=op["iterations"],
            seed=op.get("seed", 20240101),
            n_workers=op.get("workers", 0),
            scheduler_address=op.get("scheduler"),
            progress=progress,
        )
        sim.to_csv(out / "simulation.csv", index=False)
        plot_sweep(sim, out / "simulation.png")
        sim_png = base64.b64encode((out / "simulation.png").read_bytes()).decode("ascii")
        per = sim[sim["look"] == 1][["pi1", "pi2", "overall_reject", "expected_number_of_subjects"]]
        heading = _("Simulation ({n} trials per scenario, seed {seed}), effect '{name}'").format(
            n=f"{op['iterations']:,}", seed=op.get("seed", 20240101), name=name
        )
        alt = _("simulated power and stopping probabilities")
        sim_html = (
            f"<h2>{html.escape(heading)}</h2>"
            f'<img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{sim_png}">' + _table(per)
        )
    bounds.to_csv(out / "boundaries.csv", index=False)
    sizes.to_csv(out / "sample_size.csv", index=False)
    oc.to_csv(out / "operating_characteristics.csv", index=False)
    boundaries_png = boundaries_figure(design)
    power_png = power_figure(design, plans, pi1_grid)
    (out / "boundaries.png").write_bytes(base64.b64decode(boundaries_png))
    (out / "power_curves.png").write_bytes(base64.b64decode(power_png))
    e = html.escape
    beta = "" if design.type_beta_spending == "none" else " / " + design.type_beta_spending
    summary = _(
        "Design {design}{beta}, K = {k}, alpha = {alpha} ({sided}-sided), power {power}, "
        "inflation factor {inflation}; {futility} futility. Scenario file: {source}."
    ).format(
        design=design.type_of_design, beta=beta, k=design.k_max, alpha=f"{design.alpha:g}",
        sided=design.sided, power=f"{1 - design.beta:.0%}",
        inflation=f"{design.inflation_factor:.4f}",
        futility=_("binding") if design.binding_futility else _("non-binding"),
        source=scenario.source,
    )  # fmt: skip
    note = _(
        "N from the normal approximation (rpact's getSampleSizeRates); the last column is the "
        "exact power of the analysis plan's own test rule (chi-square or Fisher by expected "
        "counts, two-sided) for a single analysis at N maximum."
    )
    t_bounds, t_bounds_plot = _("Boundaries"), _("boundaries plot")
    t_sizes, t_power = _("Sample size"), _("power curves")
    t_oc = _("Operating characteristics (exact, by enumeration)")
    page = f"""<!doctype html>
<html lang="{"zh-Hans" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{e(scenario.title)}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
table.t{{border-collapse:collapse;font-size:90%}} table.t td,table.t th{{padding:2px 8px;
border-bottom:1px solid #ddd;text-align:right}}</style></head><body>
<h1>{e(scenario.title)}</h1>
<p>{e(summary)}</p>
<h2>{e(t_bounds)}</h2>
<img alt="{e(t_bounds_plot)}" src="data:image/png;base64,{boundaries_png}">
{_table(bounds)}
<h2>{e(t_sizes)}</h2>{_table(sizes)}
<p>{e(note)}</p>
<h2>{e(t_oc)}</h2>
<img alt="{e(t_power)}" src="data:image/png;base64,{power_png}">
{_table(oc)}
{sim_html}
</body></html>"""
    path = out / "design_report.html"
    path.write_text(page, encoding="utf-8")
    return path
