"""``gvhdtrial serve``, ``gvhdtrial web ...``, ``gvhdtrial audit verify|reconcile|checkpoint``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gvhdtrial.web.audit.chain import VerifyResult
    from gvhdtrial.web.audit.reconcile import Replay

web_app = typer.Typer(help="The web service: set-up, tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
schedule_app = typer.Typer(
    help="The service's randomization schedule (the unblinded statistician's commands).",
    no_args_is_help=True,
)
web_app.add_typer(schedule_app, name="schedule")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvhdtrial.web.settings")
    import django

    django.setup()


def migrate_and_seed(
    quiet: bool = False, slots_per_stratum: int = 400, kits_per_site: int = 20
) -> dict[str, str]:
    setup_django()
    from django.core.management import call_command

    from gvhdtrial.web.seed import SeedConfig, seed

    call_command("migrate", verbosity=0 if quiet else 1, interactive=False)
    return seed(
        SeedConfig(slots_per_stratum=slots_per_stratum, kits_per_site_per_arm=kits_per_site)
    )


def print_credentials(creds: dict[str, str], url: str) -> None:
    from gvhdtrial.web.seed import DEMO_USERS

    typer.echo(f"\ngvhdtrial service at {url}  (OpenAPI schema: {url}api/openapi.json)")
    typer.echo("Demo users (synthetic data; demo passwords generated on first run):")
    for username, role, site in DEMO_USERS:
        where = f" at {site}" if site else ""
        typer.echo(f"  {username:<13} {creds[username]:<14} {role.label}{where}")
    typer.echo("")


@web_app.command("seed")
def seed_command(
    slots_per_stratum: Annotated[int, typer.Option(help="Schedule slots per centre.")] = 400,
    kits_per_site: Annotated[int, typer.Option(help="Kits per centre and arm.")] = 20,
    quiet: bool = False,
) -> None:
    """Migrate the database and create the trial's centres, demo users, schedule and kits."""
    from gvhdtrial.web.errors import ServiceError

    try:
        creds = migrate_and_seed(quiet, slots_per_stratum, kits_per_site)
    except ServiceError as exc:  # e.g. another trial definition than the one in force
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    print_credentials(creds, "http://127.0.0.1:8000/")


