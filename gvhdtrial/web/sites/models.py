# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Centres, users' roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from gvhdtrial.web.sites.roles import ROLE_LABELS, Role


class Site(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200, blank=True)
    resupply_threshold = models.PositiveIntegerField(default=2)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        """The centre's name in the page's language (the English name when none is given)."""
        from gvhdtrial.i18n import current

        return self.name_zh if current() == "zh" and self.name_zh else self.name


class Membership(models.Model):
    """A user's one role in the trial and, for site roles, their site."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="membership"
    )
    role = models.CharField(max_length=32, choices=[(r.value, ROLE_LABELS[r]) for r in Role])
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


class Preference(models.Model):
    """A user's own settings (not trial data, so not audited, and kept while the database is
    locked): the language of the pages, reports and e-mails (issue 11)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(max_length=16, choices=settings.LANGUAGES, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language or '-'}"


def user_language(user: object) -> str | None:
    """The language a user chose (a code of ``settings.LANGUAGES``), or None."""
    try:
        return user.preference.language or None  # type: ignore[attr-defined]
    except Preference.DoesNotExist:
        return None


def set_user_language(user: object, language: str) -> None:
    Preference.objects.update_or_create(user=user, defaults={"language": language})
