# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""The randomization schedule as stored: one row per slot, taken by at most one patient."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.patients.models import Patient


class Schedule(models.Model):
    """A generated or loaded schedule.

    ``sealed`` holds its parameters with the seed, its SHA-256 digest and its canonical CSV as one
    value sealed under the trial's key (:func:`gvhdtrial.web.blinding.schedule_record` opens it,
    for the unblinded statistician only): nothing that reveals an arm, a block or the seed is
    stored in the clear.
    """

    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    algorithm = models.CharField(max_length=64)
    software_version = models.CharField(max_length=32)
    sealed = models.TextField()
    active = models.BooleanField(default=True)


class Slot(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="slots")
    stratum = models.CharField(max_length=120)
    sequence = models.PositiveIntegerField()
    arm = models.TextField()  # sealed (gvhdtrial.web.blinding.slot_arm opens it)
    patient = models.OneToOneField(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "stratum", "sequence"], name="slot_unique_position"
            )
        ]
        indexes = [models.Index(fields=["schedule", "stratum", "patient", "sequence"])]

    @property
    def randomization_number(self) -> str:
        return randomization_number(self.stratum, self.sequence)


def randomization_number(stratum: str, sequence: int) -> str:
    """The number shown to blinded users: stratum and position, never the arm."""
    return f"{stratum}-R{sequence:04d}"
