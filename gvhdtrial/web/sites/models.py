# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Centres, users' roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from gvhdtrial.web.sites.roles import Role


class Site(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    resupply_threshold = models.PositiveIntegerField(default=2)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    """A user's one role in the trial and, for site roles, their site."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership"
    )
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return f"{self.user.username} ({self.role})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    @classmethod
    def issue(cls, user: object, label: str = "") -> str:
        raw = "gvt_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, key_hash=hash_token(raw), label=label)
        return raw
