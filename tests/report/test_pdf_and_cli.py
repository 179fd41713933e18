"""The PDF and the ``gvhdtrial report`` command, end to end on small trial data folders.

"The system shall turn a trial data folder into tables, figures, an HTML report and its PDF
with one command, and say clearly what to install when it cannot print the PDF."
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gvhdtrial.analysis.results import AnalysisResults
from gvhdtrial.cli import app
from gvhdtrial.report import ChromiumNotFoundError, print_pdf, write_report
from gvhdtrial.report.pdf import CHROMIUM

from ._trials import REFERENCE, write_cases_trial

HAVE_CHROMIUM = Path(CHROMIUM).exists()
needs_chromium = pytest.mark.skipif(
    not HAVE_CHROMIUM,
    reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium) "
    "to print and check the PDF",
)


def pdf_pages(pdf: Path) -> int:
    """Page count: pdfinfo (poppler-utils) when present, else the /Type /Page objects."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        match = re.search(r"^Pages:\s+(\d+)", out.stdout, re.M)
        assert match is not None
        return int(match.group(1))
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))


@needs_chromium
def test_the_pdf_is_printed_on_a4_pages(fake_results: AnalysisResults, tmp_path: Path) -> None:
    outputs = write_report(fake_results, tmp_path, tables=False)
    assert outputs.pdf is not None and outputs.pdf.read_bytes()[:5] == b"%PDF-"
    # title + notes, CONSORT, baseline, efficacy (2+), outcomes (2+), post hoc, safety,
    # published vs reproduced, configuration: one major section per page at least
    assert pdf_pages(outputs.pdf) >= 10
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(outputs.pdf)], capture_output=True, text=True)
        assert "595.92 x 842.88 pts (A4)" in info.stdout or "(A4)" in info.stdout


@needs_chromium
def test_the_pdf_text_carries_the_synthetic_statement(
    fake_results: AnalysisResults, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is absent")
    outputs = write_report(fake_results, tmp_path, tables=False)
    assert outputs.pdf is not None
    text = subprocess.run(
        ["pdftotext", "-layout", str(outputs.pdf), "-"], capture_output=True, text=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert pages and all("SYNTHETIC reconstruction" in page for page in pages)


def test_without_chromium_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GVHDTRIAL_CHROMIUM", str(tmp_path / "no-such-chromium"))
    html = tmp_path / "r.html"
    html.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(ChromiumNotFoundError, match=r"apt-get install -y chromium"):
        print_pdf(html, tmp_path / "r.pdf")


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("cli")
    data = write_cases_trial(root / "trial")
    out = root / "out"
    args = ["report", "--data", str(data), "--out", str(out)]
    if not HAVE_CHROMIUM:
        args.append("--no-pdf")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_the_command_writes_tables_figures_html(cli_run: tuple[Path, str]) -> None:
    out, output = cli_run
    for name in (
        "table1.csv",
        "table2.csv",
        "table3.csv",
        "survival.csv",
        "consort.json",
        "published_vs_reproduced.csv",
    ):
        assert (out / "tables" / name).stat().st_size > 0, name
    stems = {p.stem for p in (out / "figures").glob("*.png")}
    assert stems == {p.stem for p in (out / "figures").glob("*.svg")}
    assert stems == {
        "figure1_consort",
        "figure2_response",
        "figure3_outcomes_itt",
        "figureS1_outcomes_pp",
        "figure4_forest",
    }
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC reconstruction" in html and "Hand-made analysis test data set" in html
    assert "report.html" in output


@needs_chromium
def test_the_command_prints_the_pdf(cli_run: tuple[Path, str]) -> None:
    out, _ = cli_run
    assert pdf_pages(out / "report.pdf") >= 10


def test_missing_chromium_fails_the_command_after_writing_the_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GVHDTRIAL_CHROMIUM", str(tmp_path / "no-such-chromium"))
    data = write_cases_trial(tmp_path / "trial")
    result = CliRunner().invoke(
        app, ["report", "--data", str(data), "--out", str(tmp_path / "o"), "--quiet"]
    )
    assert result.exit_code == 1
    assert "apt-get install -y chromium" in result.output
    assert (tmp_path / "o" / "report.html").exists()
    assert not (tmp_path / "o" / "report.pdf").exists()


def test_a_blinded_data_set_gives_the_pooled_review(tmp_path: Path) -> None:
    data = write_cases_trial(tmp_path / "trial", blinded=True)
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["report", "--data", str(data), "--out", str(out), "--no-pdf", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "blinded data review" in html.lower()
    assert "Allocated to MSC" not in html and 'id="figure2_response"' not in html
    assert not (out / "figures" / "figure2_response.png").exists()


def test_bad_data_fail_with_the_loader_message(tmp_path: Path) -> None:
    data = write_cases_trial(tmp_path / "trial")
    (data / "patients.csv").unlink()
    result = CliRunner().invoke(
        app, ["report", "--data", str(data), "--out", str(tmp_path / "o"), "--no-pdf"]
    )
    assert result.exit_code == 2
    assert "patients.csv" in result.output


@pytest.mark.slow
@pytest.mark.skipif(
    not (REFERENCE / "trial.json").exists(),
    reason="data/reference/ does not exist yet (written by the reference/ generator)",
)
def test_the_reference_trial_report(tmp_path: Path) -> None:
    args = ["report", "--data", str(REFERENCE), "--out", str(tmp_path), "--quiet"]
    if not HAVE_CHROMIUM:
        args.append("--no-pdf")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # the paper's primary endpoint, ITT: 24/40 vs 19/38
    assert "24/40" in html and "19/38" in html
    if HAVE_CHROMIUM:
        assert pdf_pages(tmp_path / "report.pdf") >= 10


@needs_chromium
def test_the_pdf_header_is_whole_and_above_the_page_and_the_title_is_the_reports(
    fake_results: AnalysisResults, tmp_path: Path
) -> None:
    """Issue 11: with the reference trial's paragraph-long statement, the running header was
    cut mid-sentence and printed over the headings, and the PDF's Title was the paragraph."""
    import dataclasses
    import html
    import json

    from gvhdtrial.report.html import REPORT_TITLE

    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("pdfinfo/pdftotext (poppler-utils) are absent")
    statement = json.loads((REFERENCE / "trial.json").read_text(encoding="utf-8"))["statement"]
    assert len(statement) > 300  # the paragraph that broke the header
    results = dataclasses.replace(fake_results, synthetic_statement=statement)
    pdf = write_report(results, tmp_path, tables=False).pdf
    assert pdf is not None
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Title:\s+(.*)$", info, re.M).group(1) == REPORT_TITLE  # type: ignore[union-attr]
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "2", "-l", "3", str(pdf), "-"],
                          capture_output=True, text=True).stdout  # fmt: skip
    pages = bbox.split("<page ")[1:]
    assert len(pages) == 2
    top_margin_pt = 16 / 25.4 * 72  # @page margin-top 16 mm
    for page in pages:
        boxes = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', page)
        header = [html.unescape(w) for y0, y1, w in boxes if float(y1) <= top_margin_pt]
        # The whole first sentence, on one line inside the top margin, nothing else there.
        assert " ".join(header) == "SYNTHETIC reconstruction — not the trial's patients"
        assert len({round(float(y0)) for y0, y1, _ in boxes if float(y1) <= top_margin_pt}) == 1
