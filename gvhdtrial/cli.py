"""The ``gvhdtrial`` command line.

Each area of the system registers its own sub-command group here; the commands themselves are
thin wrappers over the core packages.
"""

from __future__ import annotations

import typer

from gvhdtrial import __version__

app = typer.Typer(
    name="gvhdtrial",
    help=(
        "Run and analyse randomized trials for steroid-refractory acute GVHD: protocol engine, "
        "central randomization, blinded supply, data capture and the statistical analysis."
    ),
    no_args_is_help=True,
    add_completion=False,
)

from gvhdtrial.randomization.cli import app as _randomization_app  # noqa: E402

app.add_typer(_randomization_app, name="randomization")

from gvhdtrial.data.cli import app as _data_app  # noqa: E402

app.add_typer(_data_app, name="data")

from gvhdtrial.trial_cli import app as _trial_app  # noqa: E402

app.add_typer(_trial_app, name="trial")

from gvhdtrial.report.cli import report_command  # noqa: E402

app.command("report")(report_command)

from gvhdtrial.web.cli import audit_app as _audit_app  # noqa: E402
from gvhdtrial.web.cli import serve as _serve  # noqa: E402
from gvhdtrial.web.cli import web_app as _web_app  # noqa: E402

app.add_typer(_web_app, name="web")
app.add_typer(_audit_app, name="audit")
app.command("serve")(_serve)

from gvhdtrial.web.cli import export_command as _export  # noqa: E402
from gvhdtrial.web.cli import import_command as _import  # noqa: E402

app.command("import")(_import)
app.command("export")(_export)

from gvhdtrial.design.cli import app as _design_app  # noqa: E402

app.add_typer(_design_app, name="design")


@app.command()
def version() -> None:
    """Print the gvhdtrial version."""
    typer.echo(__version__)


@app.command()
def demo() -> None:
    """Stage, grade and assess a worked example patient with the protocol engine."""
    from gvhdtrial.protocol.demo import print_worked_example

    print_worked_example()


if __name__ == "__main__":  # pragma: no cover
    app()
