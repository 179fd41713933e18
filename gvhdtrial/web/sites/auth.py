"""Resolving the acting user into an :class:`Actor`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gvhdtrial.web.errors import ServiceError
from gvhdtrial.web.sites.roles import Actor, Role


class NoRole(Exception):
    """The user has no trial role: they may do nothing."""


def actor_for(user: object) -> Actor:
    from gvhdtrial.web.sites.models import Membership
    from gvhdtrial.web.unblinding.models import trial_is_unblinded

    cached = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "membership" in cached:  # loaded with the API token (select_related)
        membership = cached["membership"]
    else:
        membership = Membership.objects.select_related("site").filter(user_id=user.pk).first()  # type: ignore[attr-defined]
    if membership is None:
        raise NoRole("this account has no role in the trial")
    return Actor(
        user_id=user.pk,  # type: ignore[attr-defined]
        username=user.get_username(),  # type: ignore[attr-defined]
        role=Role(membership.role),
        site_code=membership.site.code if membership.site_id else None,
        trial_unblinded=trial_is_unblinded(),
    )


def request_actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


# ---------------------------------------------------------------- throttled passwords (issue 10)
class LockedOut(ServiceError):
    """Too many wrong passwords for this username from this address (django-axes)."""

    status = 429
    code = "locked_out"


def _lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return str(
        _(
            "Too many wrong passwords for this account from this address: it is locked for "
            "%(minutes)d minutes. Ask the administrator if you need access sooner."
        )
        % {"minutes": minutes}
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind the TLS proxy, the address that proxy appended last to
    ``X-Forwarded-For`` (entries to its left come from the client and can be forged). None
    when there is no valid address (a request made in-process): django-axes stores it in an
    IP address column, which PostgreSQL refuses anything else for."""
    import ipaddress

    if settings.BEHIND_TLS and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR", "")):
        candidate = forwarded.split(",")[-1].strip()
    else:
        candidate = str(request.META.get("REMOTE_ADDR") or "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer once locked out: 429, JSON under /api/, else the locked-out page."""
    message = _lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": LockedOut.code, "detail": message}, status=429)
    return render(request, "web/locked_out.html", {"message": message}, status=429)


def reenter_password(request: HttpRequest | None, user: Any, password: str, purpose: str) -> bool:
    """Whether ``password`` is ``user``'s, checked like a login: through django-axes, so a wrong
    password counts towards the lockout of this username from this address and is audited
    (``purpose`` says where it was typed). Raises :class:`LockedOut` while locked out.

    ``request`` None (command line, service tests) is a plain, unthrottled check."""
    from django.contrib.auth import authenticate

    if request is None:
        return bool(user.check_password(password))
    request.password_purpose = purpose  # type: ignore[attr-defined]  (read by the audit handler)
    found = authenticate(request, username=user.get_username(), password=password)
    if getattr(request, "axes_locked_out", False):
        raise LockedOut(_lockout_message())
    return found is not None and found.pk == user.pk


def burn_password_time(password: str) -> None:
    """Spend what checking a password costs (one hash with the default hasher), so a request
    refused before its password is checked answers in the same time class as one that was."""
    make_password(password)
