"""``gvhdtrial randomization ...``: generate a schedule to CSV from the command line.

The CSV holds the allocations, so it is for the unblinded statistician only; a JSON file beside
it (``<out>.meta.json``) records the seed, parameters, software version and SHA-256 digest.
Without ``--seed`` the seed is drawn from the operating system's CSPRNG (never a constant).
``validate`` checks a schedule made elsewhere (e.g. in SAS) before it is loaded.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import typer

from gvhdtrial.randomization.schedule import (
    ScheduleError,
    ScheduleParams,
    ScheduleProblems,
    fresh_seed,
    generate_schedule,
    stratum_key,
    validate_schedule_csv,
)

app = typer.Typer(help="Central randomization schedules.", no_args_is_help=True)


def _ints(text: str, sep: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(sep) if p.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: expected integers separated by {sep!r}") from exc


def _strata(centres: list[str], factors: list[str]) -> tuple[str, ...]:
    parsed: list[tuple[str, list[str]]] = []
    for f in factors:
        name, sep, levels = f.partition("=")
        if not sep or not name or not levels:
            raise typer.BadParameter(f"factor {f!r}: expected NAME=LEVEL1,LEVEL2")
        parsed.append((name, [lv for lv in levels.split(",") if lv]))
    combos = itertools.product(*(levels for _, levels in parsed)) if parsed else [()]
    combos = list(combos)
    return tuple(
        stratum_key(c, [(name, lv) for (name, _), lv in zip(parsed, combo, strict=True)])
        for c in centres
        for combo in combos
    )


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="CSV file to write; metadata goes to OUT.meta.json")],
    seed: Annotated[
        int | None,
        typer.Option(help="Seed entered by the statistician; default a fresh CSPRNG seed."),
    ] = None,
    centre: Annotated[
        list[str] | None,
        typer.Option("--centre", help="Centre code (repeat); default the trial's centres."),
    ] = None,
    factor: Annotated[
        list[str] | None,
        typer.Option(help="Extra stratification factor NAME=LEVEL1,LEVEL2 (repeat)."),
    ] = None,
    per_stratum: Annotated[int, typer.Option(help="Slots per stratum (whole blocks).")] = 100,
    ratio: Annotated[str | None, typer.Option(help="Allocation ratio, e.g. 1:1.")] = None,
    block_sizes: Annotated[str | None, typer.Option(help="Block sizes, e.g. 2,4.")] = None,
    arms: Annotated[str | None, typer.Option(help="Arm labels in ratio order.")] = None,
    trial: Annotated[
        Path | None,
        typer.Option(help="Trial definition supplying the defaults ($GVHDTRIAL_TRIAL, phase 2)."),
    ] = None,
) -> None:
    """Generate a stratified permuted-block schedule and write it as canonical CSV.

    Arms, ratio, block sizes and centres default to the trial definition's."""
    from gvhdtrial.trial import current_definition, load_definition

    d = load_definition(trial) if trial is not None else current_definition()
    arms = arms or ",".join(d.arm_codes)
    ratio = ratio or ":".join(map(str, d.ratio))
    block_sizes = block_sizes or ",".join(map(str, d.block_sizes))
    try:
        params = ScheduleParams(
            seed=fresh_seed() if seed is None else seed,
            strata=_strata(centre or [c.code for c in d.centres], factor or []),
            slots_per_stratum=per_stratum,
            arms=tuple(a.strip() for a in arms.split(",") if a.strip()),
            ratio=_ints(ratio, ":"),
            block_sizes=_ints(block_sizes, ","),
        )
    except ScheduleError as exc:
        raise typer.BadParameter(str(exc)) from exc
    schedule = generate_schedule(params)
    out.write_bytes(schedule.to_csv_bytes())
    meta = out.with_name(out.name + ".meta.json")
    meta.write_text(schedule.metadata_json(), encoding="utf-8")
    meta.chmod(0o600)
    out.chmod(0o600)
    typer.echo(f"wrote {len(schedule.slots)} slots in {len(params.strata)} strata to {out}")
    typer.echo(f"metadata: {meta}")
    typer.echo(f"sha256: {schedule.sha256}")


@app.command()
def verify(
    csv_file: Annotated[Path, typer.Argument(help="A schedule CSV written by `generate`.")],
) -> None:
    """Regenerate the schedule from its recorded metadata and compare the bytes."""
    import json

    meta = json.loads(csv_file.with_name(csv_file.name + ".meta.json").read_text("utf-8"))
    params = ScheduleParams(
        seed=int(meta["seed"]),
        strata=tuple(meta["strata"]),
        slots_per_stratum=int(meta["slots_per_stratum"]),
        arms=tuple(meta["arms"]),
        ratio=tuple(meta["ratio"]),
        block_sizes=tuple(meta["block_sizes"]),
    )
    regenerated = generate_schedule(params).to_csv_bytes()
    if regenerated != csv_file.read_bytes():
        typer.echo("MISMATCH: the file differs from the schedule its metadata regenerates")
        raise typer.Exit(1)
    typer.echo(f"OK: regenerated bytes identical (sha256 {meta['sha256']})")


@app.command()
def validate(
    csv_file: Annotated[Path, typer.Argument(help="A schedule CSV made elsewhere (e.g. SAS).")],
    arms: Annotated[str, typer.Option(help="Arm labels in ratio order.")] = "MSC,placebo",
    ratio: Annotated[str, typer.Option(help="Allocation ratio, e.g. 1:1 or 2:1.")] = "1:1",
    stratum: Annotated[
        list[str] | None,
        typer.Option("--stratum", help="Allowed stratum key (repeat); default any."),
    ] = None,
) -> None:
    """Check a schedule file: positions, arms, block balance, strata; every problem named."""
    try:
        slots = validate_schedule_csv(
            csv_file.read_bytes(), str(csv_file),
            tuple(a.strip() for a in arms.split(",") if a.strip()), _ints(ratio, ":"),
            tuple(stratum) if stratum else None,
        )  # fmt: skip
    except ScheduleProblems as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    n_strata = len({s.stratum for s in slots})
    typer.echo(f"OK: {len(slots)} slots in {n_strata} strata, balanced blocks, no gaps")
