# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Emergency unblinding of one patient, trial-level unblinding, and in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.patients.models import Patient


class EmergencyUnblinding(models.Model):
    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="emergency_unblinding"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField()
    reason = models.TextField()


class TrialUnblinding(models.Model):
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField()
    reason = models.TextField()


class Notification(models.Model):
    """One message to one user, in the app and (when the user has an address) by e-mail, in the
    recipient's language; created and marked read through the gateway
    (:mod:`gvhdtrial.web.notifications`). Never carries an arm: every recipient but the
    statistician is blinded, and the texts are the same for every arm."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    read = models.BooleanField(default=False)
    kind = models.CharField(max_length=32, default="other")
    link = models.CharField(max_length=300, blank=True, help_text="Path of the thing notified")
    due_at = models.DateTimeField(null=True, blank=True, help_text="SAE: report deadline")
    overdue = models.BooleanField(default=False, help_text="SAE: entered after its deadline")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read"])]


def trial_is_unblinded() -> bool:
    return TrialUnblinding.objects.exists()
