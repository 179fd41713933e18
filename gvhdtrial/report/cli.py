"""``gvhdtrial report``: the whole report from a data folder, with a progress display."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.command("report")
def report_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Trial data folder (CSV tables + trial.json), e.g. data/reference.",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Output folder: tables/, figures/, report.html, report.pdf."),
    ],
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf/--no-pdf",
            help="Print report.pdf with headless Chromium (/usr/bin/chromium).",
        ),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    trial: Annotated[
        Path | None,
        typer.Option(
            "--trial",
            help="Trial definition (default: the version in force at export when DATA holds "
            "definition_versions.json, else $GVHDTRIAL_TRIAL or phase 2).",
        ),
    ] = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the HTML, PDF and figures: en or zh (the CSV tables stay English).",
        ),
    ] = "en",
) -> None:
    """Analyse a trial data set and write the report: tables, figures, HTML and PDF."""
    from gvhdtrial.data import TrialDataError
    from gvhdtrial.i18n import LANGUAGES
    from gvhdtrial.report.build import build_report
    from gvhdtrial.report.pdf import PdfError
    from gvhdtrial.trial import TrialDefinitionError, load_definition

    console = Console(stderr=True)
    if lang not in LANGUAGES:
        console.print(f"[red]error:[/] --lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
        raise typer.Exit(2)
    try:
        # default: the version in force at export (definition_versions.json in DATA), else
        # $GVHDTRIAL_TRIAL or phase 2
        definition = load_definition(trial) if trial is not None else None
    except TrialDefinitionError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    try:
        outputs = build_report(
            data,
            out,
            pdf=pdf,
            console=None if quiet else console,
            definition=definition,
            lang=lang,
        )
    except TrialDataError as exc:
        console.print(f"[red]error:[/] the data in {data} do not load:\n{exc}")
        raise typer.Exit(2) from exc
    except TrialDefinitionError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    except PdfError as exc:
        console.print(
            f"[red]error:[/] {exc}\n(tables, figures and {out / 'report.html'} were written; "
            "use --no-pdf to skip the PDF)"
        )
        raise typer.Exit(1) from exc
    console.print(f"tables:  {outputs.tables_dir}")
    console.print(f"figures: {out / 'figures'} ({len(outputs.figures)} files)")
    console.print(f"html:    {outputs.html}")
    if outputs.pdf is not None:
        console.print(f"pdf:     {outputs.pdf}")
