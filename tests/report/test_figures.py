"""The report's figures: what each shows, drawn from a fake results object and the real pipeline.

"The system shall draw the CONSORT diagram, the response bars, the outcome curves and the
subgroup forest plot from the analysis results, and only pooled figures when blinded."
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gvhdtrial.analysis import analyse
from gvhdtrial.analysis.results import AnalysisResults
from gvhdtrial.data import load_trial
from gvhdtrial.report import make_figures, save_figure, style
from gvhdtrial.report.consort import consort_rows, consort_view
from gvhdtrial.report.figures import close_figures, figure_svg, forest_figure

from ._trials import write_cases_trial


def test_every_figure_is_drawn_with_number_title_and_caption(
    fake_results: AnalysisResults, tmp_path: Path
) -> None:
    figures = make_figures(fake_results)
    try:
        assert [f.number for f in figures] == ["1", "2", "3", "S1", "4"]
        for fig in figures:
            assert fig.title and len(fig.caption) > 80
            paths = save_figure(fig, tmp_path)
            assert set(paths) == {"png", "svg"}
            assert all(p.stat().st_size > 5_000 for p in paths.values())
            assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        close_figures(figures)


def test_response_panels_show_counts_and_p_values(fake_results: AnalysisResults) -> None:
    figures = make_figures(fake_results)
    try:
        svg = figure_svg(next(f for f in figures if f.number == "2"))
    finally:
        close_figures(figures)
    # the paper's Fig. 2: A-F, x/n on the bars, p with the test used
    for text in ("24/40", "19/38", "23/32", "14/30", "p = 0.375 (Pearson)", "p = 0.043 (Pearson)"):
        assert text in svg
    for letter in "ABCDEF":
        assert f"{letter}\u2002" in svg


def test_outcome_curves_have_at_risk_table_estimates_and_hr(fake_results: AnalysisResults) -> None:
    figures = make_figures(fake_results)
    try:
        itt = figure_svg(next(f for f in figures if f.number == "3"))
        pp = next(f for f in figures if f.number == "S1")
    finally:
        close_figures(figures)
    assert "Number at risk" in itt and "2-year estimate (95% CI)" in itt
    assert "HR 0.76 (0.38-1.49)" in itt and "(Gray)" in itt and "(log-rank)" in itt
    for name in (
        "Chronic GVHD",
        "Moderate-to-severe chronic GVHD",
        "Non-relapse mortality",
        "Relapse",
        "Overall survival",
        "Failure-free survival",
    ):
        assert name in itt
    assert "per-protocol" in pp.caption


def test_consort_view_reads_the_analysis_dict(fake_results: AnalysisResults) -> None:
    view = consort_view(fake_results.consort)
    assert (view.screened, view.excluded, view.randomized) == (120, 42, 78)
    msc, control = view.arms
    assert (msc.arm, msc.allocated, msc.received, msc.discontinued, msc.per_protocol) == (
        "MSC",
        40,
        40,
        8,
        32,
    )
    assert (control.allocated, control.discontinued, control.per_protocol) == (38, 8, 30)
    assert dict(control.discontinued_reasons) == {"death": 3, "salvage_failure": 3, "withdrawal": 2}
    assert dict(msc.discontinued_grades) == {"II": 3, "III": 5}
    assert ("I1 not met: age 13-70", 3) in view.excluded_reasons
    rows = {r["Stage"]: r for r in consort_rows(view)}
    assert rows["Randomized (intention-to-treat set)"]["Total"] == 78
    assert rows["Analysed: per-protocol set"]["MSC"] == 32


def test_consort_figure_labels_every_stage(fake_results: AnalysisResults) -> None:
    figures = make_figures(fake_results)
    try:
        svg = figure_svg(figures[0])
    finally:
        close_figures(figures)
    for text in (
        "Assessed for eligibility (n\u00a0=\u00a0120)",
        "Excluded (n\u00a0=\u00a042)",
        "Randomized (n\u00a0=\u00a078)",
        "Allocated to MSC (n\u00a0=\u00a040)",
        "Allocated to Control (n\u00a0=\u00a038)",
        "Per-protocol set (n\u00a0=\u00a032)",
        "Salvage failure (n\u00a0=\u00a03)",
    ):
        assert text in svg, text


def test_forest_plot_has_a_row_per_subgroup_and_marks_inestimable_ors(
    fake_results: AnalysisResults,
) -> None:
    fig = forest_figure(fake_results)
    assert fig is not None
    try:
        svg = figure_svg(fig)
    finally:
        close_figures([fig])
    assert "Odds ratio (log scale)" in svg
    assert "1.50 (0.61-3.68)" in svg and "2.92 (1.02-8.37)" in svg
    # 7/7 vs 4/5 has a zero cell: the table gives no OR, the plot says so
    assert "not estimable" in svg
    assert "Steroid dependence" in svg


def test_blinded_results_give_pooled_figures_only(fake_blinded_results: AnalysisResults) -> None:
    figures = make_figures(fake_blinded_results)
    try:
        assert [f.number for f in figures] == ["1", "3", "S1"]
        for fig in figures:
            svg = figure_svg(fig)
            assert "MSC" not in svg and "Control" not in svg, fig.name
            assert "pooled" in (fig.caption + fig.title).lower()
    finally:
        close_figures(figures)


def test_svg_ids_are_unique_across_figures(fake_results: AnalysisResults) -> None:
    import re

    figures = make_figures(fake_results)
    try:
        ids: list[str] = []
        for fig in figures:
            ids += re.findall(r'\bid="([^"]+)"', figure_svg(fig))
    finally:
        close_figures(figures)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0421, "p = 0.042"), (0.0004, "p < 0.001"), (1.0, "p = 1.000"), (math.nan, "p = n/a")],
)
def test_p_values_print_as_in_clinical_papers(value: float, text: str) -> None:
    assert style.format_p(value) == text


def test_degenerate_ratios_are_not_estimable() -> None:
    assert style.format_ratio(1.5, 0.61, 3.68) == "1.50 (0.61-3.68)"
    assert style.format_ratio(1.77e12, 0.0, math.inf) == "not estimable"
    assert style.format_ratio(math.inf, 1.0, math.inf) == "not estimable"


def test_figures_render_from_the_real_pipeline(tmp_path: Path) -> None:
    """The hand-made analysis cases, through load_trial and analyse, draw every figure."""
    results = analyse(load_trial(write_cases_trial(tmp_path / "trial")))
    figures = make_figures(results)
    try:
        assert [f.number for f in figures] == ["1", "2", "3", "S1", "4"]
        for fig in figures:
            assert save_figure(fig, tmp_path / "figures")["svg"].stat().st_size > 5_000
    finally:
        close_figures(figures)
