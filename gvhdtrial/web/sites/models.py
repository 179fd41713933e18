# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""Centres, users' roles and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

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
    """A bearer token for the JSON API; only its SHA-256 is stored. Refused (401) once past
    ``expires_at`` or revoked (``revoked_at``; ``revoke_reason`` "expired" when it lapsed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=200, blank=True)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "expired" if self.revoke_reason == "expired" else "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @classmethod
    def issue(
        cls, user: object, label: str = "", *, by: str = "system", days: int | None = None
    ) -> str:
        """Issue a token (audited; see :func:`gvhdtrial.web.sites.accounts.issue_token`)."""
        from gvhdtrial.web.sites.accounts import issue_token

        return issue_token(user, by=by, label=label, days=days)


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