token_app = typer.Typer(help="API bearer tokens: create, list, revoke.", no_args_is_help=True)
web_app.add_typer(token_app, name="token")
OPERATOR = "operator (command line)"


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="User to issue an API bearer token for.")],
    days: Annotated[int | None, typer.Option(help="Lifetime in days (default 90).")] = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Issue an API bearer token (printed once; only its hash is stored; audited)."""
    setup_django()
    from django.contrib.auth import get_user_model

    from gvhdtrial.web.errors import ServiceError
    from gvhdtrial.web.sites.accounts import issue_token

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        typer.echo(f"No user {username!r}.", err=True)
        raise typer.Exit(2)
    try:
        typer.echo(issue_token(user, by=OPERATOR, label=label, days=days))
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None


@token_app.command("list")
def token_list(
    username: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
) -> None:
    """Every token: id, user, label, created, expires, state (expired ones are marked first)."""
    setup_django()
    from gvhdtrial.web.sites.accounts import expire_tokens
    from gvhdtrial.web.sites.models import ApiToken

    expire_tokens(by=OPERATOR)
    qs = ApiToken.objects.select_related("user").order_by("id")
    if username:
        qs = qs.filter(user__username=username)
    for t in qs:
        typer.echo(
            f"{t.pk}\t{t.user.get_username()}\t{t.label}\t{t.created_at:%Y-%m-%d %H:%M}\t"
            f"{t.expires_at:%Y-%m-%d %H:%M}\t{t.state}"
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="Token id (see `token list`).")],
    reason: Annotated[str, typer.Option(help="Why (recorded).")] = "revoked by the operator",
) -> None:
    """Revoke a token: it is refused (401) from now on; audited."""
    setup_django()
    from gvhdtrial.web.errors import ServiceError
    from gvhdtrial.web.sites.accounts import revoke_token

    try:
        revoke_token(token_id, by=OPERATOR, reason=reason)
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Token {token_id} revoked.")


@web_app.command("user")
def user_command(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="investigator, pharmacist, data_manager, ...")],
    site: Annotated[str | None, typer.Option(help="Site code (site roles).")] = None,
) -> None:
    """Create a user (audited) with a generated password; print the password and an API token."""
    setup_django()
    from gvhdtrial.web.errors import ServiceError
    from gvhdtrial.web.sites.accounts import create_user, issue_token
    from gvhdtrial.web.sites.roles import Role

    try:
        user, password = create_user(username, Role(role), site, by=OPERATOR)
    except (ServiceError, ValueError) as exc:
        typer.echo(getattr(exc, "message", str(exc)), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"password: {password}")
    typer.echo(issue_token(user, by=OPERATOR, label="cli"))


@schedule_app.command("load")
def schedule_load_command(
    csv_file: Annotated[Path, typer.Argument(help="Schedule CSV made elsewhere (e.g. SAS).")],
    username: Annotated[str, typer.Option(help="The statistician loading it.")] = "statistician",
) -> None:
    """Validate a schedule made elsewhere and load it (sealed) as the active schedule; any
    problem (file, row, field, value, expectation) loads nothing and exits 1."""
    setup_django()
    from django.contrib.auth import get_user_model

    from gvhdtrial.randomization import ScheduleProblems
    from gvhdtrial.web.errors import ServiceError
    from gvhdtrial.web.randomization.services import load_external_schedule
    from gvhdtrial.web.sites.auth import actor_for

    actor = actor_for(get_user_model().objects.get(username=username))
    try:
        stored = load_external_schedule(actor, csv_file.read_bytes(), str(csv_file))
    except (ScheduleProblems, ServiceError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"loaded schedule {stored.pk} from {csv_file} ({stored.slots.count()} slots)")


@schedule_app.command("generate")
def schedule_generate_command(
    seed: Annotated[
        int | None, typer.Option(help="Seed entered by the statistician; default a CSPRNG seed.")
    ] = None,
    per_stratum: Annotated[int, typer.Option(help="Slots per stratum (whole blocks).")] = 400,
    block_sizes: Annotated[str, typer.Option(help="Block sizes, e.g. 2,4.")] = "2,4",
    username: Annotated[str, typer.Option(help="The statistician generating it.")] = "statistician",
) -> None:
    """Generate a new schedule for every stratum (fresh seed unless one is entered) and make it
    the active one; refused once patients are randomized on the active schedule."""
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from gvhdtrial.randomization import ScheduleParams, fresh_seed, generate_schedule
    from gvhdtrial.web.randomization.models import Slot
    from gvhdtrial.web.randomization.services import import_schedule
    from gvhdtrial.web.seed import service_strata
    from gvhdtrial.web.sites.auth import actor_for
    from gvhdtrial.web.sites.models import Site

    if Slot.objects.filter(patient__isnull=False, schedule__active=True).exists():
        typer.echo("patients are randomized on the active schedule: not replaced", err=True)
        raise typer.Exit(1)
    codes = tuple(Site.objects.order_by("code").values_list("code", flat=True))
    params = ScheduleParams(
        seed=fresh_seed() if seed is None else seed,
        strata=service_strata(codes),
        slots_per_stratum=per_stratum,
        arms=tuple(settings.GVHDTRIAL["arms"]),
        block_sizes=tuple(int(b) for b in block_sizes.split(",") if b.strip()),
    )
    actor = actor_for(get_user_model().objects.get(username=username))
    stored = import_schedule(actor, generate_schedule(params))
    typer.echo(f"generated schedule {stored.pk}: {stored.slots.count()} slots (seed sealed)")


@schedule_app.command("export")
def schedule_export_command(
    out: Annotated[Path, typer.Option(help="Folder for schedule.csv and schedule.meta.json.")],
    username: Annotated[str, typer.Option(help="The statistician exporting it.")] = "statistician",
) -> None:
    """Write the active schedule and its seed and parameters for the trial master file (files
    0600: they unblind the trial)."""
    setup_django()
    import json

    from django.contrib.auth import get_user_model

    from gvhdtrial.web.randomization.services import schedule_export
    from gvhdtrial.web.sites.auth import actor_for

    _, meta, csv = schedule_export(actor_for(get_user_model().objects.get(username=username)))
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, data in (
        ("schedule.csv", csv),
        ("schedule.meta.json", (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode()),
    ):
        path = out / name
        path.write_bytes(data)
        path.chmod(0o600)
    typer.echo(f"wrote {out / 'schedule.csv'} and {out / 'schedule.meta.json'}")


@web_app.command("check")
def check_command() -> None:
    """Print the allocation consistency report as JSON; exit 1 if anything is inconsistent."""
    setup_django()
    import json

    from gvhdtrial.web.randomization.integrity import allocation_report

    report = allocation_report()
    typer.echo(json.dumps(report, sort_keys=True))
    if not report["ok"]:
        raise typer.Exit(1)


@web_app.command("load-users")
def load_users_command() -> None:
    """Create one investigator per centre plus the statistician's token; print JSON tokens."""
    setup_django()
    import json

    from django.contrib.auth import get_user_model

    from gvhdtrial.web.seed import DEMO_USERS, ensure_user
    from gvhdtrial.web.sites.models import ApiToken, Site
    from gvhdtrial.web.sites.roles import Role

    tokens: dict[str, str] = {}
    for code in Site.objects.values_list("code", flat=True):
        user = ensure_user(f"load_{code.lower()}", Role.INVESTIGATOR, code, "")
        tokens[code] = ApiToken.issue(user, label="load", by="load-users")
    for username, *_ in DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        tokens[f"user:{username}"] = ApiToken.issue(user, label="load", by="load-users")
    tokens["statistician"] = tokens["user:statistician"]
    typer.echo(json.dumps(tokens))


