"""Saving case report forms: one gateway write per save, edit checks run on the saved data,
queries opened (or marked answered) in the same transaction.

Views call :func:`save_row`, :func:`save_infusion` and :func:`confirm_response`; everything
clinical is computed by :mod:`gvhdtrial.capture` and :mod:`gvhdtrial.protocol`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvhdtrial import i18n
from gvhdtrial.capture import (
    Finding,
    PatientRecord,
    check_patient,
    compute_response,
    infusion_refusal,
    patient_calendar,
    stages_of,
    trial_response_rule,
    unassessed_organs,
)
from gvhdtrial.capture.steroids import sr_category
from gvhdtrial.protocol import ROMAN_GRADE, overall_grade
from gvhdtrial.supply import CustodyAction, CustodyEvent, KitStatus, delivered_cells_per_kg
from gvhdtrial.web.capture.fields import field_label
from gvhdtrial.web.capture.models import (
    AdverseEvent,
    Assessment,
    Baseline,
    Event,
    Infusion,
    InfusionKit,
    SteroidDose,
    Therapy,
)
from gvhdtrial.web.crf.access import require_write
from gvhdtrial.web.crf.models import ResponseConfirmation
from gvhdtrial.web.crf.records import patient_record
from gvhdtrial.web.errors import Invalid, NotFound, Refused
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.labels import label
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.patients.services import get_patient, visible_patients
from gvhdtrial.web.queries.services import sync_findings
from gvhdtrial.web.sites.roles import Actor
from gvhdtrial.web.supply.models import Kit
from gvhdtrial.web.trialdef.services import definition_for

#: form slug -> (model, data-model table, the row's automatic number field)
FORMS: dict[str, tuple[type[models.Model], str, str | None]] = {
    "baseline": (Baseline, "patients", None),
    "steroids": (SteroidDose, "steroid_doses", None),
    "assessments": (Assessment, "assessments", None),
    "infusions": (Infusion, "infusions", None),
    "therapies": (Therapy, "therapies", None),
    "adverse-events": (AdverseEvent, "adverse_events", "ae_id"),
    "events": (Event, "events", "event_id"),
}
TITLES = {
    "baseline": gettext_lazy("Baseline and transplant characteristics"),
    "steroids": gettext_lazy("Steroid course"),
    "assessments": gettext_lazy("GVHD assessment"),
    "infusions": gettext_lazy("Infusion"),
    "therapies": gettext_lazy("Second-line and salvage therapy"),
    "adverse-events": gettext_lazy("Adverse event"),
    "events": gettext_lazy("Event"),
}
#: Forms that need a randomized patient (the rest may be entered during screening).
AFTER_RANDOMIZATION = frozenset({"infusions", "therapies", "adverse-events", "events"})


@dataclass
class SaveResult:
    obj: models.Model
    findings: list[Finding] = field(default_factory=list)
    new_queries: int = 0


def get_row(patient: Patient, form: str, row_id: int) -> models.Model:
    model = FORMS[form][0]
    obj = model.objects.filter(pk=row_id, patient=patient).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(_("No such record for this patient."))
    return obj  # type: ignore[no-any-return]


def _run_checks(audit: AuditBatch, patient: Patient, user_id: int) -> tuple[list[Finding], int]:
    findings = check_patient(patient_record(patient))
    created = sync_findings(audit, patient, findings, user_id)
    return findings, len(created)


def _guard(actor: Actor, form: str, patient_id: int) -> Patient:
    if form not in FORMS and form != "response":
        raise NotFound(_("No such form."))
    patient = get_patient(actor, patient_id, with_allocation=True)
    require_write(actor, form)
    if form in AFTER_RANDOMIZATION and not hasattr(patient, "allocation"):
        raise Refused(_("The patient is not randomized yet."))
    return patient


def save_row(
    actor: Actor,
    patient_id: int,
    form: str,
    values: dict[str, Any],
    row_id: int | None = None,
    reason: str = "",
) -> SaveResult:
    """Create or change one CRF row (a change needs a reason), then run the edit checks."""
    if form == "infusions":
        return save_infusion(actor, patient_id, values, row_id, reason)
    patient = _guard(actor, form, patient_id)
    values = dict(values)
    #: When the site learned of a serious adverse event (form-only: the SAE report's clock).
    awareness = values.pop("sae_awareness", None)
    if awareness is not None and timezone.is_naive(awareness):
        awareness = timezone.make_aware(awareness)
    if awareness is not None and awareness > timezone.now():
        raise Invalid(_("The awareness time is in the future."), field="sae_awareness")
    model, _table, number_field = FORMS[form]
    if form == "baseline" and row_id is None:
        existing = Baseline.objects.filter(patient=patient).first()
        row_id = existing.pk if existing else None
    with write(actor, reason=reason if row_id else (reason or f"{form} entered")) as audit:
        if row_id is not None:
            obj = get_row(patient, form, row_id)
            obj = model.objects.select_for_update(of=("self",)).get(pk=obj.pk)  # type: ignore[attr-defined]
            before = snapshot(obj)
        else:
            obj = model(patient=patient)
            before = None
        for name, value in values.items():
            setattr(obj, name, "" if value is None and _is_text(model, name) else value)
        if before is None and number_field is not None:
            _not_a_duplicate(obj, form, number_field)
            last = model.objects.filter(patient=patient).aggregate(m=Max(number_field))["m"]  # type: ignore[attr-defined]
            setattr(obj, number_field, (last or 0) + 1)
        _unique_or_refuse(obj, form)
        obj.save()
        if before is None:
            audit.created(obj)
        else:
            audit.changed(obj, before, reason=reason)
        if form == "adverse-events":
            _sae_reported(audit, obj, awareness, actor)
        findings, new = _run_checks(audit, patient, actor.user_id)
    return SaveResult(obj, findings, new)


def _sae_reported(audit: AuditBatch, ae: Any, aware_at: dt.datetime | None, actor: Actor) -> None:
    """The first save of an adverse event as serious starts its report record: the 24-hour
    clock (:func:`gvhdtrial.capture.sae_clock`) and the SAE notifications."""
    from gvhdtrial.capture import sae_clock
    from gvhdtrial.web.crf.models import SaeReport
    from gvhdtrial.web.notifications import sae_saved

    if not ae.serious or SaeReport.objects.filter(adverse_event=ae).exists():
        return
    clock = sae_clock(audit.now, ae.onset_date, aware_at, tz=timezone.get_default_timezone())
    report = SaeReport.objects.create(
        adverse_event=ae, aware_at=clock.aware_at, aware_from_onset=clock.from_onset,
        reported_at=clock.reported_at, reported_by_id=actor.user_id, due_at=clock.due_at,
        overdue=clock.overdue,
    )  # fmt: skip
    audit.created(report)
    sae_saved(audit, ae, report, actor.username)


def _is_text(model: type[models.Model], name: str) -> bool:
    f = model._meta.get_field(name)
    return isinstance(f, models.CharField | models.TextField)


def _not_a_duplicate(obj: models.Model, form: str, number_field: str) -> None:
    """Refuse a new numbered row (adverse event, event) whose every value equals a row the
    patient already has: a form sent twice (back button, double click) is not a second AE."""
    model = type(obj)
    names = [
        f.name for f in model._meta.concrete_fields
        if f.name not in ("id", "patient", number_field)
    ]  # fmt: skip
    same = model.objects.filter(  # type: ignore[attr-defined]
        patient_id=obj.patient_id,
        **{n: getattr(obj, n) for n in names},  # type: ignore[attr-defined]
    ).first()
    if same is not None:
        raise Refused(
            _(
                "This is already recorded (%(form)s %(number)s, with the same values): "
                "it was not saved again."
            )
            % {"form": TITLES[form].lower(), "number": getattr(same, number_field)},
            code="duplicate",
        )


def _unique_or_refuse(obj: models.Model, form: str) -> None:
    """Refuse a duplicate key with a message instead of a database error."""
    model = type(obj)
    for constraint in model._meta.constraints:
        names = getattr(constraint, "fields", ())
        if not names:
            continue
        qs = model.objects.filter(**{n: getattr(obj, n) for n in names})  # type: ignore[attr-defined]
        if obj.pk:
            qs = qs.exclude(pk=obj.pk)
        if qs.exists():
            shown = [n for n in names if n != "patient"]
            labels = ", ".join(field_label(FORMS[form][1], n).lower() for n in shown)
            raise Invalid(
                _("This patient already has a record of this form with this %(what)s.")
                % {"what": labels},
                field=shown[0] if shown else None,
            )


def _kit_numbers(text: str) -> list[str]:
    return [k for k in text.replace(",", ";").replace(" ", ";").replace("\n", ";").split(";") if k]


def _infusion_follows_plan(
    patient: Patient, number: Any, on: Any, weight: float, row_id: int | None = None
) -> None:
    """Refuse an infusion the treatment plan does not allow (capture.infusion_refusal)."""
    if not isinstance(number, int) or not isinstance(on, dt.date):
        return  # the form reports a missing number or date at the field
    done = dict(
        Infusion.objects.filter(patient=patient).exclude(pk=row_id)
        .values_list("infusion_number", "date")
    )  # fmt: skip
    slot = getattr(patient, "allocation", None)
    randomized_on = slot.allocated_at.date() if slot is not None and slot.allocated_at else None
    d28 = ResponseConfirmation.objects.filter(patient=patient, visit="d28").first()
    why = infusion_refusal(
        number, on, weight_kg=weight, done=done, day28_response=d28.confirmed if d28 else None,
        randomized_on=randomized_on, today=timezone.localdate(),
        dosing=definition_for(patient).dosing,  # the version in force at randomization
    )  # fmt: skip
    if why:
        raise Refused(why.message, field=why.field)


def save_infusion(
    actor: Actor, patient_id: int, values: dict[str, Any], row_id: int | None, reason: str
) -> SaveResult:
    """Record an infusion: each kit must be dispensed to this patient for this infusion (the
    refusal never says more: no arm, no other patient); its custody moves to ``infused``."""
    from gvhdtrial.web.supply.services import _apply

    patient = _guard(actor, "infusions", patient_id)
    values = dict(values)
    kits_text = str(values.pop("kit_numbers", "") or "")
    weight = float(patient.weight_kg)
    with write(actor, reason=reason if row_id else (reason or "infusion recorded")) as audit:
        if row_id is not None:
            obj = get_row(patient, "infusions", row_id)
            obj = Infusion.objects.select_for_update(of=("self",)).get(pk=obj.pk)
            before = snapshot(obj)
            if kits_text and _kit_numbers(kits_text) != obj.kit_numbers.split(";"):
                raise Refused(
                    _("The kits of a recorded infusion cannot be changed."), field="kit_numbers"
                )
            for name, value in values.items():
                setattr(obj, name, "" if value is None and _is_text(Infusion, name) else value)
            _infusion_follows_plan(patient, obj.infusion_number, obj.date, weight, obj.pk)
            obj.save()
            audit.changed(obj, before, reason=reason)
        else:
            numbers = _kit_numbers(kits_text)
            if not numbers:
                raise Invalid(_("Enter or scan the kit number of every bag."), field="kit_numbers")
            if len(set(numbers)) != len(numbers):
                raise Invalid(_("A kit number is entered twice."), field="kit_numbers")
            number = values.get("infusion_number")
            _infusion_follows_plan(patient, number, values.get("date"), weight)
            kits = []
            for tn in numbers:
                kit = (
                    Kit.objects.select_for_update(of=("self",))
                    .select_related("site", "patient")
                    .filter(tracking_number=tn)
                    .first()
                )
                if kit is None or kit.patient_id != patient.pk or kit.site_id != patient.site_id:
                    raise Refused(
                        _("Kit %(kit)s is not dispensed to this patient.") % {"kit": tn},
                        field="kit_numbers",
                    )
                if kit.status != KitStatus.DISPENSED.value:
                    raise Refused(
                        _("Kit %(kit)s is %(status)s, not dispensed: it cannot be infused.")
                        % {"kit": tn, "status": label(kit.status)},
                        field="kit_numbers",
                    )
                if kit.infusion_number != number:
                    raise Refused(
                        _("Kit %(kit)s was dispensed for infusion %(dispensed)s, not %(number)s.")
                        % {"kit": tn, "dispensed": kit.infusion_number, "number": number},
                        field="kit_numbers",
                    )
                kits.append(kit)
            missing = sorted(
                Kit.objects.filter(
                    patient=patient, infusion_number=number, status=KitStatus.DISPENSED.value
                )
                .exclude(tracking_number__in=numbers)
                .values_list("tracking_number", flat=True)
            )
            if missing:
                raise Refused(
                    _(
                        "Infusion %(number)s was dispensed %(bags)s bags: enter every one "
                        "(not entered: %(missing)s)."
                    )
                    % {"number": number, "bags": len(kits) + len(missing),
                       "missing": ", ".join(missing)},
                    field="kit_numbers",
                )  # fmt: skip
            obj = Infusion(patient=patient)
            for name, value in values.items():
                setattr(obj, name, "" if value is None and _is_text(Infusion, name) else value)
            obj.bags = len(kits)
            obj.delivered_cells_1e6_per_kg = round(
                delivered_cells_per_kg(len(kits), weight, definition_for(patient).dosing) / 1e6, 2
            )
            _unique_or_refuse(obj, "infusions")
            obj.save()
            audit.created(obj)
            sites = {patient.site.code: patient.site}
            for position, kit in enumerate(kits, start=1):
                link = InfusionKit.objects.create(infusion=obj, kit=kit, position=position)
                audit.created(link)
                event = CustodyEvent(CustodyAction.INFUSE, obj.date, site=patient.site.code,
                                     patient=patient.code, infusion_number=number)  # fmt: skip
                _apply(audit, kit, event, sites, patient, actor.user_id)
        findings, new = _run_checks(audit, patient, actor.user_id)
    return SaveResult(obj, findings, new)


def confirm_response(
    actor: Actor, patient_id: int, visit: str, confirmed: str, reason: str = ""
) -> SaveResult:
    """The investigator confirms the computed response at one of the trial definition's
    response visits (phase 2: d28, d56) or overrides it with a reason."""
    patient = _guard(actor, "response", patient_id)
    if visit not in trial_response_rule().visit_names:
        raise NotFound(_("No such response visit."))
    if confirmed not in ("CR", "PR", "NR", "PD"):
        raise Invalid(_("Choose CR, PR, NR or PD."))
    with write(actor, reason=reason or f"{visit} response confirmed") as audit:
        computed = compute_response(patient_record(patient), visit)
        if confirmed != computed.response and not reason.strip():
            raise Invalid(
                _("The computed response is %(computed)s (%(why)s); give a reason to record "
                  "%(confirmed)s.")
                % {"computed": computed.response or _("not available"),
                   "why": i18n.gettext(computed.reason), "confirmed": confirmed}
            )  # fmt: skip
        obj = ResponseConfirmation.objects.filter(patient=patient, visit=visit).first()
        before = snapshot(obj) if obj is not None else None
        if obj is None:
            obj = ResponseConfirmation(patient=patient, visit=visit)
        obj.computed = computed.response or ""
        obj.computed_reason = computed.reason
        obj.confirmed = confirmed
        obj.reason = reason
        obj.confirmed_at = audit.now
        obj.confirmed_by_id = actor.user_id
        obj.save()
        if before is None:
            audit.created(obj)
        else:
            if not reason.strip():
                from gvhdtrial.web.gateway import ReasonRequired

                raise ReasonRequired(f"the {visit} response")
            audit.changed(obj, before, reason=reason)
        findings, new = _run_checks(audit, patient, actor.user_id)
    return SaveResult(obj, findings, new)


# ------------------------------------------------------------------ what the pages show
@dataclass(frozen=True)
class StagedAssessment:
    obj: Assessment
    stages: dict[str, int] | None
    grade: str | None
    error: str = ""
    assessed: bool = True


def staged_assessments(patient: Patient) -> list[StagedAssessment]:
    out = []
    for a in Assessment.objects.filter(patient=patient):
        if unassessed_organs({f: getattr(a, f) for f in _MEASUREMENT_NAMES}):
            out.append(StagedAssessment(a, None, None, assessed=False))
            continue
        try:
            stages = stages_of({f: getattr(a, f) for f in _MEASUREMENT_NAMES})
        except (ValueError, TypeError) as exc:
            out.append(StagedAssessment(a, None, None, str(exc)))
            continue
        out.append(StagedAssessment(a, stages.as_dict(), ROMAN_GRADE[overall_grade(stages)]))
    return out


_MEASUREMENT_NAMES = (
    "skin_bsa_percent", "skin_bullae", "skin_desquamation_percent", "bilirubin",
    "bilirubin_unit", "upper_gi_persistent", "stool_ml_per_day", "stool_episodes_per_day",
    "stool_mixed_with_urine", "weight_kg", "severe_abdominal_pain", "ileus", "bloody_stool",
)  # fmt: skip


def overview(patient: Patient, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the patient's CRF page shows, computed by the capture core."""
    today = today or dt.date.today()
    record: PatientRecord = patient_record(patient)
    return {
        "record": record,
        "baseline": Baseline.objects.filter(patient=patient).first(),
        "steroids": SteroidDose.objects.filter(patient=patient),
        "sr": sr_category(record, as_of=record.randomization_date),
        "assessments": staged_assessments(patient),
        "infusions": Infusion.objects.filter(patient=patient).prefetch_related("kits__kit"),
        "therapies": Therapy.objects.filter(patient=patient),
        "adverse_events": AdverseEvent.objects.filter(patient=patient),
        "events": Event.objects.filter(patient=patient),
        "responses": {
            visit: (
                compute_response(record, visit),
                ResponseConfirmation.objects.filter(patient=patient, visit=visit).first(),
            )
            for visit in trial_response_rule().visit_names
        },
        "calendar": patient_calendar(record, today),
    }


def sae_reports(actor: Actor) -> models.QuerySet[Any]:
    """The reporting clocks (``crf.SaeReport``) of the serious adverse events ``actor`` may see
    (a site role: its own site's), newest entry first: the one source of the SAE log's page, CSV
    and API."""
    from gvhdtrial.web.crf.models import SaeReport

    return (
        SaeReport.objects.filter(adverse_event__patient__in=visible_patients(actor))
        .select_related("adverse_event__patient__site", "reported_by")
        .order_by("-reported_at", "-pk")
    )
