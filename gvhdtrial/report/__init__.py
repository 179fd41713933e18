"""The report: figures, tables, a self-contained HTML document and its PDF.

Public API (everything else in this package is private):

- :func:`build_report`: data folder -> OUT/tables, OUT/figures, OUT/report.html, OUT/report.pdf;
- :func:`make_figures`, :func:`save_figure` and :class:`ReportFigure`: the figures;
- :func:`render_html`: the HTML document from results and figures;
- :func:`print_pdf` and :class:`ChromiumNotFoundError`: HTML -> PDF with headless Chromium.
"""

from gvhdtrial.report.build import ReportOutputs, build_report, write_report
from gvhdtrial.report.figures import ReportFigure, make_figures, save_figure
from gvhdtrial.report.html import render_html
from gvhdtrial.report.pdf import (
    CHROMIUM,
    ChromiumNotFoundError,
    PdfError,
    print_pdf,
    screenshot,
)

__all__ = [
    "CHROMIUM",
    "ChromiumNotFoundError",
    "PdfError",
    "ReportFigure",
    "ReportOutputs",
    "build_report",
    "make_figures",
    "print_pdf",
    "render_html",
    "save_figure",
    "screenshot",
    "write_report",
]
