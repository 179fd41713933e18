# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Kits (one investigational bag each) and their append-only chain of custody."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.supply import KitStatus
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.sites.models import Site


class Kit(models.Model):
    tracking_number = models.CharField(max_length=20, unique=True)
    arm = models.TextField()  # sealed (gvhdtrial.web.blinding.kit_arm opens it)
    lot = models.CharField(max_length=32)
    expiry = models.DateField()
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in KitStatus])
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="kits"
    )
    infusion_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["tracking_number"]
        indexes = [models.Index(fields=["site", "status", "expiry"], name="supply_kit_stock_idx")]


class CustodyEvent(models.Model):
    """One link of a kit's chain of custody (append-only; triggers refuse UPDATE/DELETE)."""

    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=16)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT)
    infusion_number = models.PositiveIntegerField(null=True, blank=True)
    on_date = models.DateField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
