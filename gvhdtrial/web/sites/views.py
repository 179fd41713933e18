"""Home page, the user list (administrator) and the language switch."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from gvhdtrial.web.pages import page
from gvhdtrial.web.sites.models import Membership, Site, set_user_language
from gvhdtrial.web.sites.roles import Permission


@page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sites": Site.objects.all()})


@page(Permission.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    members = Membership.objects.select_related("user", "site").order_by("role", "user__username")
    return render(request, "web/users.html", {"members": members})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language: kept in the user's preference when signed in, and in a cookie (for
    the login page). An unknown language is ignored; ``next`` must point to this site."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        set_user_language(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        httponly=True,
    )
    return response
