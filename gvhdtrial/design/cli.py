"""``gvhdtrial design``: plan a trial from a TOML scenario (boundaries, sample size,
operating characteristics) and print or write the design report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@app.command("report")
def report_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), see docs/design.md.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for design_report.html.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the page and figures: en or zh.")
    ] = "en",
) -> None:
    """Write the design report (HTML, with CSV tables) for a scenario."""
    from gvhdtrial.design.report import ScenarioError, build_report, load_scenario
    from gvhdtrial.i18n import LANGUAGES

    console = Console(stderr=True)
    if lang not in LANGUAGES:
        typer.echo(f"error: --lang {lang!r}: expected one of {', '.join(LANGUAGES)}", err=True)
        raise typer.Exit(code=2)
    try:
        sc = load_scenario(scenario)
        path = build_report(sc, out, progress=not quiet, lang=lang)
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    if not quiet:
        console.print(f"wrote {path}")


@app.command("show")
def show_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
) -> None:
    """Print the boundaries and the sample size of each assumed effect."""
    from gvhdtrial.design.rates import sample_size_rates
    from gvhdtrial.design.report import ScenarioError, design_of, load_scenario

    console = Console()
    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    design = design_of(sc)
    console.print(design.summary())
    for e in sc.effects:
        plan = sample_size_rates(
            design,
            pi1=e["pi1"],
            pi2=e["pi2"],
            allocation_ratio_planned=e.get("allocation_ratio_planned", 1.0),
        )
        console.print(f"\n[bold]{e['name']}[/bold]\n{plan.summary()}")
