"""The e-signature form: reason, the stated meaning, and the password re-entered."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignatureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    password = forms.CharField(
        label=_("Your password (re-enter to sign)"), widget=forms.PasswordInput, max_length=200
    )
