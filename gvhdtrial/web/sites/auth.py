"""Resolving the acting user into an :class:`Actor`."""

from __future__ import annotations

from django.http import HttpRequest

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
