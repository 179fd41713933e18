"""``gvhdtrial trial validate | show | diff``: the trial definition file on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gvhdtrial.trial import TrialDefinition, TrialDefinitionError, definition_diff, load_definition

app = typer.Typer(help="Validate, summarize and compare trial definition files (TOML).")

_LABELS = {
    "en": {
        "registry": "Registry",
        "version": "Definition version",
        "sha": "SHA-256",
        "arms": "Arms (ratio)",
        "strata": "Strata",
        "blocks": "Block sizes",
        "centres": "Centres",
        "eligibility": "Eligibility",
        "age": "age",
        "grade": "MAGIC grade from",
        "organs": "organ involvement required",
        "refractory": "Steroid refractoriness",
        "staging": "Staging / grading",
        "response": "Response",
        "visits": "response visits",
        "origin": "from",
        "window": "window +/-",
        "days": "days",
        "dcr": "DCR: CR >=",
        "within": "within",
        "dosing": "Dosing",
        "cells": "cells/kg per infusion",
        "bag": "cells per bag",
        "infusions": "infusions; after",
        "extended": "at day 28:",
        "schedule": "Visits",
        "primary": "Primary endpoint",
        "secondary": "Secondary",
        "sets": "Analysis sets",
        "pp": "PP = >=",
        "none": "none",
    },
    "zh": {
        "registry": "注册号",
        "version": "定义版本",
        "sha": "SHA-256",
        "arms": "组别（比例）",
        "strata": "分层",
        "blocks": "区组大小",
        "centres": "中心",
        "eligibility": "入组标准",
        "age": "年龄",
        "grade": "MAGIC 分度至少",
        "organs": "需累及器官",
        "refractory": "激素耐药定义",
        "staging": "分期 / 分度",
        "response": "疗效",
        "visits": "疗效评估访视",
        "origin": "起点",
        "window": "窗口 +/-",
        "days": "天",
        "dcr": "持续完全缓解：CR >=",
        "within": "于",
        "dosing": "给药",
        "cells": "细胞/kg 每次输注",
        "bag": "细胞每袋",
        "infusions": "次输注；第 28 天",
        "extended": "时延长至",
        "schedule": "访视",
        "primary": "主要终点",
        "secondary": "次要终点",
        "sets": "分析集",
        "pp": "符合方案集 = >=",
        "none": "无",
    },
}


def _load(path: Path) -> TrialDefinition:
    try:
        return load_definition(path)
    except TrialDefinitionError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="Trial definition TOML file")]) -> None:
    """Check FILE against the schema and the protocol's rules; every problem with its line."""
    d = _load(file)
    typer.echo(f"{file}: valid ({d.short_name} version {d.version}, sha256 {d.sha256})")


def summary(d: TrialDefinition, lang: str = "en") -> str:
    """A readable summary of a definition in English or Chinese."""
    if lang not in _LABELS:
        raise typer.BadParameter(f"--lang: {lang!r}; expected en or zh")
    t = _LABELS[lang]
    e, r, dose, v = d.eligibility, d.response_rule, d.dosing, d.raw["visits"]
    label = "label_en" if lang == "en" else "label_zh"
    arms = ", ".join(f"{getattr(a, label)} [{a.code}] ({a.ratio})" for a in d.arms)
    visits = ", ".join(f"{name} = {day}" for name, day in r.visits.items())
    lines = [
        d.title(lang),
        f"{t['registry']}: {d.registry_id}",
        f"{t['version']}: {d.version}   {t['sha']}: {d.sha256}",
        f"{t['arms']}: {arms}",
        f"{t['blocks']}: {', '.join(map(str, d.block_sizes))}   {t['strata']}: {len(d.strata())}",
        f"{t['centres']}: {', '.join(c.code for c in d.centres)}",
        f"{t['eligibility']}: {', '.join(e.criteria)}; {t['age']} {e.min_age_years}-"
        f"{e.max_age_years}; {t['grade']} {e.min_grade}; {t['organs']}: "
        f"{', '.join(e.required_organs) or t['none']}",
        f"{t['refractory']}: {d.raw['refractoriness']['definition']}",
        f"{t['staging']}: {d.raw['staging']['system']} / {d.raw['staging']['grading_system']}",
        f"{t['response']}: {r.rules}; {t['visits']} {visits} ({t['origin']} {r.time_origin}, "
        f"{t['window']}{r.window_days} {t['days']}); {t['dcr']}"
        f"{d.raw['response']['dcr_min_duration_days']} {t['days']} {t['within']} "
        f"{d.raw['response']['dcr_within_days']} {t['days']}",
        f"{t['dosing']}: {dose.cells_per_kg:.2e} {t['cells']}, {dose.cells_per_bag:.2e} "
        f"{t['bag']} ({dose.ml_per_bag} mL); {dose.planned_infusions} {t['infusions']} "
        f"{dose.extend_on_day28_response} {t['extended']} {dose.planned_infusions_extended}",
        f"{t['schedule']}: <= {v['frequent_until_day']}, <= {v['weekly_until_day']}, "
        f"{', '.join(map(str, v['late_days']))}",
        f"{t['primary']}: {d.primary_endpoint}   {t['secondary']}: "
        f"{', '.join(d.raw['endpoints']['secondary'])}",
        f"{t['sets']}: {', '.join(d.raw['analysis_sets']['sets'])}; {t['pp']}"
        f"{d.raw['analysis_sets']['pp_min_infusions']}",
    ]
    return "\n".join(lines)


@app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="Trial definition TOML file")],
    lang: Annotated[str, typer.Option("--lang", help="en or zh")] = "en",
) -> None:
    """A readable summary of FILE."""
    typer.echo(summary(_load(file), lang))


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The definition in force")],
    new: Annotated[Path, typer.Argument(help="The proposed definition")],
) -> None:
    """What changes from OLD to NEW, key by key (exit 0 either way)."""
    lines = definition_diff(_load(old), _load(new))
    typer.echo("\n".join(lines) if lines else "no change")


@app.command("amend")
def amend_command(
    file: Annotated[Path, typer.Argument(help="The amended trial definition TOML file")],
    user: Annotated[str, typer.Option(help="The amending user (administrator)")],
    reason: Annotated[str, typer.Option(help="Why the protocol is amended")],
) -> None:
    """Put an amended definition in force: e-signed (the user's password is asked again),
    audited, with what changed. The service must then run with the amended file."""
    from gvhdtrial.web.cli import setup_django

    d = _load(file)
    setup_django()
    from django.contrib.auth import get_user_model

    from gvhdtrial.web.errors import ServiceError
    from gvhdtrial.web.sites.auth import actor_for
    from gvhdtrial.web.trialdef.services import amend

    account = get_user_model().objects.filter(username=user).first()
    if account is None:
        typer.echo(f"--user: no user {user!r}", err=True)
        raise typer.Exit(1)
    password = typer.prompt(f"Password of {user} (e-signature)", hide_input=True)
    try:
        row = amend(actor_for(account), d.text, str(file), password, reason)
    except ServiceError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"in force: {row}\n{row.changes}")
