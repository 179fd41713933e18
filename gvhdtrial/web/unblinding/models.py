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
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    read = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]


def trial_is_unblinded() -> bool:
    return TrialUnblinding.objects.exists()
