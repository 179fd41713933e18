"""Import a trial data folder into the service: validate first, then all rows in one write.

1. :func:`gvhdtrial.data.load_trial` validates the folder (every file/line/column problem at
   once); then the service's own checks (an empty trial database, enough centres, kit numbers
   not already in supply, weights to 0.1 kg, the screening verdict of the service agreeing with
   the analysis's) add their problems. Any problem rejects the import and nothing is written.
2. One :func:`gvhdtrial.web.gateway.write` transaction (reason ``import``) inserts everything with
   ``bulk_create`` and records every created field in the hash-chained audit trail.

Randomization: the imported rows become a new active schedule. Its used slots are exactly the
imported rows (stratum = the centre, sequence number, arm), allocated to their patients at noon
UTC of the randomization date and audited as allocations (so ``gvhdtrial web check`` holds);
after them each stratum continues with freshly generated permuted blocks (the previous
schedule's slots per stratum, a new seed from the operating system's CSPRNG, sealed with
the schedule) so the service can randomize new patients with new numbers. Arms are sealed.
The previous (unused) schedule is deactivated.

Supply: each kit number of ``infusions`` becomes a kit of the patient's arm, lot
``IMPORT-<trial>``, with the custody chain ship -> receive -> dispense -> infuse on the infusion
date, each step checked by the pure custody rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from gvhdtrial.data import TABLES, Problem, TrialData, TrialDataError, load_trial
from gvhdtrial.randomization import ScheduleParams, fresh_seed, generate_schedule
from gvhdtrial.randomization.schedule import Slot as CoreSlot
from gvhdtrial.supply import CustodyAction, CustodyEvent, KitState, KitStatus, apply_event
from gvhdtrial.web.blinding import schedule_record, seal_kit_arm
from gvhdtrial.web.capture import models as m
from gvhdtrial.web.capture.mapping import ANSWER_COLUMNS, ROW_MODELS, arm_to_service
from gvhdtrial.web.errors import ServiceError
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.patients.eligibility import ENGINE, clean_answers, evaluate
from gvhdtrial.web.patients.models import Consent, Patient, Screening
from gvhdtrial.web.randomization.models import Schedule, Slot
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.supply.models import CustodyEvent as CustodyRow
from gvhdtrial.web.supply.models import Kit

IMPORT_REASON = "import"
KIT_SHELF_LIFE = dt.timedelta(days=180)  # expiry of an imported kit after its infusion date


class ImportRejected(ServiceError):
    """The folder was not imported; ``problems`` lists why (nothing was written)."""

    status = 422
    code = "import_rejected"

    def __init__(self, folder: str | Path, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s) in {folder}; nothing was imported:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


def describe(problem: Problem) -> str:
    """A problem as shown to anyone: the value of an ``arm`` cell is never repeated."""
    if problem.column == "arm" and problem.value is not None:
        problem = Problem(
            problem.file,
            problem.line,
            problem.column,
            "(redacted)",
            problem.expected,
            problem.check,
        )
    return str(problem)


def _py(value: Any) -> Any:
    """A cell of a loaded frame as a plain Python value (None when missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows with their line in the file (the loader keeps file order; header = line 1)."""
    out = []
    for i, rec in enumerate(frame.to_dict("records")):
        row = {k: _py(v) for k, v in rec.items()}
        row["_line"] = i + 2
        out.append(row)
    return out


def file_digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@dataclass
class _Plan:
    """What will be written, worked out (and checked) before the transaction opens."""

    data: TrialData
    site_of: dict[str, Site]  # data site_id -> service centre
    answers: dict[str, dict[str, Any]]  # patient_id -> screening answers
    verdict: dict[str, tuple[bool, list[dict[str, str]]]]
    patient_site: dict[str, str]  # patient_id -> data site_id


def _screening_answers(data: TrialData) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Answers in the service's form (the engine's Candidate names) and the analysis verdict.

    The grade and steroid-refractoriness at screening are derived exactly as
    :func:`gvhdtrial.analysis.derive.screen_patients` derives them under the trial definition in
    force (its analysis plan and eligibility rules) (MAGIC stages of the last
    assessment up to consent, refractoriness of the steroid course as of then).
    """
    from gvhdtrial.analysis import derive
    from gvhdtrial.protocol import steroid_refractory_category
    from gvhdtrial.protocol.staging import ORGANS

    definition = settings.TRIAL_DEFINITION  # the trial the service runs (its analysis plan)
    config = definition.analysis_config
    staged = derive.stage_assessments(data.assessments, config)
    verdicts = derive.screen_patients(
        data.patients, data.steroid_doses, staged, config, definition.eligibility
    )
    staged_by = derive._by_patient(staged)
    doses_by = derive._by_patient(data.steroid_doses)
    answers: dict[str, dict[str, Any]] = {}
    for rec in data.patients.to_dict("records"):
        pid = str(rec["patient_id"])
        end = rec["consent_date"] if pd.notna(rec["consent_date"]) else rec["screening_date"]
        rows = staged_by.get(pid)
        upto = None if rows is None else rows[rows["assessment_date"] <= end]
        grade = int(upto.iloc[-1]["grade"]) if upto is not None and len(upto) else 0
        course, _ = derive._steroid_course(
            doses_by.get(pid), rows, float(rec["weight_kg"]), pd.Timestamp(end).date()
        )
        refractory = bool(
            course is not None
            and steroid_refractory_category(
                course, definition=config.refractoriness_definition, as_of=pd.Timestamp(end).date()
            ).refractory
        )
        raw = {c: _py(rec[c]) for c in ANSWER_COLUMNS}
        raw.update(agvhd_grade=grade, steroid_refractory=refractory)
        if definition.eligibility.required_organs and upto is not None and len(upto):
            # the trial requires organ involvement (I2e): the stages the analysis screens on
            last = upto.iloc[-1]
            raw.update({f"{o}_stage": int(last[f"stage_{o}"]) for o in ORGANS})
        answers[pid] = clean_answers(raw)
    by_pid = {str(r["patient_id"]): r for r in verdicts.to_dict("records")}
    return answers, by_pid


def service_holds_trial() -> bool:
    """True once a trial was imported or patients were entered."""
    return m.TrialMetadata.objects.exists() or Patient.objects.exists()


def plan_import(folder: str | Path) -> _Plan:
    """Validate everything; raises :class:`ImportRejected` with every problem found."""
    root = Path(folder)
    try:
        data = load_trial(root)
    except TrialDataError as exc:
        raise ImportRejected(root, [describe(p) for p in exc.problems]) from None
    problems: list[str] = []
    if data.blinded:
        problems.append(
            "randomization.csv has no arm column (blinded data): the service needs the "
            "allocations to rebuild its schedule and kits; import the unblinded data set"
        )
    if Patient.objects.exists() or m.TrialMetadata.objects.exists():
        problems.append(
            "the service already holds patients or an imported trial: import only into an "
            "empty trial database (centres, users and an unused schedule are fine)"
        )
    # Centres: data sites in site_id order onto the service's centres in code order.
    free = list(Site.objects.filter(profile__isnull=True).order_by("code"))
    site_of: dict[str, Site] = {}
    for i, rec in enumerate(_records(data.sites)):
        site_of[rec["site_id"]] = free[i] if i < len(free) else Site(code=rec["site_id"])
    # Weights are kept to 0.1 kg by the patients app.
    for rec in _records(data.patients):
        w = rec["weight_kg"]
        if float(Decimal(str(w)).quantize(Decimal("0.1"))) != w:
            problems.append(
                f"patients.csv line {rec['_line']}, column weight_kg: got {w!r}; "
                "expected kilograms to 0.1 kg (the service stores one decimal)"
            )
    # Kit numbers must be new to supply.
    numbers = [
        (rec["_line"], n) for rec in _records(data.infusions) for n in rec["kit_numbers"].split(";")
    ]
    taken = set(
        Kit.objects.filter(tracking_number__in=[n for _, n in numbers]).values_list(
            "tracking_number", flat=True
        )
    )
    seen: set[str] = set()
    for line, n in numbers:
        if n in taken:
            problems.append(
                f"infusions.csv line {line}, column kit_numbers: kit {n} already exists"
            )
        if n in seen:
            problems.append(f"infusions.csv line {line}, column kit_numbers: kit {n} infused twice")
        seen.add(n)
    answers, analysis = _screening_answers(data)
    verdict: dict[str, tuple[bool, list[dict[str, str]]]] = {}
    for rec in _records(data.patients):
        pid = rec["patient_id"]
        result = evaluate(answers[pid], consent_signed=rec["consent_date"] is not None)
        verdict[pid] = (result.eligible, list(result.failures))
        codes = ";".join(f["code"] for f in result.failures)
        theirs = analysis[pid]
        if result.eligible != bool(theirs["eligible"]) or codes != theirs["failure_codes"]:
            problems.append(
                f"patients.csv line {rec['_line']}: the service's screening ({codes or 'eligible'})"
                f" disagrees with the analysis's ({theirs['failure_codes'] or 'eligible'})"
            )
    if problems:
        raise ImportRejected(root, problems)
    patient_site = {r["patient_id"]: r["site_id"] for r in _records(data.patients)}
    return _Plan(data, site_of, answers, verdict, patient_site)


def _created(audit: AuditBatch, objs: list[models.Model]) -> None:
    for obj in objs:
        audit.created(obj)


def _schedule(
    audit: AuditBatch, user: Any, rows: list[dict[str, Any]], plan: _Plan, patients: dict
) -> int:
    """The imported allocations as a new active schedule, continued with fresh blocks drawn
    from a new CSPRNG seed (sealed with the schedule, never reused)."""
    from gvhdtrial.web.randomization.services import store_schedule

    arms = arm_to_service()
    service_arms = tuple(settings.GVHDTRIAL["arms"])
    previous = Schedule.objects.filter(active=True).order_by("-id").first()
    per_stratum = 400
    if previous is not None:
        record, _ = schedule_record(previous.pk, previous.sealed)
        per_stratum = int(record.get("slots_per_stratum") or per_stratum)
    imported = sorted(
        (
            CoreSlot(plan.site_of[r["stratum"]].code, r["sequence_number"], 0, 0, arms[r["arm"]])
            for r in rows
        ),
        key=lambda s: (s.stratum, s.sequence),
    )
    last: dict[str, int] = defaultdict(int)
    for s in imported:
        last[s.stratum] = max(last[s.stratum], s.sequence)
    strata = tuple(sorted(site.code for site in plan.site_of.values()))
    fresh = generate_schedule(
        ScheduleParams(
            seed=fresh_seed(), strata=strata, slots_per_stratum=per_stratum, arms=service_arms
        )
    )
    continuation = [
        CoreSlot(s.stratum, s.sequence + last[s.stratum], s.block, s.block_size, s.arm)
        for s in fresh.slots
    ]
    slots = sorted([*imported, *continuation], key=lambda s: (s.stratum, s.sequence))
    stored = store_schedule(
        None, slots, "imported allocations + permuted blocks",
        {
            "imported": {"trial_id": plan.data.info.trial_id, "allocations": len(imported)},
            "continuation": {**fresh.params.as_dict(), "starts_after": dict(sorted(last.items()))},
        },
        username=user.get_username(), reason=IMPORT_REASON,
        replaced_reason="replaced by the imported trial's schedule", audit=audit,
    )  # fmt: skip
    by_position = {(s.stratum, s.sequence): s for s in Slot.objects.filter(schedule=stored)}
    taken = []
    for r in rows:
        slot = by_position[(plan.site_of[r["stratum"]].code, r["sequence_number"])]
        slot.patient = patients[r["patient_id"]]
        slot.allocated_at = dt.datetime.combine(r["randomization_date"], dt.time(12), dt.UTC)
        slot.allocated_by = user
        taken.append(slot)
        audit.change_fields(
            f"randomization.slot:{slot.pk}",
            [
                ("patient_id", None, str(slot.patient.pk)),
                ("allocated_at", None, slot.allocated_at.isoformat()),
                ("allocated_by_id", None, str(user.pk)),
            ],
            reason=IMPORT_REASON,
        )
    Slot.objects.bulk_update(taken, ["patient", "allocated_at", "allocated_by"])
    return len(taken)


def _kits(
    audit: AuditBatch, user: Any, plan: _Plan, patients: dict, infusions: dict, arm_of: dict
) -> int:
    """A kit per kit number, its custody chain (checked by the pure rule) and its bag link."""
    lot = f"IMPORT-{plan.data.info.trial_id}"[:32]
    kits: list[Kit] = []
    chains: list[tuple[Kit, list[tuple[CustodyEvent, KitState, KitState]]]] = []
    bags: list[tuple[str, int, int, Kit]] = []
    for rec in _records(plan.data.infusions):
        pid, number, on = rec["patient_id"], rec["infusion_number"], rec["date"]
        site = plan.site_of[_site_of_patient(plan, pid)].code
        for position, tracking in enumerate(rec["kit_numbers"].split(";"), start=1):
            state = KitState(tracking, KitStatus.CREATED, on + KIT_SHELF_LIFE)
            steps = []
            for event in (
                CustodyEvent(CustodyAction.SHIP, on, site=site),
                CustodyEvent(CustodyAction.RECEIVE, on, site=site),
                CustodyEvent(CustodyAction.DISPENSE, on, site=site, patient=pid,
                             infusion_number=number),
                CustodyEvent(CustodyAction.INFUSE, on, site=site),
            ):  # fmt: skip
                change = apply_event(state, event)
                if not hasattr(change, "after"):
                    raise ImportRejected(
                        "infusions.csv", [f"line {rec['_line']}: kit {tracking}: {change.reason}"]
                    )
                steps.append((event, state, change.after))
                state = change.after
            kit = Kit(
                tracking_number=tracking,
                arm=seal_kit_arm(tracking, arm_of[pid]),
                lot=lot,
                expiry=on + KIT_SHELF_LIFE,
                status=state.status.value,
                site=plan.site_of[_site_of_patient(plan, pid)],
                patient=patients[pid],
                infusion_number=number,
            )
            kits.append(kit)
            chains.append((kit, steps))
            bags.append((pid, number, position, kit))
    Kit.objects.bulk_create(kits)
    _created(audit, kits)
    rows = [
        CustodyRow(
            kit=kit,
            action=event.action.value,
            from_status=before.status.value,
            to_status=after.status.value,
            site=kit.site,
            patient=kit.patient if after.patient else None,
            infusion_number=after.infusion_number,
            on_date=event.on,
            at=audit.now,
            by=user,
            note=f"imported from {plan.data.info.trial_id}",
        )
        for kit, steps in chains
        for event, before, after in steps
    ]
    CustodyRow.objects.bulk_create(rows)
    _created(audit, rows)
    links = m.InfusionKit.objects.bulk_create(
        m.InfusionKit(infusion=infusions[(pid, number)], kit=kit, position=position)
        for pid, number, position, kit in bags
    )
    _created(audit, links)
    return len(kits)


def _site_of_patient(plan: _Plan, pid: str) -> str:
    return plan.patient_site[pid]


def import_trial(folder: str | Path, username: str) -> m.ImportLog:
    """Import ``folder`` (see the module docstring); all or nothing."""
    root = Path(folder)
    plan = plan_import(root)
    data = plan.data
    user = get_user_model().objects.get(username=username)
    counts: dict[str, int] = {}
    with write(None, reason=IMPORT_REASON, username=username) as audit:
        # Re-checked inside the write lock: two imports cannot both find the database empty.
        if Patient.objects.exists() or m.TrialMetadata.objects.exists():
            raise ImportRejected(root, ["the service already holds patients or a trial"])
        info = data.info
        meta = m.TrialMetadata.objects.create(
            pk=1,
            trial_id=info.trial_id,
            title=info.title,
            synthetic=info.synthetic,
            statement=info.statement,
            generator=info.generator or "",
            generator_version=info.generator_version or "",
            seed=info.seed,
            data_cutoff_date=info.data_cutoff_date,
        )
        audit.created(meta)
        # Centres.
        profiles = []
        for rec in _records(data.sites):
            site = plan.site_of[rec["site_id"]]
            if site.pk is None:
                site.name = rec["name"]
                site.save()
                audit.created(site)
            elif site.name != rec["name"]:
                before = snapshot(site)
                site.name = rec["name"]
                site.save(update_fields=["name"])
                audit.changed(site, before, reason=IMPORT_REASON)
            profiles.append(
                m.SiteProfile(
                    site=site, data_site_id=rec["site_id"], city=rec["city"], country=rec["country"]
                )
            )
        m.SiteProfile.objects.bulk_create(profiles)
        _created(audit, profiles)
        counts["sites"] = len(profiles)
        # Patients: identity, screening answers with the engine's verdict, consent, baseline.
        prows = _records(data.patients)
        patients = Patient.objects.bulk_create(
            Patient(
                code=r["patient_id"],
                site=plan.site_of[r["site_id"]],
                weight_kg=Decimal(str(r["weight_kg"])).quantize(Decimal("0.1")),
                created_at=audit.now,
                created_by=user,
            )
            for r in prows
        )
        _created(audit, patients)
        by_code = {p.code: p for p in patients}
        screenings = Screening.objects.bulk_create(
            Screening(
                patient=by_code[r["patient_id"]],
                answers=plan.answers[r["patient_id"]],
                eligible=plan.verdict[r["patient_id"]][0],
                failures=plan.verdict[r["patient_id"]][1],
                engine=ENGINE,
                screened_at=audit.now,
                screened_by=user,
            )
            for r in prows
        )
        _created(audit, screenings)
        consents = Consent.objects.bulk_create(
            Consent(
                patient=by_code[r["patient_id"]],
                consent_date=r["consent_date"],
                recorded_at=audit.now,
                recorded_by=user,
            )
            for r in prows
            if r["consent_date"] is not None
        )
        _created(audit, consents)
        baseline_fields = [
            f.name for f in m.Baseline._meta.concrete_fields if f.name not in ("id", "patient")
        ]
        baselines = m.Baseline.objects.bulk_create(
            m.Baseline(
                patient=by_code[r["patient_id"]],
                **{f: _blank(m.Baseline, f, r[f]) for f in baseline_fields},
            )
            for r in prows
        )
        _created(audit, baselines)
        counts["patients"] = len(patients)
        # Randomization.
        rrows = _records(data.randomization)
        counts["randomization"] = _schedule(audit, user, rrows, plan, by_code)
        arm_of = {r["patient_id"]: arm_to_service()[r["arm"]] for r in rrows}
        # CRF rows, one model per table.
        infusions: dict[tuple[str, int], m.Infusion] = {}
        for name, label in ROW_MODELS.items():
            model = m.__dict__[label.split(".")[1]]
            columns = [
                f.name for f in model._meta.concrete_fields if f.name not in ("id", "patient")
            ]
            objs = model.objects.bulk_create(
                model(
                    patient=by_code[r["patient_id"]], **{c: _blank(model, c, r[c]) for c in columns}
                )
                for r in _records(data.table(name))
            )
            _created(audit, objs)
            counts[name] = len(objs)
            if name == "infusions":
                infusions = {(o.patient.code, o.infusion_number): o for o in objs}
        counts["kits"] = _kits(audit, user, plan, by_code, infusions, arm_of)
        log = m.ImportLog.objects.create(
            at=audit.now,
            by=user,
            trial_id=info.trial_id,
            source=str(root.resolve()),
            files=file_digests(root),
            counts=counts,
        )
        audit.created(log)
    return log


def _blank(model: type[models.Model], name: str, value: Any) -> Any:
    """Missing text is stored as ``""``; other missing values as NULL."""
    if value is None and isinstance(
        model._meta.get_field(name), models.CharField | models.TextField
    ):
        return ""
    return value


#: Tables whose rows the import writes (all of them).
IMPORTED_TABLES = tuple(t.name for t in TABLES)
