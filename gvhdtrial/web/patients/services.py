"""Screening and consent: create a patient with the engine's eligibility verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gvhdtrial.web.errors import Forbidden, Invalid, NotFound, Refused, require
from gvhdtrial.web.gateway import snapshot, write
from gvhdtrial.web.patients.eligibility import ENGINE, clean_answers, evaluate
from gvhdtrial.web.patients.models import Consent, Patient, Screening
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import SITE_ROLES, Actor, Permission


def visible_patients(actor: Actor) -> QuerySet[Patient]:
    qs = Patient.objects.select_related("site")
    if actor.role in SITE_ROLES:
        qs = qs.filter(site__code=actor.site_code)
    return qs


def get_patient(actor: Actor, patient_id: int, *, with_allocation: bool = False) -> Patient:
    """The patient, if this actor may see them (else 404: existence is not revealed);
    ``with_allocation`` reads the allocation slot and consent in the same query (the CRF save
    path, which reads both for the edit checks)."""
    related = ("site", "allocation", "consent") if with_allocation else ("site",)
    try:
        patient = Patient.objects.select_related(*related).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, OverflowError):
        raise NotFound(_("No such patient.")) from None
    if not actor.sees_site(patient.site.code):
        raise NotFound(_("No such patient."))
    return patient


def screen_patient(
    actor: Actor,
    *,
    weight_kg: Any,
    answers: dict[str, Any],
    site_code: str | None = None,
    consent_date: dt.date | None = None,
) -> Patient:
    """Create a patient at the actor's site with screening answers (and consent if given)."""
    require(actor, Permission.SCREEN)
    site_code = site_code or actor.site_code
    if site_code != actor.site_code:
        raise Forbidden(_("You may screen patients at your own site only."))
    try:
        weight = Decimal(str(weight_kg)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise Invalid(_("weight_kg: expected a number of kilograms")) from None
    if not (Decimal("1") <= weight <= Decimal("400")):
        raise Invalid(_("weight_kg: expected 1-400 kg"))
    try:
        cleaned = clean_answers(answers)
        result = evaluate(cleaned, consent_signed=consent_date is not None)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if consent_date is not None and consent_date > timezone.now().date():
        raise Invalid(_("consent_date: may not be in the future"))
    user = get_user_model().objects.get(pk=actor.user_id)
    with write(actor, reason="screening") as audit:
        site = Site.objects.get(code=site_code)
        number = Patient.objects.filter(site=site).count() + 1
        patient = Patient.objects.create(
            code=f"{site.code}-{number:04d}",
            site=site,
            weight_kg=weight,
            created_at=audit.now,
            created_by=user,
        )
        audit.created(patient)
        screening = Screening.objects.create(
            patient=patient,
            answers=cleaned,
            eligible=result.eligible,
            failures=list(result.failures),
            engine=ENGINE,
            screened_at=audit.now,
            screened_by=user,
        )
        audit.created(screening)
        if consent_date is not None:
            consent = Consent.objects.create(
                patient=patient, consent_date=consent_date, recorded_at=audit.now, recorded_by=user
            )
            audit.created(consent)
    return patient


def record_consent(actor: Actor, patient_id: int, consent_date: dt.date) -> Consent:
    """Record written consent and re-run screening with it (criterion I4)."""
    require(actor, Permission.CONSENT)
    patient = get_patient(actor, patient_id)
    if consent_date > timezone.now().date():
        raise Invalid(_("consent_date: may not be in the future"))
    user = get_user_model().objects.get(pk=actor.user_id)
    with write(actor, reason="consent recorded") as audit:
        if Consent.objects.filter(patient=patient).exists():
            raise Refused(_("Consent is already recorded for this patient."))
        consent = Consent.objects.create(
            patient=patient, consent_date=consent_date, recorded_at=audit.now, recorded_by=user
        )
        audit.created(consent)
        screening = Screening.objects.filter(patient=patient).first()
        if screening is not None:
            before = snapshot(screening)
            result = evaluate(screening.answers, consent_signed=True)
            screening.eligible = result.eligible
            screening.failures = list(result.failures)
            screening.save(update_fields=["eligible", "failures"])
            audit.changed(screening, before, reason="re-screened with consent recorded")
    return consent
