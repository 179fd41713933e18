"""Home page, the administrator's users and tokens pages, every user's password change, the
language switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvhdtrial.web.errors import Invalid
from gvhdtrial.web.pages import page
from gvhdtrial.web.sites import accounts
from gvhdtrial.web.sites.forms import (
    ReasonOnlyForm,
    RoleChangeForm,
    ThrottledPasswordChangeForm,
    TokenCreateForm,
    UserCreateForm,
)
from gvhdtrial.web.sites.models import ApiToken, Membership, Site, set_user_language
from gvhdtrial.web.sites.roles import Permission, Role


@page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sites": Site.objects.all()})


@page()
def password_change(request: HttpRequest) -> HttpResponse:
    """Every user changes their own password; the current one is required (and throttled)."""
    form = ThrottledPasswordChangeForm(request.user, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
        messages.success(request, _("Your password was changed."))
        return redirect("home")
    return render(request, "web/password_change.html", {"form": form})


def _users_context(request: HttpRequest) -> dict[str, object]:
    members = Membership.objects.select_related("user", "site").order_by("role", "user__username")
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")[:500]
    return {
        "members": members,
        "tokens": tokens,
        "create_form": UserCreateForm(),
        "role_form": RoleChangeForm(),
        "token_form": TokenCreateForm(),
        "reason_form": ReasonOnlyForm(),
    }


@page(Permission.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    """Users, roles and API tokens; creating a user shows its generated password once."""
    actor = request.actor  # type: ignore[attr-defined]
    accounts.expire_tokens(by=actor.username)
    if request.method == "POST":
        form = UserCreateForm(request.POST)
        if not form.is_valid():
            raise Invalid(_("Enter a username and a role (and a site for site roles)."))
        d = form.cleaned_data
        user, password = accounts.create_user(
            d["username"], Role(d["role"]), d["site"] or None, by=actor.username,
            email=d["email"],
        )  # fmt: skip
        context = {**_users_context(request), "new_user": user, "new_password": password}
        return render(request, "web/users.html", context)
    return render(request, "web/users.html", _users_context(request))


def _user_id(user_id: int) -> int:
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise Invalid(_("No such user."))
    return user_id


@require_POST
@page(Permission.MANAGE_USERS)
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        raise Invalid(_("Choose a role and give a reason."))
    d = form.cleaned_data
    accounts.change_role(
        _user_id(user_id), Role(d["role"]), d["site"] or None,
        by=request.actor.username, reason=d["reason"],  # type: ignore[attr-defined]
    )  # fmt: skip
    messages.success(request, _("Role changed."))
    return redirect("users")


@require_POST
@page(Permission.MANAGE_USERS)
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    form = ReasonOnlyForm(request.POST)
    if not form.is_valid():
        raise Invalid(_("Give a reason."))
    active = request.POST.get("active") == "1"
    accounts.set_active(
        _user_id(user_id), active, by=request.actor.username,  # type: ignore[attr-defined]
        reason=form.cleaned_data["reason"],
    )  # fmt: skip
    messages.success(request, _("Account activated.") if active else _("Account deactivated."))
    return redirect("users")


@require_POST
@page(Permission.MANAGE_USERS)
def token_create(request: HttpRequest, user_id: int) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        raise Invalid(_("Give the number of days (1 to 3650)."))
    user = get_user_model().objects.get(pk=_user_id(user_id))
    raw = accounts.issue_token(
        user, by=request.actor.username, label=form.cleaned_data["label"],  # type: ignore[attr-defined]
        days=form.cleaned_data["days"],
    )  # fmt: skip
    context = {**_users_context(request), "new_token": raw, "token_user": user}
    return render(request, "web/users.html", context)


@require_POST
@page(Permission.MANAGE_USERS)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    reason = (request.POST.get("reason") or "").strip() or "revoked by the administrator"
    accounts.revoke_token(token_id, by=request.actor.username, reason=reason)  # type: ignore[attr-defined]
    messages.success(request, _("Token revoked."))
    return redirect("users")


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
