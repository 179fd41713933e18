"""The database lock: one row saying whether the trial database is locked."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DatabaseLock(models.Model):
    """Singleton (pk=1), created by the initial migration."""

    locked = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.TextField(blank=True)

    @classmethod
    def current(cls) -> DatabaseLock:
        return cls.objects.get(pk=1)


def database_is_locked() -> bool:
    return DatabaseLock.objects.filter(pk=1, locked=True).exists()


class Signature(models.Model):
    """An electronic signature of a lifecycle act (21 CFR 11.50: signer, time, meaning), made
    by re-entering the password; created in the same audited write as the act it signs."""

    action = models.CharField(max_length=16)  # lock | unlock | trial_unblind
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField()
    meaning = models.TextField()
    reason = models.TextField()
