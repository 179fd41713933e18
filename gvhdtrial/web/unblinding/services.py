"""Emergency unblinding of one patient, trial-level unblinding, and notifications.

Emergency unblinding needs the permission, a reason and the user's password typed again; it is
recorded (who, when, why), notifications go out (in-app and email, neither naming the arm) and
the patient is flagged unblinded. The arm is returned only to the person who unblinded.
Trial-level unblinding is possible only after the database lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gvhdtrial.web.blinding import slot_arm
from gvhdtrial.web.errors import Forbidden, Invalid, Refused, ServiceError, require
from gvhdtrial.web.gateway import write
from gvhdtrial.web.lock.models import database_is_locked
from gvhdtrial.web.notifications import Kind, Localized, notify, recipients
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.auth import burn_password_time, reenter_password
from gvhdtrial.web.sites.roles import Actor, Permission, Role
from gvhdtrial.web.unblinding.models import EmergencyUnblinding, TrialUnblinding

MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class UnblindResult:
    patient_code: str
    arm: str
    by: str
    at: datetime
    reason: str


def _refusal(actor: Actor, patient: Any, reason: str) -> ServiceError | None:
    """Why this emergency unblinding is refused whatever the password, or None."""
    if len(reason) < MIN_REASON_CHARS:
        return Invalid(
            _("A reason of at least %(n)d characters is required.") % {"n": MIN_REASON_CHARS}
        )
    if not Slot.objects.filter(patient=patient).exists():
        return Refused(_("The patient is not randomized: there is nothing to unblind."))
    existing = EmergencyUnblinding.objects.select_related("by").filter(patient=patient).first()
    if existing is not None and existing.by_id != actor.user_id:
        return Refused(
            _("Already unblinded by %(user)s at %(at)s UTC; ask them or the statistician.")
            % {"user": existing.by.get_username(), "at": f"{existing.at:%Y-%m-%d %H:%M}"}
        )
    return None


def emergency_unblind(
    actor: Actor,
    patient_id: int,
    reason: str,
    password: str,
    request: HttpRequest | None = None,
) -> UnblindResult:
    """Unblind one patient for the person asking. Every refusal that does not depend on the
    password is decided first and answered the same, in the same time class (one password
    hash), whatever password came with it; the password is checked only for a request that
    would succeed, through the login throttle (wrong passwords count towards the lockout and
    are audited). So the answers are no oracle for the password: the only way to learn that a
    password is right is to unblind, which is recorded and notified."""
    require(actor, Permission.EMERGENCY_UNBLIND)
    patient = get_patient(actor, patient_id)
    reason = (reason or "").strip()
    user = get_user_model().objects.get(pk=actor.user_id)
    refusal = _refusal(actor, patient, reason)
    if refusal is not None:
        burn_password_time(password or "")
        raise refusal
    if not reenter_password(request, user, password or "", "emergency unblinding"):
        raise Forbidden(_("The password is not correct: the patient was not unblinded."))
    with write(actor, reason=reason) as audit:
        refusal = _refusal(actor, patient, reason)  # again under the write lock
        if refusal is not None:
            raise refusal
        slot = Slot.objects.get(patient=patient)
        existing = EmergencyUnblinding.objects.filter(patient=patient).first()
        if existing is not None:
            record = existing
        else:
            record = EmergencyUnblinding.objects.create(
                patient=patient, by=user, at=audit.now, reason=reason
            )
            audit.created(record)
            subject = Localized(
                gettext_noop("Emergency unblinding of patient %(code)s"), {"code": patient.code}
            )
            body = Localized(
                gettext_noop(
                    "Patient %(code)s (site %(site)s) was emergency-unblinded by %(user)s at "
                    "%(at)s UTC.\nReason: %(reason)s\n"
                    "The allocation is not included in this message."
                ),
                {
                    "code": patient.code,
                    "site": patient.site.code,
                    "user": user.get_username(),
                    "at": f"{audit.now:%Y-%m-%d %H:%M:%S}",
                    "reason": reason,
                },
            )
            members = recipients(
                (Role.INVESTIGATOR, Role.DATA_MANAGER, Role.STATISTICIAN, Role.ADMINISTRATOR),
                site_code=patient.site.code,
            )
            notify(audit, members, Kind.EMERGENCY_UNBLINDING, subject, body, link="/unblinding/")
    return UnblindResult(
        patient.code, slot_arm(slot), user.get_username(), record.at, record.reason
    )


def trial_unblind(
    actor: Actor, reason: str, password: str, request: HttpRequest | None = None
) -> TrialUnblinding:
    """Unblind the trial (e-signed: password re-entered, meaning stated and recorded); only
    after the database lock, and the database can never be unlocked afterwards."""
    from gvhdtrial.web.lock.services import check_signature, record_signature

    require(actor, Permission.TRIAL_UNBLIND)
    if not (reason or "").strip():
        raise Invalid(_("A reason is required."))
    if not database_is_locked():
        raise Refused(_("The trial can be unblinded only after the database is locked."))
    check_signature(actor, "trial_unblind", password, request)
    with write(actor, reason=reason, when_locked=True) as audit:
        if TrialUnblinding.objects.exists():
            raise Refused(_("The trial is already unblinded."))
        if not database_is_locked():  # checked again under the write lock
            raise Refused(_("The trial can be unblinded only after the database is locked."))
        record = TrialUnblinding.objects.create(by_id=actor.user_id, at=audit.now, reason=reason)
        audit.created(record)
        record_signature(audit, actor, "trial_unblind", reason)
        notify(
            audit,
            recipients(list(Role)),
            Kind.TRIAL_UNBLINDING,
            Localized(gettext_noop("The trial is unblinded")),
            Localized(
                gettext_noop(
                    "Trial-level unblinding by %(user)s after database lock. Reason: %(reason)s"
                ),
                {"user": actor.username, "reason": reason},
            ),
            link="/unblinding/",
        )
        # The analysis report of this data version is built once, in the background.
        from gvhdtrial.web.capture.report_build import start_after_commit

        start_after_commit(actor.username)
    return record
