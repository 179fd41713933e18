"""The report in Chinese (issue 11): ``gvhdtrial report --lang zh``.

Figures carry Chinese titles, axis labels and CONSORT boxes, drawn with a font that has every
Chinese glyph they use (no tofu boxes); the HTML says ``lang="zh-Hans"`` and its section and
table titles are Chinese; medical abbreviations stay as Chinese haematology writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from typer.testing import CliRunner

from gvhdtrial.analysis.results import AnalysisResults
from gvhdtrial.cli import app
from gvhdtrial.i18n import language
from gvhdtrial.report import make_figures, style
from gvhdtrial.report.figures import close_figures
from gvhdtrial.report.html import render_html

CJK = re.compile(r"[\u3400-\u9fff]")


def _texts(fig: object) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


def test_a_chinese_font_is_installed_and_chosen() -> None:
    font = style.cjk_font()
    assert font is not None, "install fonts-wqy-microhei or fonts-noto-cjk (make apt-deps)"
    with language("zh"):
        assert style.font_families() == ["DejaVu Sans", font]
    assert style.font_families() == ["DejaVu Sans"]


def test_zh_figures_are_in_chinese_and_every_glyph_is_in_the_font(
    fake_results: AnalysisResults,
) -> None:
    font = style.cjk_font()
    assert font is not None
    path = font_manager.findfont(
        font_manager.FontProperties(family=font), fallback_to_default=False
    )
    cjk_font = FT2Font(path)
    with language("zh"):
        figures = make_figures(fake_results)
        label = figures[0].label
    try:
        texts = [t for f in figures for t in _texts(f.figure)]
        chinese = "".join(CJK.findall(" ".join(texts)))
        # Figure 1's boxes, Figure 2's axis label, Figure 3's axis labels, Figure 4's header
        for expected in ("评估入组资格", "随机", "缓解患者（%）", "随机后月数", "风险人数", "亚组"):
            assert expected in " ".join(texts), expected
        missing = {c for c in chinese if cjk_font.get_char_index(ord(c)) == 0}
        assert not missing, f"{font} lacks glyphs: {sorted(missing)}"
        assert label == "图 1"
        assert CJK.search(figures[1].caption)
    finally:
        close_figures(figures)


def test_zh_html_has_chinese_titles_and_keeps_the_clinical_abbreviations(
    fake_results: AnalysisResults,
) -> None:
    with language("zh"):
        figures = make_figures(fake_results)
        try:
            page = render_html(fake_results, figures, {"Trial": "x"})
        finally:
            close_figures(figures)
    assert '<html lang="zh-Hans">' in page
    for title in ("关于本报告", "基线特征", "疗效：治疗反应", "安全性", "已发表结果与重现结果对照"):
        assert f">{title}</h2>" in page, title
    assert "第 28 天 ORR" in page  # ORR and CR stay as Chinese haematology writes them
    assert "About this report" not in page and "Baseline characteristics" not in page
    assert "<h3>注释</h3>" in page and "<h3>Notes</h3>" not in page  # seen on a screenshot
    assert "Noto Sans CJK SC" in page  # the CSS names a Chinese font for the browser and PDF


def test_the_english_report_is_unchanged_by_the_translation(fake_results: AnalysisResults) -> None:
    figures = make_figures(fake_results)
    try:
        page = render_html(fake_results, figures, {"Trial": "x"})
    finally:
        close_figures(figures)
    assert '<html lang="en">' in page
    assert not CJK.search(page)


def test_the_cli_refuses_an_unknown_language(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[2] / "data" / "reference"
    result = CliRunner().invoke(
        app, ["report", "--data", str(data), "--out", str(tmp_path), "--lang", "fr", "--no-pdf"]
    )
    assert result.exit_code == 2
    assert "expected one of en, zh" in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_numbers_and_footer_are_in_the_report_language(
    fake_results: AnalysisResults, lang: str
) -> None:
    with language(lang):
        page = render_html(fake_results, [], None)
    footer = {"en": '"page " counter(page) " of " counter(pages)', "zh": "第 "}[lang]
    assert footer in page


def test_the_zh_banner_leads_with_the_translated_synthetic_warning_and_keeps_the_statement(
    fake_results: AnalysisResults,
) -> None:
    """The synthetic-data banner and the data set's title block in Chinese: the warning every
    synthetic data set opens with (data model's SYNTHETIC_STATEMENT) is translated, the data
    set's own statement is kept as recorded; the service's export title is translated."""
    from gvhdtrial.data.model import SERVICE_TITLE, SYNTHETIC_STATEMENT
    from gvhdtrial.report.html import synthetic_banner_text

    with language("zh"):
        figures = make_figures(fake_results)
        try:
            page = render_html(fake_results, figures, {"Trial": SERVICE_TITLE})
        finally:
            close_figures(figures)
        banner = synthetic_banner_text(fake_results.synthetic_statement)
    assert banner.startswith("虚构重建数据——并非该试验的患者 · ")
    assert banner.endswith(fake_results.synthetic_statement)
    assert "虚构重建数据——并非该试验的患者" in page
    assert "在 gvhdtrial 服务中采集的试验数据" in page and SERVICE_TITLE not in page
    assert synthetic_banner_text(SYNTHETIC_STATEMENT) == SYNTHETIC_STATEMENT  # English: as is
