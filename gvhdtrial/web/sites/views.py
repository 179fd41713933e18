"""Home page and the user list (administrator)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gvhdtrial.web.pages import page
from gvhdtrial.web.sites.models import Membership, Site
from gvhdtrial.web.sites.roles import Permission


@page()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sites": Site.objects.all()})


@page(Permission.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    members = Membership.objects.select_related("user", "site").order_by("role", "user__username")
    return render(request, "web/users.html", {"members": members})
