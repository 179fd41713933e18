# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""The investigator's confirmation of the computed response at a response visit (issue 7; the
visits are the trial definition's, issue 12), and the SAE reporting clock (issue 11).

The computed response is the protocol engine's (kept as computed at confirmation time); the
investigator confirms it or overrides it with a reason (docs/protocol.md section 1: a hand-entered
value is kept only as an override with a reason). The day-28 confirmation sets the plan: PR
continues to 16 infusions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.patients.models import Patient

RESPONSES = [(r, r) for r in ("CR", "PR", "NR", "PD")]


class ResponseConfirmation(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses")
    #: a response visit of the trial definition in force (``[response] visits``, lower case:
    #: d28, d56 for the phase 2); the services refuse any other
    visit = models.CharField(max_length=8)
    computed = models.CharField(max_length=4, blank=True, help_text="Engine's response, or ''")
    computed_reason = models.TextField(blank=True)
    confirmed = models.CharField(max_length=4, choices=RESPONSES)
    reason = models.TextField(blank=True, help_text="Why the computed response is overridden")
    confirmed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["patient", "visit"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "visit"], name="response_unique_visit")
        ]

    @property
    def overridden(self) -> bool:
        return bool(self.computed) and self.computed != self.confirmed


class SaeReport(models.Model):
    """The reporting clock of a serious adverse event (:func:`gvhdtrial.capture.sae_clock`):
    when the site became aware, when the SAE was entered, its 24-hour deadline and whether the
    entry came after it. Made once, when an adverse event is first saved as serious."""

    adverse_event = models.OneToOneField(
        "capture.AdverseEvent", on_delete=models.PROTECT, related_name="sae_report"
    )
    aware_at = models.DateTimeField(help_text="Awareness (else the onset date's start)")
    aware_from_onset = models.BooleanField(default=False)
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    due_at = models.DateTimeField()
    overdue = models.BooleanField()


class Verification(models.Model):
    """A monitor's source data verification (SDV) of one stored CRF row, or of one field of it.

    ``record`` is the audit trail's label of the row (``capture.assessment:12``); ``field`` is
    the field's name, or ``""`` for the whole row. ``digest`` is the SHA-256 of the value(s) as
    verified (:func:`gvhdtrial.web.crf.sdv.value_digest`): the mark holds only while the stored
    data still have that digest, so any later change of the data clears it (it is then stale).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="verifications")
    record = models.CharField(max_length=64)
    field = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "field"], name="verification_unique_field")
        ]


class CasebookSignature(models.Model):
    """The investigator's e-signature of one patient's casebook (21 CFR 11.50: signer, time,
    meaning), made by re-entering the password. ``digest`` is the SHA-256 of every CRF row of the
    patient at signing (:func:`gvhdtrial.web.crf.casebook.casebook_digest`): the signature holds
    only while the casebook still has that digest (any change of the patient's data voids it)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    signed_at = models.DateTimeField()
    meaning = models.TextField()
    digest = models.CharField(max_length=64)
