"""Notifications: in the app and by e-mail, in each recipient's language (issue 11).

One model (``unblinding.Notification``) and one way to make one: :func:`notify`, called inside
the caller's gateway write (so each notification is an audited row of the same transaction), or
:func:`notify_roles` in a write of its own. Each notification has a recipient, a kind, a link to
the thing notified, read/unread, and for a serious adverse event its deadline and whether it is
overdue. Marking one read is an audited change too (:func:`mark_read`). E-mails go out through
Django's mail backend after the commit (``GVHDTRIAL_EMAIL_BACKEND``, console by default).

Who is told what (the triggers):

- a new query (edit check or data manager): the site roles who answer queries
  (``crf.access.QUERY_ANSWER``) at the patient's site;
- a serious adverse event: the site's investigators, the data managers and the monitors, with
  the 24-hour deadline of :func:`gvhdtrial.capture.sae_clock` (overdue when entered later);
- an emergency unblinding: the site's investigators, the data managers, the statisticians and
  the administrators: who, which patient, when and why, never the arm;
- a resupply alert (a site could not dispense): the administrators, worded the same whichever
  arm ran short;
- trial-level unblinding and an exhausted randomization stratum.

Blinding: every recipient except the statistician is blinded, so no text here carries an arm or
anything that differs by arm (``tests/web/test_notifications.py`` looks for arm labels in every
notification and e-mail of every trigger).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.sites.models import Membership, user_language
from gvhdtrial.web.sites.roles import SITE_ROLES, Role
from gvhdtrial.web.unblinding.models import Notification


class Kind(StrEnum):
    QUERY = "query"
    SAE = "sae"
    EMERGENCY_UNBLINDING = "emergency_unblinding"
    TRIAL_UNBLINDING = "trial_unblinding"
    RESUPPLY = "resupply"
    SCHEDULE_EXHAUSTED = "schedule_exhausted"
    OTHER = "other"


@dataclass(frozen=True)
class Localized:
    """A message rendered in each recipient's language: ``template`` is an English msgid
    (marked with ``gettext_noop``), ``params`` fill its ``%(name)s`` placeholders (a param may
    itself be a :class:`Localized` or a lazy string: it is rendered in the same language)."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return gettext(self.template) % {k: str(v) for k, v in self.params.items()}


Text = str | Localized


def recipients(roles: Iterable[Role], site_code: str | None = None) -> list[Membership]:
    """Active members holding one of ``roles``; site roles only at ``site_code`` when given."""
    qs = Membership.objects.select_related("user", "site", "user__preference").filter(
        role__in=[r.value for r in roles], user__is_active=True
    )
    return [
        m for m in qs.order_by("user_id")
        if not (site_code and m.role in SITE_ROLES and (m.site is None or m.site.code != site_code))
    ]  # fmt: skip


def in_language_of(user: object, text: Text) -> str:
    language = user_language(user) or settings.LANGUAGE_CODE
    with translation.override(language):
        return str(text)


def _mail_text(user: object, body: str, link: str) -> str:
    if not link:
        return body
    base = getattr(settings, "GVHDTRIAL_BASE_URL", "").rstrip("/")
    return body + "\n\n" + in_language_of(user, Localized(gettext_noop("Open: %(url)s"),
                                                          {"url": base + link}))  # fmt: skip


def notify(
    audit: AuditBatch,
    members: Iterable[Membership],
    kind: Kind,
    subject: Text,
    body: Text,
    *,
    link: str = "",
    due_at: dt.datetime | None = None,
    overdue: bool = False,
) -> list[Notification]:
    """Inside the caller's write: an in-app notification for each member (audited with the
    write) and, after the commit, an e-mail to each member with an address, each in the
    member's language."""
    made = []
    mails: dict[tuple[str, str], list[str]] = {}
    for m in members:
        subject_text = in_language_of(m.user, subject)[:200]
        body_text = in_language_of(m.user, body)
        note = Notification.objects.create(
            recipient=m.user, created_at=audit.now, subject=subject_text, body=body_text,
            kind=kind.value, link=link, due_at=due_at, overdue=overdue,
        )  # fmt: skip
        audit.created(note)
        made.append(note)
        if m.user.email:
            mail = (subject_text, _mail_text(m.user, body_text, link))
            mails.setdefault(mail, []).append(m.user.email)
    for (subject_text, body_text), emails in mails.items():
        transaction.on_commit(
            lambda s=subject_text, b=body_text, e=emails: send_mail(  # type: ignore[misc]
                s, b, None, e, fail_silently=True
            )
        )
    return made


def notify_roles(
    roles: Iterable[Role],
    kind: Kind,
    subject: Text,
    body: Text,
    *,
    site_code: str | None = None,
    link: str = "",
) -> list[Notification]:
    """Notify every member holding one of ``roles`` in a write of its own (allowed while the
    database is locked: a notification is not trial data)."""
    with write(None, reason="notification", when_locked=True, username="system") as audit:
        return notify(audit, recipients(roles, site_code), kind, subject, body, link=link)


