# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Patients, their eligibility screening and their consent (minimal; CRF apps extend it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.sites.models import Site


class Patient(models.Model):
    code = models.CharField(max_length=32, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Screening(models.Model):
    """The screening answers and the protocol engine's verdict (every failed criterion)."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="screening")
    answers = models.JSONField()
    eligible = models.BooleanField()
    failures = models.JSONField(default=list)
    engine = models.CharField(max_length=100)
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)


class Consent(models.Model):
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="consent")
    consent_date = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
