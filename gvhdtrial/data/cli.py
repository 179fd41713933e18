"""``gvhdtrial data ...``: validate a trial folder, write the data dictionary.

A typer sub-app, mounted by ``gvhdtrial/cli.py`` with ``app.add_typer(data_app, name="data")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="data",
    help="The trial data: validate a folder, write the dictionary.",
    no_args_is_help=True,
)


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="Folder of <table>.csv files + trial.json")],
) -> None:
    """Load and validate a trial folder; list every problem (exit status 1) or summarize it."""
    from gvhdtrial.data.loader import TrialDataError, load_trial

    try:
        data = load_trial(folder)
    except TrialDataError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    info = data.info
    typer.echo(f"{folder}: valid trial data for {info.trial_id} (cut-off {info.data_cutoff_date})")
    if info.synthetic:
        typer.echo(f"  {info.statement}")
    typer.echo("  blinded: no arm column" if data.blinded else "  unblinded: arms present")
    for name, frame in data.tables().items():
        typer.echo(f"  {name}: {len(frame)} rows")


@app.command()
def dictionary(
    out: Annotated[Path, typer.Option(help="Folder to write into")] = Path("docs"),
) -> None:
    """Write data_dictionary.csv and data_dictionary.md from the data model."""
    from gvhdtrial.data.dictionary import write_dictionary

    for path in write_dictionary(out):
        typer.echo(str(path))
