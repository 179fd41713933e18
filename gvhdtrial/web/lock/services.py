"""Database lock and unlock (unlock needs a reason); both audited."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gvhdtrial.web.errors import Invalid, Refused, require
from gvhdtrial.web.gateway import snapshot, write
from gvhdtrial.web.lock.models import DatabaseLock
from gvhdtrial.web.sites.roles import Actor, Permission


def lock_database(actor: Actor, reason: str) -> DatabaseLock:
    require(actor, Permission.LOCK)
    if not (reason or "").strip():
        raise Invalid(_("A reason is required to lock the database."))
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
    return lock


def unlock_database(actor: Actor, reason: str) -> DatabaseLock:
    require(actor, Permission.UNLOCK)
    if not (reason or "").strip():
        raise Invalid(_("A reason is required to unlock the database."))
    with write(actor, reason=reason, when_locked=True) as audit:
        lock = DatabaseLock.objects.select_for_update().get(pk=1)
        if not lock.locked:
            raise Refused(_("The database is not locked."))
        before = snapshot(lock)
        lock.locked, lock.changed_at, lock.changed_by_id, lock.reason = (
            False, audit.now, actor.user_id, reason,
        )  # fmt: skip
        lock.save()
        audit.changed(lock, before)
    return lock
