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
BUILD_STEPS = (  # marked for the catalogue: the web page shows the step in its language
    N_("Load and validate trial data"),
    N_("Analyse (populations, endpoints, tables, models)"),
    N_("Write tables (CSV, JSON)"),
    N_("Draw figures (PNG, SVG)"),
    N_("Write HTML report"),
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


#: Written into an export (``gvhdtrial.web.capture.exports.export_trial``): every trial
#: definition version in force (number, version, SHA-256, date, text) and the version each
#: patient was randomized under (``gvhdtrial.web.trialdef``).
DEFINITION_VERSIONS_FILE = "definition_versions.json"


@dataclass(frozen=True)
class DefinitionVersions:
    """``definition_versions.json`` read and checked: each version's definition (its text
    re-parsed, its SHA-256 re-computed), and each patient's version number."""

    path: Path
    versions: Mapping[int, Any]  # number -> TrialDefinition
    recorded: tuple[Mapping[str, Any], ...]  # the file's entries, in order
    patients: Mapping[str, int]

    @property
    def latest(self) -> Any:
        """The version in force when the data were exported."""
        return self.versions[max(self.versions)]

    def label(self, number: int) -> str:
        entry = next(v for v in self.recorded if v["number"] == number)
        return f"#{number} {entry['short_name']} {entry['version']}"

    def interpretation(self, trial_wide: Any) -> Any:
        """Each patient under the version in force at randomization; the analysis plan from
        ``trial_wide`` (:class:`gvhdtrial.analysis.interpretation.Interpretation`)."""
        from gvhdtrial.analysis.interpretation import Interpretation

        return Interpretation.by_patient(
            trial_wide,
            {pid: self.versions[n] for pid, n in self.patients.items()},
            {pid: self.label(n) for pid, n in self.patients.items()},
        )


def read_definition_versions(data_dir: str | os.PathLike[str]) -> DefinitionVersions | None:
    """``data_dir``'s :data:`DEFINITION_VERSIONS_FILE`, checked (None when there is none).

    Raises :class:`gvhdtrial.trial.TrialDefinitionError` naming the file and the version when a
    version has no text, its text does not hash to its recorded SHA-256 (an altered
    definition would silently re-read patients' data), it is not a valid definition, or a
    patient names a version the file does not hold."""
    import hashlib
    import json

    from gvhdtrial.trial import TrialDefinitionError, parse_definition

    path = Path(data_dir) / DEFINITION_VERSIONS_FILE
    if not path.exists():
        return None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        entries = tuple(recorded["versions"])
        patients = {str(k): int(v) for k, v in recorded.get("patients", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TrialDefinitionError(
            str(path), [f"{path}: not a definition versions file: {exc}"]
        ) from None
    problems: list[str] = []
    versions: dict[int, Any] = {}
    for entry in entries:
        number, text = entry.get("number"), entry.get("text")
        where = f"{path}: versions[number={number}]"
        if not isinstance(text, str):
            problems.append(f"{where}: text: missing (export again with this gvhdtrial)")
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest != entry.get("sha256"):
            problems.append(
                f"{where}: text: its SHA-256 {digest[:12]} is not the recorded "
                f"{str(entry.get('sha256'))[:12]}: the definition was altered"
            )
            continue
        try:
            versions[int(number)] = parse_definition(text, f"{path} version {number}")
        except TrialDefinitionError as exc:
            problems.extend(exc.problems)
    for pid, number in sorted(patients.items()):
        if number not in versions and not problems:
            problems.append(f"{path}: patients.{pid}: version {number} is not in the file")
    if problems or not versions:
        raise TrialDefinitionError(str(path), problems or [f"{path}: versions: none recorded"])
    return DefinitionVersions(path, versions, entries, patients)


def interpretation_for(
    data_dir: str | os.PathLike[str], definition: Any = None
) -> tuple[Any, Any, DefinitionVersions | None]:
    """How the data in ``data_dir`` are analysed: the trial-wide definition (``definition``;
    default the version in force at export when ``data_dir`` holds
    :data:`DEFINITION_VERSIONS_FILE`, else :func:`gvhdtrial.trial.current_definition`), the
    analysis plan or, with the versions file, the
    :class:`~gvhdtrial.analysis.interpretation.Interpretation` reading each patient under the
    version in force at randomization, and the versions read (or None)."""
    from gvhdtrial.trial import current_definition

    versions = read_definition_versions(data_dir)
    definition = definition or (versions.latest if versions else current_definition())
    if versions is None:
        return definition, definition.analysis_config, None
    return definition, versions.interpretation(definition), versions


def definition_meta(
    definition: Any, data_dir: str | os.PathLike[str], versions: DefinitionVersions | None = None
) -> dict[str, str]:
    """What the report says about the trial definition(s) the data were interpreted under."""
    meta = {
        N_("Trial definition"): f"{definition.short_name} version {definition.version} "
        f"(sha256 {definition.sha256})"
    }
    versions = versions or read_definition_versions(data_dir)
    if versions is not None:
        from collections import Counter

        counts = Counter(versions.patients.values())
        meta[N_("Definition versions in force")] = "; ".join(
            f"#{v['number']} {v['short_name']} {v['version']} (sha256 {v['sha256'][:12]}, from "
            f"{v['in_force_from'][:10]}): {counts.get(v['number'], 0)} patient(s) randomized "
            "under it, their eligibility, refractoriness, staging and response read under it"
            for v in versions.recorded
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
    the version in force at export when ``data_dir`` holds :data:`DEFINITION_VERSIONS_FILE`,
    else the trial the installation runs, :func:`gvhdtrial.trial.current_definition`), and write
    the whole report into ``out_dir`` in ``lang`` (``en`` or ``zh``; the tables' CSV and JSON
    stay in English). With :data:`DEFINITION_VERSIONS_FILE`, each patient's eligibility,
    refractoriness, staging and response are read under the version in force at the patient's
    randomization (docs/trial_definition.md). ``on_step`` is called with each step's
    description as it starts (:data:`BUILD_STEPS`)."""
    from gvhdtrial.analysis import analyse
    from gvhdtrial.data import load_trial

    definition, rules, versions = interpretation_for(data_dir, definition)

    check_language(lang)
    progress = _progress(console)
    steps = _Steps(progress, on_step)

    def run() -> ReportOutputs:
        with steps.step("Load and validate trial data"):
            trial = load_trial(data_dir)
        with steps.step("Analyse (populations, endpoints, tables, models)"):
            results = analyse(trial, rules, definition.eligibility)
        meta = {**trial_meta(trial, data_dir), **definition_meta(definition, data_dir, versions)}
        with language(lang):
            return _write_report(results, Path(out_dir), steps, pdf=pdf, meta=meta, tables=True)

    if progress is None:
        return run()
    with progress:
        return run()
