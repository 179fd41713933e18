"""Helpers that keep page views thin: resolve the actor, turn service errors into messages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvhdtrial.web.errors import ServiceError
from gvhdtrial.web.gateway import DatabaseLocked, ReasonRequired
from gvhdtrial.web.sites.auth import NoRole, actor_for
from gvhdtrial.web.sites.roles import Permission

View = Callable[..., HttpResponse]


def page(permission: Permission | None = None) -> Callable[[View], View]:
    """Login required; ``request.actor`` set; 403 page without ``permission``; a service error
    on POST becomes a message and a redirect back, on GET an error page with its status."""

    def wrap(view: View) -> View:
        @login_required
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                request.actor = actor_for(request.user)  # type: ignore[attr-defined]
            except NoRole as exc:
                return error_page(request, 403, str(exc))
            if permission is not None and not request.actor.can(permission):  # type: ignore[attr-defined]
                return error_page(request, 403, _("Your role does not allow this page."))
            try:
                return view(request, *args, **kwargs)
            except (ServiceError, DatabaseLocked, ReasonRequired) as exc:
                message = getattr(exc, "message", str(exc))
                status = getattr(exc, "status", 423 if isinstance(exc, DatabaseLocked) else 422)
                if request.method == "POST":
                    messages.error(request, message)
                    return redirect(request.META.get("HTTP_REFERER") or request.path)
                return error_page(request, status, message)

        return inner

    return wrap


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)
