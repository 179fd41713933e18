"""Database lock, unlock and the e-signature they (and trial-level unblinding) need.

Each act is signed: the signer re-enters the password and the meaning of the act is stated
(``MEANINGS``) and stored with the signer and the time in a :class:`Signature` row, created in
the same audited write as the act. After trial-level unblinding the database can never be
unlocked: :func:`unlock_database` refuses, and the gateway treats an unblinded trial as locked
whatever the lock row says.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvhdtrial.web.errors import Forbidden, Invalid, Refused, require
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.lock.models import DatabaseLock, Signature
from gvhdtrial.web.sites.roles import Actor, Permission

#: What the signer states by signing each act (shown above the password field, stored).
MEANINGS = {
    "lock": gettext_lazy("I lock the database: the data are final for analysis."),
    "unlock": gettext_lazy(
        "I unlock the database: the data may be changed again, and the analysis waits for a new "
        "lock."
    ),
    "casebook": gettext_lazy(
        "I attest that the data in this casebook are complete and accurate, and that I have "
        "reviewed them."
    ),
    "trial_unblind": gettext_lazy(
        "I unblind the trial: every patient's allocation is revealed for the final analysis, and "
        "the database can never be unlocked again."
    ),
}
UNBLINDED_NO_UNLOCK = gettext_lazy(
    "The trial is unblinded: the database can never be unlocked again (nothing was changed)."
)


def check_signature(
    actor: Actor, action: str, password: str, request: HttpRequest | None = None
) -> None:
    """Refuse (changing nothing) unless ``password`` is the signer's own. With the request (web
    page or API), the password goes through the login throttle like a login: a wrong one counts
    towards the lockout and is audited, so an e-signature form is no password-guessing oracle."""
    from gvhdtrial.web.sites.auth import reenter_password

    user = get_user_model().objects.get(pk=actor.user_id)
    if not reenter_password(request, user, password or "", f"e-signature: {action}"):
        raise Forbidden(_("The password is not correct: nothing was signed."))


def record_signature(audit: AuditBatch, actor: Actor, action: str, reason: str) -> Signature:
    signature = Signature.objects.create(
        action=action, by_id=actor.user_id, at=audit.now, meaning=str(MEANINGS[action]),
        reason=reason,
    )  # fmt: skip
    audit.created(signature)
    return signature


class ChecklistOpen(Refused):
    """The lock checklist has open items and the lock was not confirmed (409, items listed)."""

    code = "checklist_open"

    def __init__(self, items: list[Any]) -> None:
        from gvhdtrial.web.lock.checklist import open_items

        self.items = items
        listed = "; ".join(f"{item.label}: {item.count}" for item in items if item.count)
        super().__init__(
            _("%(n)s item(s) of the lock checklist are open (%(items)s): confirm the lock to "
              "lock with them open. Nothing was changed.") % {"n": open_items(items),
                                                              "items": listed}
        )  # fmt: skip


def lock_database(
    actor: Actor,
    reason: str,
    password: str,
    request: HttpRequest | None = None,
    *,
    confirmed: bool = False,
) -> DatabaseLock:
    """Lock (e-signed). While the lock checklist has open items the lock is refused
    (:class:`ChecklistOpen`) unless ``confirmed``; a confirmed lock records the open items'
    counts in its reason (the trail's and the signature's)."""
    from gvhdtrial.web.lock.checklist import confirmed_reason, lock_checklist, open_items

    require(actor, Permission.LOCK)
    if not (reason or "").strip():
        raise Invalid(_("A reason is required to lock the database."))
    items = lock_checklist()
    if open_items(items) and not confirmed:
        raise ChecklistOpen(items)
    check_signature(actor, "lock", password, request)
    if open_items(items):
        reason = confirmed_reason(reason, items)
    with write(actor, reason=reason, when_locked=True) as audit:
        lock = DatabaseLock.objects.select_for_update().get(pk=1)
        if lock.locked:
            raise Refused(_("The database is already locked."))
        before = snapshot(lock)
        lock.locked, lock.changed_at, lock.changed_by_id, lock.reason = (
            True, audit.now, actor.user_id, reason,
        )  # fmt: skip
        lock.save()
        audit.changed(lock, before)
        record_signature(audit, actor, "lock", reason)
    return lock


def unlock_database(
    actor: Actor, reason: str, password: str, request: HttpRequest | None = None
) -> DatabaseLock:
    from gvhdtrial.web.unblinding.models import trial_is_unblinded

    require(actor, Permission.UNLOCK)
    if trial_is_unblinded():
        raise Refused(str(UNBLINDED_NO_UNLOCK))
    if not (reason or "").strip():
        raise Invalid(_("A reason is required to unlock the database."))
    check_signature(actor, "unlock", password, request)
    with write(actor, reason=reason, when_locked=True) as audit:
        if trial_is_unblinded():  # checked again under the write lock
            raise Refused(str(UNBLINDED_NO_UNLOCK))
        lock = DatabaseLock.objects.select_for_update().get(pk=1)
        if not lock.locked:
            raise Refused(_("The database is not locked."))
        before = snapshot(lock)
        lock.locked, lock.changed_at, lock.changed_by_id, lock.reason = (
            False, audit.now, actor.user_id, reason,
        )  # fmt: skip
        lock.save()
        audit.changed(lock, before)
        record_signature(audit, actor, "unlock", reason)
    return lock
