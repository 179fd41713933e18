"""The self-contained HTML report: tables with great_tables, figures as inline SVG, CSS inline.

:func:`render_html` returns one HTML document with no external resource (no stylesheet, font,
script or image is fetched), so it can be mailed, archived, or printed to PDF offline. Every
section opens with the synthetic-data banner, and the print CSS repeats it on every page.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from great_tables import GT, loc
from great_tables import style as gt_style

from gvhdtrial import __version__
from gvhdtrial.i18n import N_, _, current, translate_text
from gvhdtrial.report import style
from gvhdtrial.report import tables as t
from gvhdtrial.report.figures import ReportFigure, figure_svg

_CSS = """
:root { --msc: %(msc)s; --control: %(control)s; --ink: #1a1a1a; --muted: #555; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, "Noto Sans CJK SC",
       "WenQuanYi Micro Hei", "Droid Sans Fallback", sans-serif; color: var(--ink);
       max-width: 1180px; margin: 0 auto; padding: 0 24px 48px; line-height: 1.45;
       font-size: 14px; background: #fff; }
h1 { font-size: 26px; margin: 18px 0 4px; }
h2 { font-size: 21px; margin: 8px 0 10px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
.banner { background: #8b0000; color: #fff; font-weight: bold; text-align: center;
          padding: 7px 12px; border-radius: 4px; letter-spacing: 0.02em; margin: 14px 0 10px; }
.banner .sub { font-weight: normal; opacity: 0.9; }
.blinded { background: #fff4ce; border: 1px solid #e0c060; padding: 8px 12px;
           border-radius: 4px; margin: 8px 0; }
.meta { color: var(--muted); font-size: 13px; }
.meta td { padding: 1px 14px 1px 0; vertical-align: top; }
nav ol { columns: 2; font-size: 14px; }
nav a { color: #0b4f8a; text-decoration: none; }
section.major { padding-top: 4px; }
figure { margin: 16px 0 26px; }
figure svg { width: 100%%; height: auto; display: block; }
figure.consort svg { max-width: 960px; margin: 0 auto; }
figcaption { font-size: 13px; color: #333; margin-top: 6px; }
figcaption b { color: var(--ink); }
.table-block { margin: 12px 0 24px; }
.table-block .gt_table { width: 100%% !important; }
.footnote { font-size: 12px; color: var(--muted); margin: 2px 0 0; }
.key { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 10px;
       margin: 10px 0 18px; }
.key > div { border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; }
.key .v { font-size: 18px; font-weight: bold; }
.msc { color: var(--msc); } .control { color: var(--control); }
ul.notes li { margin-bottom: 6px; }
@page { size: A4; margin: 16mm 11mm 14mm 11mm;
  font-family: "DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  @top-center { content: "%(statement)s"; color: #8b0000; font-weight: bold; font-size: 9pt; }
  @bottom-left { content: "%(footer)s"; color: #777; font-size: 8pt; }
  @bottom-right { content: "%(page)s"; color: #777;
                  font-size: 8pt; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h1 { font-size: 22px; }
  h2 { font-size: 17px; }
  section.major { break-before: page; }
  section.major.first { break-before: auto; }
  figure, .key, .banner { break-inside: avoid; }
  figcaption { font-size: 10.5px; }
  h2, h3 { break-after: avoid; }
  .table-block .gt_table { font-size: 10px !important; }
  .table-block tr { break-inside: avoid; }
  figure svg { max-height: 205mm; }
  nav ol { columns: 2; }
}
"""


#: The printed report's title (HTML ``<title>``, hence the PDF's Title metadata, and its h1).
REPORT_TITLE = "Steroid-refractory aGVHD trial: analysis report"
#: The running header fits one line of the top margin at 9 pt on A4.
HEADER_MAX_CHARS = 100


def running_header(statement: str) -> str:
    """The page header: the statement's first sentence (a data set's statement can be a whole
    paragraph, which Chromium cut mid-sentence and wrapped over the page's headings); a first
    sentence too long for one line ends at a word with an ellipsis."""
    first = re.split(r"(?<=[.!?])\s", statement.strip(), maxsplit=1)[0].rstrip(".")
    if len(first) <= HEADER_MAX_CHARS:
        return first
    return first[: HEADER_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _css_string(text: str) -> str:
    """Text for a CSS string literal: quotes and backslashes escaped, no markup."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "").replace(">", "")


#: The synthetic-data statement every synthetic data set opens with
#: (``gvhdtrial.data.model.SYNTHETIC_STATEMENT``), here for the catalogue.
_SYNTHETIC = N_("SYNTHETIC reconstruction — not the trial's patients")


def synthetic_banner_text(statement: str) -> str:
    """The banner's text: the data set's own statement (kept as recorded), led in a language
    other than English by the translated synthetic-data warning it opens with."""
    text = statement or "SYNTHETIC reconstruction"
    if current() != "en" and text.startswith(_SYNTHETIC):
        return f"{_(_SYNTHETIC)} · {text}"
    return text


def _banner(results: Any) -> str:
    statement = html.escape(synthetic_banner_text(results.synthetic_statement))
    sub = _(" — blinded data review, arms pooled") if results.blinded else ""
    return f'<div class="banner">{statement}<span class="sub">{html.escape(sub)}</span></div>'


def _cell_text(text: str) -> str:
    """A table cell in the report's language: a label found in the catalogue is translated
    (its indent kept), anything else (numbers, counts, identifiers) is left as it is."""
    stripped = text.lstrip()
    return text[: len(text) - len(stripped)] + _(stripped) if stripped else text


def _gt_html(table: t.DisplayTable) -> str:
    """One table through great_tables, with a fixed id so the output is reproducible."""
    frame = table.frame.copy()
    if frame.empty:
        empty = _("no rows.")  # outside the f-string, where the catalogue's extractor sees it
        return f'<p class="footnote">{html.escape(_(table.title))}: {empty}</p>'
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.astype(str)
    if current() != "en":  # labels and coded cells in the report's language; numbers as they are
        renamed = {c: _(c) for c in frame.columns}
        frame = frame.map(_cell_text).rename(columns=renamed)
        spanners = {_(k): [renamed.get(c, c) for c in v] for k, v in table.spanners.items()}
        group_column = renamed.get(table.group_column or "", table.group_column)
    else:
        spanners, group_column = dict(table.spanners), table.group_column
    group = group_column if group_column in frame.columns else None
    gt = GT(frame, groupname_col=group, id=f"gt-{table.key}")
    title = f"{_(table.label)}. {_(table.title)}" if table.label else _(table.title)
    gt = gt.tab_header(title=title, subtitle=_(table.subtitle) if table.subtitle else None)
    for label, cols in spanners.items():
        cols = [c for c in cols if c in frame.columns]
        if cols:
            gt = gt.tab_spanner(label=label, columns=cols)
            # the arm is in the spanner; the column keeps only what it holds
            gt = gt.cols_label(**{c: re.sub(r"\s*\([^)]*\)$", "", c) for c in cols})
    if table.header_rows:
        gt = gt.tab_style(
            style=[gt_style.text(weight="bold"), gt_style.fill(color="#F3F3F3")],
            locations=loc.body(rows=table.header_rows),
        )
    if table.highlight_rows:
        gt = gt.tab_style(
            style=[gt_style.fill(color=table.highlight_colour), gt_style.text(weight="bold")],
            locations=loc.body(rows=table.highlight_rows),
        )
    if table.footnote:
        gt = gt.tab_source_note(_(table.footnote))
    gt = gt.tab_options(
        table_font_size="13px",
        heading_title_font_size="15px",
        heading_subtitle_font_size="12px",
        heading_align="left",
        data_row_padding="3px",
        column_labels_font_weight="bold",
        row_group_font_weight="bold",
        table_width="100%",
    )
    return f'<div class="table-block" id="{table.key}">{gt.as_raw_html()}</div>'


def _figure_html(fig: ReportFigure) -> str:
    svg = figure_svg(fig)
    extra = " consort" if fig.number == "1" else ""
    return (
        f'<figure class="report-figure{extra}" id="{fig.name}">{svg}'
        f"<figcaption><b>{html.escape(fig.label)}. {html.escape(fig.title)}.</b> "
        f"{html.escape(fig.caption)}</figcaption></figure>"
    )


def _x_of_n(x: float, n: float) -> str:
    """ "x/n (p%)", or "x/n" when nobody is in the denominator."""
    if not n:
        return f"{int(x)}/{int(n)}"
    return f"{int(x)}/{int(n)} ({100 * x / n:.1f}%)"


def _key_results(results: Any) -> str:
    """The primary endpoint in two boxes: ORR at d28, ITT and per-protocol."""
    if results.blinded or "msc_x" not in results.table2.columns:
        return ""
    boxes = []
    t2 = results.table2
    for pop in ("ITT", "PP"):
        sub = t2[(t2["endpoint"] == "ORR_D28") & (t2["population"] == pop)]
        sub = sub[sub["subgroup"] == "all"]
        if sub.empty:
            continue
        r = sub.iloc[0]
        msc = _x_of_n(r["msc_x"], r["msc_n"])
        ctl = _x_of_n(r["control_x"], r["control_n"])
        test = style.test_label(r["test"])
        boxes.append(
            f"<div><div>{_('ORR at d28')}, {html.escape(style.POPULATION_LABELS[pop])}</div>"
            f'<div class="v"><span class="msc">{style.ARM_LABELS["msc"]} {msc}</span> vs '
            f'<span class="control">{style.ARM_LABELS["control"]} {ctl}</span></div>'
            f"<div>OR {style.format_ratio(r['odds_ratio'], r['ci_low'], r['ci_high'])}; "
            f"{style.format_p(r['p_value'])}{f' ({html.escape(test)})' if test else ''}"
            "</div></div>"
        )
    return f'<div class="key">{"".join(boxes)}</div>' if boxes else ""


def _meta(meta: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><b>{html.escape(_(str(k)))}</b></td>"
        f"<td>{html.escape(translate_text(str(v)))}</td></tr>"
        for k, v in meta.items()
    )
    return f'<table class="meta">{rows}</table>'


class _Doc:
    def __init__(self, results: Any) -> None:
        self.results = results
        self.parts: list[str] = []
        self.toc: list[tuple[str, str]] = []

    def section(self, key: str, title: str, body: Sequence[str], first: bool = False) -> None:
        key = f"section-{key}"  # tables and figures use the bare names
        title = _(title)
        self.toc.append((key, title))
        cls = "major first" if first else "major"
        self.parts.append(
            f'<section class="{cls}" id="{key}">{_banner(self.results)}'
            f"<h2>{html.escape(title)}</h2>{''.join(body)}</section>"
        )


def render_html(
    results: Any,
    figures: Sequence[ReportFigure],
    meta: Mapping[str, Any] | None = None,
) -> str:
    """The whole report as one self-contained HTML document."""
    figs = {f.number: f for f in figures}
    doc = _Doc(results)
    blinded = bool(results.blinded)

    def fig(number: str) -> str:
        return _figure_html(figs[number]) if number in figs else ""

    notes = "".join(
        f"<li>{html.escape(translate_text(n if isinstance(n, str) else str(n)))}</li>"
        for n in results.notes
    )
    doc.section(
        "notes",
        N_("About this report"),
        [
            '<div class="blinded">'
            + _("Blinded data review: arms are pooled; no comparison between arms is shown.")
            + "</div>"
            if blinded
            else "",
            _key_results(results),
            "<h3>" + _("Notes") + "</h3>",  # not in f-strings: the extractor reads these
            f'<ul class="notes">{notes}</ul>' if notes else "<p>" + _("No notes.") + "</p>",
        ],
        first=True,
    )
    doc.section("consort", N_("Patients (CONSORT)"), [fig("1"), _gt_html(t.consort_table(results))])
    doc.section("baseline", N_("Baseline characteristics"), [_gt_html(t.table1(results))])
    if blinded:
        doc.section("efficacy", N_("Response (pooled)"), [_gt_html(t.table2(results))])
    else:
        doc.section(
            "efficacy",
            N_("Efficacy: response"),
            [
                fig("2"),
                _gt_html(t.table2(results)),
                _gt_html(t.table_s2(results)),
                _gt_html(t.table_s4(results)),
                fig("4"),
            ],
        )
    doc.section(
        "outcomes",
        N_("Outcomes: chronic GVHD, NRM, relapse, FFS and OS"),
        [fig("3"), fig("S1"), _gt_html(t.survival_summary(results))],
    )
    if results.posthoc:
        doc.section(
            "posthoc",
            N_("Post-hoc analyses (Tables S1, S3, S5, S6)"),
            [_gt_html(x) for x in t.posthoc_tables(results)],
        )
    doc.section(
        "safety",
        N_("Safety"),
        [_gt_html(t.table3(results)), _gt_html(t.safety_summary(results))],
    )
    doc.section(
        "published",
        N_("Published versus reproduced"),
        [
            "<p>"
            + _(
                "Every number of the paper (Tables 1-3, Results, Abstract) next to the number "
                "computed here from the patient-level data. Rows that differ are shaded."
            )
            + "</p>",
            _gt_html(t.published_summary(results)),
            _gt_html(t.published_vs_reproduced(results)),
            _gt_html(t.extras(results)),
        ],
    )
    doc.section("config", N_("Configuration"), [_gt_html(t.configuration(results))])

    toc = "".join(f'<li><a href="#{key}">{html.escape(title)}</a></li>' for key, title in doc.toc)
    meta_html = _meta({**(meta or {}), N_("Report"): f"gvhdtrial {__version__}"})
    title = html.escape(_("Steroid-refractory aGVHD trial: analysis report"))
    colours = {
        "msc": style.ARM_COLOURS["msc"],
        "control": style.ARM_COLOURS["control"],
        "statement": _css_string(
            running_header(synthetic_banner_text(results.synthetic_statement))
        ),
        "footer": _css_string(_("gvhdtrial analysis report")),
        "page": _css_string(_("page %(page)s of %(pages)s"))
        .replace("%(page)s", '" counter(page) "')
        .replace("%(pages)s", '" counter(pages) "'),
    }
    out = io.StringIO()
    out.write(
        f'<!DOCTYPE html>\n<html lang="{"zh-Hans" if current() == "zh" else "en"}">'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        f"<style>{_CSS % colours}</style></head><body>"
        f"{_banner(results)}<h1>{title}</h1>"
        f"{meta_html}<nav><ol>{toc}</ol></nav>"
    )
    out.write("".join(doc.parts))
    out.write("</body></html>\n")
    return out.getvalue()