def _verify_with_progress(against: list[Path], replay: Replay | None = None) -> VerifyResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from gvhdtrial.web.audit.chain import verify_chain

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), transient=True, disable=not sys.stderr.isatty(),
    ) as bar:  # fmt: skip
        task = bar.add_task("recomputing the audit chain", total=None)
        return verify_chain(
            against=against, progress=lambda done, total: bar.update(task, completed=done,
                                                                     total=total),
            on_row=replay.add if replay is not None else None,
        )  # fmt: skip


@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        list[Path] | None,
        typer.Option(help="An exported checkpoint file to check the trail against as well."),
    ] = None,
    reconcile_tables: Annotated[
        bool, typer.Option("--reconcile/--no-reconcile", help="Also reconcile the tables.")
    ] = True,
    unblinded: Annotated[
        bool,
        typer.Option(help="Show blinded values (unsealed) in differences: the statistician."),
    ] = False,
) -> None:
    """Recompute the audit hash chain, check it against the signed checkpoints kept outside the
    database, and reconcile every audited table with the trail. Exit 1 on any problem: changed,
    removed or re-chained rows, truncation, forged checkpoints, or a table row that differs from
    the trail's last word. Rows after the last checkpoint are reported as a warning."""
    setup_django()
    from gvhdtrial.web.audit.reconcile import Replay

    replay = Replay() if reconcile_tables else None  # the trail replayed in the same pass
    result = _verify_with_progress(list(against or []), replay)
    failed = False
    if result.ok:
        typer.echo(
            f"OK: audit chain intact ({result.rows} rows; {result.checkpoints} signed "
            f"checkpoints agree, anchored up to seq {result.anchored_seq})"
        )
    else:
        failed = True
        typer.echo(f"BROKEN: {len(result.problems)} problem(s) in {result.rows} rows checked")
        for problem in result.problems:
            typer.echo(f"  {problem}")
    for warning in result.warnings:
        typer.echo(f"WARNING: {warning}")
    if reconcile_tables and not _reconcile(blinded=not unblinded, replay=replay):
        failed = True
    if failed:
        raise typer.Exit(1)


def _reconcile(blinded: bool, replay: Replay | None = None) -> bool:
    from gvhdtrial.web.audit.reconcile import reconcile

    r = reconcile(blinded=blinded, replayed=replay)
    if r.ok:
        typer.echo(f"OK: {r.rows} rows of {len(r.tables)} tables agree with the trail's last word")
    else:
        typer.echo(f"DIFFERENT: {len(r.differences)} table value(s) differ from the trail")
        for line in r.problems:
            typer.echo(f"  {line}")
    for label in r.unknown:
        typer.echo(f"WARNING: the trail names {label}, which no longer exists")
    return r.ok


