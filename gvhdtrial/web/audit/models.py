# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""The audit trail: one append-only, hash-chained table.

Each row records one field of one create, change or delete, with the user, UTC time, record,
old and new value and the reason. ``hash = sha256(prev_hash + canonical JSON of the row)``;
:mod:`gvhdtrial.web.audit.chain` verifies the chain. Database triggers (migration 0002) refuse
UPDATE and DELETE on this table in SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    user = models.CharField(max_length=150)
    action = models.CharField(max_length=16)  # create | change | delete
    record = models.CharField(max_length=120, db_index=True)  # "app.model:pk"
    field = models.CharField(max_length=64)
    old = models.TextField(null=True)
    new = models.TextField(null=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        # The trail page's filters, newest first (issue 11): by user; the rare actions; the
        # records of a patient (rows that set a patient_id; a small partial index).
        indexes = [
            models.Index(fields=["user", "seq"], name="audit_user_seq"),
            models.Index(fields=["seq"], name="audit_change_seq", condition=Q(action="change")),
            models.Index(fields=["seq"], name="audit_delete_seq", condition=Q(action="delete")),
            models.Index(
                fields=["new", "record"],
                name="audit_patient_records",
                condition=Q(field="patient_id"),
            ),
        ]


class ChainHead(models.Model):
    """Singleton (pk=1): the last sequence number and hash; locked by every writer."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
