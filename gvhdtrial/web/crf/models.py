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
