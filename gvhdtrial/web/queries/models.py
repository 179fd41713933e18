# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Data queries on a record's field: raised by an edit check on save or by hand (data manager);
answered by the site; closed by the data manager only (issue 7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.patients.models import Patient

STATUSES = [("open", "open"), ("answered", "answered"), ("closed", "closed")]


class Query(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="queries")
    record = models.CharField(max_length=80, blank=True, help_text="e.g. capture.assessment:12")
    table = models.CharField(max_length=40)
    field = models.CharField(max_length=60, blank=True)
    check_id = models.CharField(max_length=80, help_text="Edit check id, or 'manual'")
    severity = models.CharField(max_length=10, default="error")
    message = models.TextField()
    source = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=STATUSES, default="open")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"]), models.Index(fields=["status"])]

    @property
    def automatic(self) -> bool:
        return self.check_id != "manual"


class QueryMessage(models.Model):
    """One step of a query's thread: raise, answer, close, reopen, or resolved by a data change."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="thread")
    action = models.CharField(max_length=16)
    text = models.TextField(blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
