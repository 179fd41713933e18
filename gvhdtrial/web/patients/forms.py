"""Web forms for screening, consent, dispensing and emergency unblinding."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvhdtrial.web.patients.eligibility import BOOL_ANSWERS

LABELS = {
    "haematologic_malignancy": _("Haematologic malignancy"),
    "first_allo_hsct": _("First allogeneic HSCT"),
    "steroid_refractory": _("Steroid-refractory aGVHD"),
    "agvhd_after_dli": _("aGVHD after donor lymphocyte infusion"),
    "uncontrolled_infection": _("Exclusion: uncontrolled infection (last 6 months)"),
    "pulmonary_arterial_hypertension": _("Exclusion: pulmonary arterial hypertension"),
    "acute_myocardial_infarction": _("Exclusion: acute myocardial infarction"),
    "refractory_hypertension": _("Exclusion: refractory hypertension"),
    "severe_vod_sos": _("Exclusion: severe hepatic VOD/SOS"),
    "other_life_threatening_condition": _("Exclusion: other life-threatening condition"),
    "gut_ta_tma": _("Exclusion: gut TA-TMA"),
    "gi_infection": _("Exclusion: gastrointestinal infection"),
    "active_solid_tumour_within_5_years": _("Exclusion: active solid tumour within 5 years"),
    "severe_allergy_to_blood_products": _("Exclusion: severe allergy to blood products"),
    "mental_or_neurological_disorder": _("Exclusion: mental or neurological disorder"),
}


def _stage_field(label: object, top: int) -> forms.TypedChoiceField:
    """An organ's MAGIC stage at screening (optional: a trial requiring organ involvement, I2e,
    needs all four; the grade is then derived from them)."""
    return forms.TypedChoiceField(
        label=label, coerce=int, empty_value=None, required=False,
        choices=[("", "-"), *((n, str(n)) for n in range(top + 1))],
    )  # fmt: skip


class ScreeningForm(forms.Form):
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), min_value=1, max_value=400, decimal_places=1
    )
    age_years = forms.IntegerField(label=_("Age (years)"), min_value=0, max_value=130)
    agvhd_grade = forms.TypedChoiceField(
        label=_("aGVHD grade (MAGIC)"), coerce=int,
        choices=[(0, "0"), (1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    )  # fmt: skip
    skin_stage = _stage_field(_("Skin stage (MAGIC)"), 4)
    liver_stage = _stage_field(_("Liver stage (MAGIC)"), 4)
    upper_gi_stage = _stage_field(_("Upper GI stage (MAGIC)"), 1)
    lower_gi_stage = _stage_field(_("Lower GI stage (MAGIC)"), 4)
    days_enrolment_to_first_infusion = forms.IntegerField(
        label=_("Days from enrolment to first infusion"), min_value=0, max_value=365, initial=1
    )
    nyha_class = forms.TypedChoiceField(
        label=_("Heart failure (NYHA class)"), coerce=int, empty_value=None, required=False,
        choices=[("", _("none")), (1, "I"), (2, "II"), (3, "III"), (4, "IV")],
    )  # fmt: skip
    creatinine_clearance_ml_min = forms.FloatField(
        label=_("Creatinine clearance (mL/min)"), min_value=0, max_value=1000, required=False
    )
    consent_date = forms.DateField(
        label=_("Written consent signed on (leave empty if not yet)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in BOOL_ANSWERS:
            label = LABELS.get(name, name.replace("_", " ").capitalize())
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def answers(self) -> dict[str, object]:
        data = self.cleaned_data
        return {k: v for k, v in data.items() if k not in ("weight_kg", "consent_date")}


class ConsentForm(forms.Form):
    consent_date = forms.DateField(
        label=_("Consent signed on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DispenseForm(forms.Form):
    infusion_number = forms.IntegerField(label=_("Infusion number"), min_value=1, max_value=16)
    on_date = forms.DateField(
        label=_("Infusion date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=lambda: timezone.now().date(),
    )  # fmt: skip


class UnblindForm(forms.Form):
    reason = forms.CharField(label=_("Medical reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             min_length=10, max_length=2000)  # fmt: skip
    password = forms.CharField(label=_("Your password (re-enter)"), widget=forms.PasswordInput)
