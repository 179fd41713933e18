"""Emergency unblinding of one patient, trial-level unblinding, and notifications.

Emergency unblinding needs the permission, a reason and the user's password typed again; it is
recorded (who, when, why), notifications go out (in-app and email, neither naming the arm) and
the patient is flagged unblinded. The arm is returned only to the person who unblinded.
Trial-level unblinding is possible only after the database lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gvhdtrial.web.blinding import slot_arm
from gvhdtrial.web.errors import Forbidden, Invalid, Refused, require
from gvhdtrial.web.gateway import write
from gvhdtrial.web.lock.models import database_is_locked
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.models import Membership
from gvhdtrial.web.sites.roles import Actor, Permission, Role
from gvhdtrial.web.unblinding.models import EmergencyUnblinding, Notification, TrialUnblinding

MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class UnblindResult:
    patient_code: str
    arm: str
    by: str
    at: datetime
    reason: str


def _recipients(roles: Iterable[Role], site_code: str | None = None) -> list[Membership]:
    qs = Membership.objects.select_related("user", "site").filter(role__in=[r.value for r in roles])
    out = []
    for m in qs:
        if (
            m.role in (Role.INVESTIGATOR, Role.PHARMACIST)
            and site_code
            and m.site.code != site_code
        ):
            continue
        out.append(m)
    return out


def _notify(audit: object, members: Iterable[Membership], subject: str, body: str) -> None:
    emails = []
    for m in members:
        note = Notification.objects.create(
            recipient=m.user, created_at=timezone.now(), subject=subject, body=body
        )
        audit.created(note)  # type: ignore[attr-defined]
        if m.user.email:
            emails.append(m.user.email)
    if emails:
        transaction.on_commit(lambda: send_mail(subject, body, None, emails, fail_silently=True))


def notify_roles(roles: Iterable[Role], subject: str, body: str) -> None:
    """Send an in-app notification (and email) to every user holding one of ``roles``."""
    with write(None, reason="notification", when_locked=True, username="system") as audit:
        _notify(audit, _recipients(roles), subject, body)


def emergency_unblind(actor: Actor, patient_id: int, reason: str, password: str) -> UnblindResult:
    require(actor, Permission.EMERGENCY_UNBLIND)
    patient = get_patient(actor, patient_id)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise Invalid(f"A reason of at least {MIN_REASON_CHARS} characters is required.")
    user = get_user_model().objects.get(pk=actor.user_id)
    if not user.check_password(password or ""):
        raise Forbidden(_("The password is not correct: the patient was not unblinded."))
    with write(actor, reason=reason) as audit:
        slot = Slot.objects.filter(patient=patient).first()
        if slot is None:
            raise Refused(_("The patient is not randomized: there is nothing to unblind."))
        existing = EmergencyUnblinding.objects.select_related("by").filter(patient=patient).first()
        if existing is not None:
            if existing.by_id != actor.user_id:
                raise Refused(
                    f"Already unblinded by {existing.by.get_username()} at "
                    f"{existing.at:%Y-%m-%d %H:%M} UTC; ask them or the statistician."
                )
            record = existing
        else:
            record = EmergencyUnblinding.objects.create(
                patient=patient, by=user, at=audit.now, reason=reason
            )
            audit.created(record)
            subject = f"Emergency unblinding of patient {patient.code}"
            body = (
                f"Patient {patient.code} (site {patient.site.code}) was emergency-unblinded by "
                f"{user.get_username()} at {audit.now:%Y-%m-%d %H:%M:%S} UTC.\nReason: {reason}\n"
                "The allocation is not included in this message."
            )
            members = _recipients(
                (Role.INVESTIGATOR, Role.DATA_MANAGER, Role.STATISTICIAN, Role.ADMINISTRATOR),
                site_code=patient.site.code,
            )
            _notify(audit, members, subject, body)
    return UnblindResult(
        patient.code, slot_arm(slot), user.get_username(), record.at, record.reason
    )


def trial_unblind(actor: Actor, reason: str, password: str) -> TrialUnblinding:
    """Unblind the trial (e-signed: password re-entered, meaning stated and recorded); only
    after the database lock, and the database can never be unlocked afterwards."""
    from gvhdtrial.web.lock.services import check_signature, record_signature

    require(actor, Permission.TRIAL_UNBLIND)
    if not (reason or "").strip():
        raise Invalid(_("A reason is required."))
    if not database_is_locked():
        raise Refused(_("The trial can be unblinded only after the database is locked."))
    check_signature(actor, "trial_unblind", password)
    with write(actor, reason=reason, when_locked=True) as audit:
        if TrialUnblinding.objects.exists():
            raise Refused(_("The trial is already unblinded."))
        if not database_is_locked():  # checked again under the write lock
            raise Refused(_("The trial can be unblinded only after the database is locked."))
        record = TrialUnblinding.objects.create(by_id=actor.user_id, at=audit.now, reason=reason)
        audit.created(record)
        record_signature(audit, actor, "trial_unblind", reason)
        _notify(
            audit,
            _recipients(list(Role)),
            "The trial is unblinded",
            f"Trial-level unblinding by {actor.username} after database lock. Reason: {reason}",
        )
    return record