def unread_count(user: Any) -> int:
    return int(user.notifications.filter(read=False).count())


def mark_read(user: Any, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications (or all of them) read: an audited change by the
    user (allowed to every role, also while the database is locked: it changes no trial data).
    Another user's notification is not found (0)."""
    qs = Notification.objects.filter(recipient=user, read=False)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    if not qs.exists():
        return 0
    with write(None, reason="notification read", when_locked=True,
               username=user.get_username()) as audit:  # fmt: skip
        notes = list(qs.select_for_update())
        for note in notes:
            before = snapshot(note)
            note.read = True
            note.save(update_fields=["read"])
            audit.changed(note, before)
    return len(notes)


# ---------------------------------------------------------------- the triggers' messages


def _when(at: dt.datetime) -> str:
    """A time in a notification: ISO date and minute, UTC (the same in both languages)."""
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def queries_raised(audit: AuditBatch, patient: Any, queries: list[Any]) -> list[Notification]:
    """New queries on one patient (one save, or one raised by hand): one notification to each
    site member who answers queries (``QUERY_ANSWER``) at the patient's site."""
    from gvhdtrial.web.crf.access import QUERY_ANSWER
    from gvhdtrial.web.queries.services import describe

    if not queries:
        return []
    if len(queries) == 1:
        (query,) = queries
        subject = Localized(gettext_noop("New query on patient %(code)s"), {"code": patient.code})
        body = Localized(
            gettext_noop("A query was raised on patient %(code)s (site %(site)s), %(form)s: "
                         "%(field)s.\n%(message)s"),
            {"code": patient.code, "site": patient.site.code, "message": query.message,
             "form": _Later(lambda: describe(query).form),
             "field": _Later(lambda: describe(query).field or "-")},
        )  # fmt: skip
        link = f"/queries/{query.pk}/"
    else:
        subject = Localized(
            gettext_noop("%(n)s new queries on patient %(code)s"),
            {"n": len(queries), "code": patient.code},
        )
        body = Localized(
            gettext_noop("%(n)s queries were raised on patient %(code)s (site %(site)s) by the "
                         "edit checks; the site answers them."),
            {"n": len(queries), "code": patient.code, "site": patient.site.code},
        )  # fmt: skip
        link = f"/patients/{patient.pk}/queries/"
    members = recipients(QUERY_ANSWER, site_code=patient.site.code)
    return notify(audit, members, Kind.QUERY, subject, body, link=link)


def sae_saved(audit: AuditBatch, ae: Any, report: Any, by: str) -> list[Notification]:
    """A serious adverse event saved: the site's investigators, the data managers and the
    monitors, with the report's deadline; flagged overdue when it was entered after it."""
    from gvhdtrial.i18n import gettext_lazy as core_lazy

    patient = ae.patient
    params: dict[str, object] = {
        "code": patient.code, "site": patient.site.code, "ae": ae.ae_id,
        "term": core_lazy(ae.term) if ae.term else "-", "grade": ae.grade or "-",
        "onset": ae.onset_date.isoformat() if ae.onset_date else "-",
        "aware": _when(report.aware_at), "due": _when(report.due_at),
        "entered": _when(report.reported_at), "user": by,
    }  # fmt: skip
    if report.overdue:
        subject = Localized(
            gettext_noop("OVERDUE serious adverse event: patient %(code)s (due %(due)s)"), params
        )
    else:
        subject = Localized(
            gettext_noop("Serious adverse event: patient %(code)s (report due %(due)s)"), params
        )
    clock = (
        gettext_noop("Clock started at the onset date: %(aware)s.")
        if report.aware_from_onset
        else gettext_noop("Site aware since %(aware)s.")
    )
    parts = [
        Localized(
            gettext_noop("A serious adverse event was saved for patient %(code)s (site "
                         "%(site)s): adverse event %(ae)s, %(term)s, grade %(grade)s, onset "
                         "%(onset)s."),
            params,
        ),
        Localized(clock, params),
        Localized(gettext_noop("Report due within 24 hours of awareness: %(due)s."), params),
        Localized(gettext_noop("Entered %(entered)s by %(user)s."), params),
    ]  # fmt: skip
    if report.overdue:
        parts.append(Localized(gettext_noop(
            "The report was entered after its 24-hour deadline: it is overdue.")))  # fmt: skip
    body = Localized("%(lines)s", {"lines": _Lines(parts)})
    members = recipients(
        (Role.INVESTIGATOR, Role.DATA_MANAGER, Role.MONITOR), site_code=patient.site.code
    )
    link = f"/patients/{patient.pk}/crf/adverse-events/{ae.pk}/"
    return notify(audit, members, Kind.SAE, subject, body, link=link,
                  due_at=report.due_at, overdue=report.overdue)  # fmt: skip


@dataclass(frozen=True)
class _Lines:
    """Texts joined by new lines, each rendered in the language in force."""

    parts: list[Localized]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.parts)


class _Later:
    """A parameter rendered when the message is (in the recipient's language)."""

    def __init__(self, make: Any) -> None:
        self.make = make

    def __str__(self) -> str:
        return str(self.make())
