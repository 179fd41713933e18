"""The trial definition in force, version by version (append-only; issue 12).

The first version is recorded when the service first starts (``web seed``); any later one is an
amendment: audited, e-signed (the amending user re-enters their password) and carrying what
changed. A patient's data are interpreted under the version in force when the patient was
randomized (:func:`gvhdtrial.web.trialdef.services.version_for`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DefinitionVersion(models.Model):
    number = models.PositiveIntegerField(unique=True)  # 1, 2, ... in the order they took force
    version = models.CharField(max_length=32)  # the file's own ``version``
    short_name = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)  # of the file's bytes (UTF-8 text)
    text = models.TextField()  # the TOML as it was put in force
    in_force_from = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    signed = models.BooleanField(default=False)  # password re-entered by ``recorded_by``
    reason = models.TextField(blank=True)
    changes = models.TextField(blank=True)  # one "key: old -> new" line per changed key

    class Meta:
        ordering = ("number",)

    def __str__(self) -> str:
        return f"{self.short_name} {self.version} (#{self.number}, sha256 {self.sha256[:12]})"
