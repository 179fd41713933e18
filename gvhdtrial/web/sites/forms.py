"""Account forms: password change (current password re-entered, throttled), users and tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from gvhdtrial.web.sites.accounts import MAX_TOKEN_DAYS
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import ROLE_LABELS, Role

ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]  # lazy: shown in the page language


def _site_choices() -> list[tuple[str, str]]:
    return [("", _("all sites (central roles)"))] + [
        (s.code, str(s)) for s in Site.objects.order_by("code")
    ]


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's password change form whose current-password check goes through the login
    throttle (a stolen session cannot try passwords here) and whose save is audited."""

    def __init__(self, user: Any, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        from gvhdtrial.web.sites.auth import reenter_password

        old = self.cleaned_data["old_password"]
        if not reenter_password(self.request, self.user, old, "password change"):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return str(old)

    def save(self, commit: bool = True) -> Any:
        from gvhdtrial.web.sites.accounts import change_password

        # validated by the form already (Django's validators on new_password2)
        change_password(
            self.user, self.cleaned_data["new_password1"], by=self.user.get_username(),
            validate=False,
        )  # fmt: skip
        return self.user


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    site = forms.ChoiceField(label=_("Site"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = _site_choices()


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    site = forms.ChoiceField(label=_("Site"), required=False, choices=())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = _site_choices()


class TokenCreateForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_TOKEN_DAYS,
        initial=settings.TOKEN_DEFAULT_DAYS,
    )  # fmt: skip


class ReasonOnlyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
