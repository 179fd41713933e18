"""The HTML report: self-contained, complete, labelled synthetic on every section.

"The system shall write one HTML file that needs nothing from the network, shows every table
and figure of the report, and says on every section that the data are synthetic."
"""

from __future__ import annotations

import re

import pytest

from gvhdtrial.analysis.results import AnalysisResults
from gvhdtrial.data.model import SYNTHETIC_STATEMENT
from gvhdtrial.report import make_figures, render_html
from gvhdtrial.report.figures import close_figures


def _render(results: AnalysisResults) -> str:
    figures = make_figures(results)
    try:
        return render_html(results, figures, {"Trial": "fake"})
    finally:
        close_figures(figures)


@pytest.fixture(scope="module")
def page(fake_results: AnalysisResults) -> str:
    return _render(fake_results)


@pytest.fixture(scope="module")
def blinded_page(fake_blinded_results: AnalysisResults) -> str:
    return _render(fake_blinded_results)


EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)|(?:<link\b)|(?:<script\b[^>]*\bsrc=)""",
    re.IGNORECASE,
)


def test_the_report_fetches_nothing(page: str, blinded_page: str) -> None:
    for html in (page, blinded_page):
        assert EXTERNAL.search(html) is None, EXTERNAL.search(html)
        # images are inline SVG, not files next to the report
        assert "<img" not in html
        assert html.count("<svg") >= 3


def test_every_table_and_figure_is_in_the_report(page: str) -> None:
    for key in (
        "table1", "table2", "tableS2", "tableS4", "table3", "survival", "safety", "consort",
        "published", "published-summary", "extras", "config",
        "posthoc-S1-ORR_D28-uni", "posthoc-S1-ORR_D28-multi", "posthoc-S3-ORR_D28-uni",
        "posthoc-S5-OS-uni", "posthoc-S6-cGVHD-multi",
    ):  # fmt: skip
        assert f'class="table-block" id="{key}"' in page, key
    for name in (
        "figure1_consort",
        "figure2_response",
        "figure3_outcomes_itt",
        "figureS1_outcomes_pp",
        "figure4_forest",
    ):
        assert '<figure class="report-figure' in page
        assert f'id="{name}"' in page, name
    for label in (
        "Figure 1.",
        "Figure 2.",
        "Figure 3.",
        "Figure S1.",
        "Figure 4.",
        "Table 1.",
        "Table 2.",
        "Table S2.",
        "Table S4.",
        "Table 3.",
        "Table S1.",
        "Table S3.",
        "Table S5.",
        "Table S6.",
    ):
        assert label in page, label


def test_every_section_opens_with_the_synthetic_banner(page: str) -> None:
    sections = re.findall(r'<section class="major[^"]*" id="([^"]+)">(.{0,300})', page, re.S)
    assert len(sections) >= 8
    for _key, start in sections:
        assert start.startswith('<div class="banner">' + SYNTHETIC_STATEMENT.replace("'", "&#x27;"))
    # and on every printed page, as a page-margin box
    assert "@top-center" in page


def test_notes_configuration_and_the_per_protocol_reading_are_shown(page: str) -> None:
    assert "Per-protocol: the literal reading" in page
    assert "pp_reading" in page and "literal: &gt;= 8 infusions received" in page


def test_differences_from_the_paper_are_highlighted(page: str) -> None:
    published = page[page.index('class="table-block" id="published"') :]
    table = published[: published.index("</table>")]
    assert "2-year OS" in table and "NO" in table
    assert "#FDE3E1" in table.upper() or "#fde3e1" in table
    assert "2 of 3 numbers reproduced exactly" in page


def test_blinded_report_has_no_arm_split(blinded_page: str) -> None:
    assert "blinded data review" in blinded_page.lower()
    assert 'id="figure2_response"' not in blinded_page
    assert 'id="figure4_forest"' not in blinded_page
    assert "Odds ratio" not in blinded_page
    assert ">MSC<" not in blinded_page and "Allocated to MSC" not in blinded_page


def test_ids_are_unique(page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_the_html_is_reproducible(fake_results: AnalysisResults, page: str) -> None:
    assert _render(fake_results) == page
