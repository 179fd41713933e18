"""The report pipeline: data folder -> analysis -> tables, figures, HTML, PDF.

:func:`build_report` is what ``gvhdtrial report`` runs; :func:`write_report` starts from an
analysis results object (tests and notebooks use it). Both show a rich progress display over
the steps when given a console.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from gvhdtrial.i18n import N_, check_language, language
from gvhdtrial.report.figures import close_figures, make_figures, save_figure
from gvhdtrial.report.html import render_html
from gvhdtrial.report.pdf import print_pdf

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
FIGURES_DIR = "figures"


#: The steps of :func:`build_report` in order (without the PDF), for progress shown elsewhere.
BUILD_STEPS = (
    "Load and validate trial data",
    "Analyse (populations, endpoints, tables, models)",
    "Write tables (CSV, JSON)",
    "Draw figures (PNG, SVG)",
    "Write HTML report",
)


@dataclass(frozen=True)
class ReportOutputs:
    """What one report run wrote."""

    out_dir: Path
    tables_dir: Path | None
    figures: tuple[Path, ...]
    html: Path
    pdf: Path | None


class _Steps:
    """One progress line per step (with a tick when done); silent without a console.
    ``on_step`` (if given) hears each step's description as it starts (a web page's progress)."""

    def __init__(
        self, progress: Progress | None, on_step: Callable[[str], None] | None = None
    ) -> None:
        self.progress = progress
        self.on_step = on_step

    @contextmanager
    def step(self, description: str, total: int = 1) -> Iterator[Callable[[str], None]]:
        if self.on_step is not None:
            self.on_step(description)
        if self.progress is None:
            yield lambda _label: None
            return
        task = self.progress.add_task(description, total=total)

        def advance(label: str) -> None:
            self.progress.update(task, advance=1, description=f"{description}: {label}")  # type: ignore[union-attr]

        yield advance
        self.progress.update(task, completed=total, description=f"[green]✓[/] {description}")


def _progress(console: Console | None) -> Progress | None:
    if console is None:
        return None
    return Progress(
        SpinnerColumn(finished_text=" "),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _write_report(
    results: Any,
    out: Path,
    steps: _Steps,
    *,
    pdf: bool,
    meta: Mapping[str, Any] | None,
    tables: bool,
) -> ReportOutputs:
    out.mkdir(parents=True, exist_ok=True)
    tables_dir = None
    if tables:
        from gvhdtrial.analysis import write_tables

        with steps.step("Write tables (CSV, JSON)"):
            tables_dir = Path(write_tables(results, out))
    n_figures = 5 if not results.blinded else 3
    figure_paths: list[Path] = []
    with steps.step("Draw figures (PNG, SVG)", total=n_figures) as advance:
        figures = make_figures(results, on_figure=advance)
        for fig in figures:
            figure_paths.extend(save_figure(fig, out / FIGURES_DIR).values())
    try:
        with steps.step("Write HTML report"):
            html_path = out / HTML_NAME
            html_path.write_text(render_html(results, figures, meta), encoding="utf-8")
    finally:
        close_figures(figures)
    pdf_path = None
    if pdf:
        with steps.step("Print PDF (headless Chromium)"):
            pdf_path = print_pdf(html_path, out / PDF_NAME)
    return ReportOutputs(out, tables_dir, tuple(figure_paths), html_path, pdf_path)


def write_report(
    results: Any,
    out_dir: str | os.PathLike[str],
    *,
    pdf: bool = True,
    meta: Mapping[str, Any] | None = None,
    tables: bool = True,
    console: Console | None = None,
    lang: str = "en",
) -> ReportOutputs:
    """Write tables, figures, ``report.html`` and (if ``pdf``) ``report.pdf`` into ``out_dir``.

    ``tables`` writes the machine-readable tables with :func:`gvhdtrial.analysis.write_tables`
    (always in English: they are data). ``lang`` (``en`` or ``zh``) is the language of the
    HTML, the PDF and the figures.
    Raises :class:`gvhdtrial.report.ChromiumNotFoundError` when a PDF is asked for and there is
    no Chromium; everything else has been written by then.
    """
    progress = _progress(console)
    steps = _Steps(progress)
    with language(check_language(lang)):
        if progress is None:
            return _write_report(results, Path(out_dir), steps, pdf=pdf, meta=meta, tables=tables)
        with progress:
            return _write_report(results, Path(out_dir), steps, pdf=pdf, meta=meta, tables=tables)


def trial_meta(trial: Any, data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """What the report's title block says about the data set."""
    info = trial.info
    meta: dict[str, Any] = {
        N_("Trial"): f"{info.title} ({info.trial_id})",
        N_("Data set"): Path(data_dir).name,
        N_("Data cut-off"): info.data_cutoff_date.isoformat(),
        N_("Blinded"): N_("yes") if info.blinded else N_("no"),
    }
    if info.generator:
        version = f" {info.generator_version}" if info.generator_version else ""
        seed = f", seed {info.seed}" if info.seed is not None else ""
        meta[N_("Generated by")] = f"{info.generator}{version}{seed}"
    meta[N_("Statement")] = info.statement
    return meta


#: Written beside an export by ``gvhdtrial export``: the trial definition versions in force and
#: the version each patient was randomized under (``gvhdtrial.web.trialdef``).
DEFINITION_VERSIONS_FILE = "definition_versions.json"


def definition_meta(definition: Any, data_dir: str | os.PathLike[str]) -> dict[str, str]:
    """What the report says about the trial definition(s) the data were interpreted under."""
    meta = {
        N_("Trial definition"): f"{definition.short_name} version {definition.version} "
        f"(sha256 {definition.sha256})"
    }
    path = Path(data_dir) / DEFINITION_VERSIONS_FILE
    if path.exists():
        import json
        from collections import Counter

        recorded = json.loads(path.read_text(encoding="utf-8"))
        counts = Counter(recorded.get("patients", {}).values())
        meta[N_("Definition versions in force")] = "; ".join(
            f"#{v['number']} {v['short_name']} {v['version']} (sha256 {v['sha256'][:12]}, from "
            f"{v['in_force_from'][:10]}): {counts.get(v['number'], 0)} patient(s) randomized"
            for v in recorded.get("versions", [])
        )
    return meta


def build_report(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    pdf: bool = True,
    console: Console | None = None,
    definition: Any = None,
    lang: str = "en",
    on_step: Callable[[str], None] | None = None,
) -> ReportOutputs:
    """Load the trial in ``data_dir``, analyse it under ``definition`` (its analysis plan; default
    the trial the installation runs, :func:`gvhdtrial.trial.current_definition`), and write the
    whole report into ``out_dir`` in ``lang`` (``en`` or ``zh``; the tables' CSV and JSON stay
    in English). ``on_step`` is called with each step's description as it starts
    (:data:`BUILD_STEPS`)."""
    from gvhdtrial.analysis import analyse
    from gvhdtrial.data import load_trial
    from gvhdtrial.trial import current_definition

    definition = definition or current_definition()

    check_language(lang)
    progress = _progress(console)
    steps = _Steps(progress, on_step)

    def run() -> ReportOutputs:
        with steps.step("Load and validate trial data"):
            trial = load_trial(data_dir)
        with steps.step("Analyse (populations, endpoints, tables, models)"):
            results = analyse(trial, definition.analysis_config, definition.eligibility)
        meta = {**trial_meta(trial, data_dir), **definition_meta(definition, data_dir)}
        with language(lang):
            return _write_report(results, Path(out_dir), steps, pdf=pdf, meta=meta, tables=True)

    if progress is None:
        return run()
    with progress:
        return run()
