"""Template context shared by every page: the actor, lock state, unread notifications, and the
languages of the switch, each named in itself (``English``, ``简体中文``), so that a reader finds
their own language whichever one the page is in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from gvhdtrial import __version__


def trial(request: HttpRequest) -> dict[str, object]:
    from gvhdtrial.web.lock.models import database_is_locked
    from gvhdtrial.web.sites.auth import NoRole, actor_for
    from gvhdtrial.web.sites.roles import Permission

    context: dict[str, object] = {
        "version": __version__,
        "db_locked": database_is_locked(),
        "languages": settings.LANGUAGES,
    }
    if request.user.is_authenticated:
        try:
            actor = actor_for(request.user)
            context["actor"] = actor
            context["can"] = {p.value: actor.can(p) for p in Permission}
        except NoRole:
            context["actor"] = None
        context["unread"] = request.user.notifications.filter(read=False).count()
    return context