@audit_app.command("reconcile")
def audit_reconcile(
    unblinded: Annotated[
        bool,
        typer.Option(help="Show blinded values (unsealed) in differences: the statistician."),
    ] = False,
) -> None:
    """Replay the trail and compare it with every audited table (table, record, field, stored
    and audited value); exit 1 on any difference."""
    setup_django()
    if not _reconcile(blinded=not unblinded):
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    export: Annotated[
        Path | None,
        typer.Option(help="Also write every signed checkpoint and the public key to this file."),
    ] = None,
) -> None:
    """Sign the current chain head after verifying the chain (anchors rows left unanchored by a
    crash), and optionally export the checkpoints for the trial master file."""
    setup_django()
    from gvhdtrial.web.audit import checkpoints

    result = _verify_with_progress([])
    if not result.ok:
        typer.echo("The chain does not verify: nothing signed. Run `gvhdtrial audit verify`.")
        raise typer.Exit(1)
    seq, head = result.head
    if seq and result.unanchored:
        checkpoints.append(seq, head)
        typer.echo(f"Signed checkpoint of seq {seq} appended to {checkpoints.checkpoints_path()}")
    else:
        typer.echo(f"Seq {seq} is already anchored by a signed checkpoint.")
    if export is not None:
        n = checkpoints.export(export)
        typer.echo(f"{n} signed checkpoints and the public key written to {export}")


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(help="gunicorn worker processes.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker.")] = 16,
    seed_demo: Annotated[bool, typer.Option("--seed/--no-seed", help="Seed demo data.")] = True,
) -> None:
    """Migrate, seed the demo (centres, users, schedule, kits) and serve with gunicorn."""
    if seed_demo:
        creds = migrate_and_seed(quiet=True)
        print_credentials(creds, f"http://{host}:{port}/")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvhdtrial.web.settings")
    args = [
        sys.executable, "-m", "gunicorn", "gvhdtrial.web.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--access-logfile", "-", "--graceful-timeout", "5",
    ]  # fmt: skip
    sys.stdout.flush()
    os.execv(sys.executable, args)


def import_command(
    folder: Annotated[Path, typer.Argument(help="Trial data folder (CSV tables + trial.json).")],
    user: Annotated[str, typer.Option(help="Account the import is audited under.")] = "admin",
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the service already holds a trial.")
    ] = False,
) -> None:
    """Import a trial data folder: validated first, then all rows in one audited transaction."""
    setup_django()
    from gvhdtrial.web.capture.imports import ImportRejected, import_trial, service_holds_trial

    if if_empty and service_holds_trial():
        typer.echo("The service already holds a trial; nothing imported.")
        return
    try:
        log = import_trial(folder, user)
    except ImportRejected as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    counts = ", ".join(f"{n} {t}" for t, n in log.counts.items())
    typer.echo(f"Imported {log.trial_id} from {folder}: {counts}.")


def export_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (replaced if it exists).")],
    blinded: Annotated[
        bool, typer.Option("--blinded", help="No arm column; trial.json blinded=true.")
    ] = False,
    user: Annotated[
        str, typer.Option(help="Account the export is logged under (unblinded: a statistician).")
    ] = "statistician",
) -> None:
    """Export the configured database as a trial data folder (``gvhdtrial report`` reads it)."""
    setup_django()
    from gvhdtrial.web.capture.exports import export_trial
    from gvhdtrial.web.sites.models import Membership
    from gvhdtrial.web.sites.roles import Role

    role = Membership.objects.filter(user__username=user).values_list("role", flat=True).first()
    if role is None:
        typer.echo(f"No user {user!r} with a role.", err=True)
        raise typer.Exit(2)
    if not blinded and role != Role.STATISTICIAN:
        typer.echo("Only a statistician's export holds arms: pass --blinded.", err=True)
        raise typer.Exit(2)
    log = export_trial(None, out, blinded=blinded, username=user)  # with definition_versions.json
    kind = "blinded" if blinded else "unblinded"
    typer.echo(f"Exported ({kind}) to {log.destination}")
