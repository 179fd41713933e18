# ruff: noqa: RUF012  (Django declares Meta options as class-level lists)
"""Case report forms: Django model forms over the capture models (types, choices and bounds
come from the one data model through ``capture.fields``), plus a reason for any change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gvhdtrial.data.ctcae import CTCAE_TERMS, SOCS
from gvhdtrial.i18n import gettext_lazy
from gvhdtrial.web.capture.models import (
    AdverseEvent,
    Assessment,
    Baseline,
    Event,
    Infusion,
    SteroidDose,
    Therapy,
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


REASON_LABEL = _("Reason for the change (required: the record was saved before)")


class CrfForm(forms.ModelForm):  # type: ignore[type-arg]
    """A CRF model form; ``editing`` adds the required reason-for-change field. ``read_only``
    (a role that may not enter the form) shows every field disabled and no reason field."""

    def __init__(
        self, *args: Any, editing: bool = False, read_only: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        explicit = getattr(self._meta, "labels", None) or {}
        for name, f in self.fields.items():
            data_field = getattr(self._model_field(name), "data_field", None)
            if data_field is not None and name not in explicit:
                f.label = gettext_lazy(data_field.meaning)  # the data dictionary's label
            if isinstance(f, forms.DateField):
                f.widget = _date_input()  # one widget per field: attrs are per field
            if isinstance(f.widget, forms.NumberInput):
                f.widget.attrs.setdefault("step", "any")
            f.widget.attrs.setdefault("id", f"id_{name}")
        if editing and not read_only:
            self.fields["reason"] = forms.CharField(
                label=REASON_LABEL, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
            )
        if read_only:
            for f in self.fields.values():
                f.disabled = True

    def _model_field(self, name: str) -> Any:
        try:
            return self._meta.model._meta.get_field(name)
        except Exception:  # a form-only field (the reason, the kit numbers)
            return None

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class BaselineForm(CrfForm):
    class Meta:
        model = Baseline
        exclude = ["patient"]


class SteroidDoseForm(CrfForm):
    class Meta:
        model = SteroidDose
        exclude = ["patient"]


class AssessmentForm(CrfForm):
    class Meta:
        model = Assessment
        fields = [
            "assessment_date", "visit", "skin_bsa_percent", "skin_bullae",
            "skin_desquamation_percent", "bilirubin", "bilirubin_unit", "upper_gi_persistent",
            "stool_ml_per_day", "stool_episodes_per_day", "stool_mixed_with_urine",
            "severe_abdominal_pain", "ileus", "bloody_stool", "weight_kg",
        ]  # fmt: skip
        labels = {
            "skin_bsa_percent": _("Skin: active erythema (% BSA)"),
            "skin_bullae": _("Skin: bullae"),
            "skin_desquamation_percent": _("Skin: desquamation (% BSA)"),
            "bilirubin": _("Total bilirubin"),
            "bilirubin_unit": _("Bilirubin unit"),
            "upper_gi_persistent": _("Upper GI: persistent nausea, vomiting or anorexia"),
            "stool_ml_per_day": _("Stool volume (mL/day)"),
            "stool_episodes_per_day": _("Stool episodes per day"),
            "stool_mixed_with_urine": _("Stool mixed with urine"),
            "severe_abdominal_pain": _("Severe abdominal pain (opioids)"),
            "ileus": _("Ileus"),
            "bloody_stool": _("Grossly bloody stool"),
            "weight_kg": _("Weight (kg)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.visit if self.instance and self.instance.pk else ""
        self.fields["visit"] = forms.ChoiceField(
            label=_("Visit"),  # a choice of the schedule's visits (the codes are not typed)
            choices=[("", "---------"), *visit_choices(current)],
            widget=forms.Select(attrs={"id": "id_visit"}),
            disabled=self.fields["visit"].disabled,  # read-only for a role that reads the form
        )


def visit_choices(current: str = "") -> list[tuple[str, str]]:
    """The visits of the protocol's schedule (:func:`gvhdtrial.protocol.treatment_plan`) as the
    data model spells them (``baseline``, ``d<N>``), plus ``screening``, ``steroid_start`` and
    ``unscheduled``; a stored value outside the schedule stays choosable."""
    import datetime as dt

    from gvhdtrial.protocol import treatment_plan
    from gvhdtrial.protocol.response import Response

    plan = treatment_plan(60.0, dt.date(2000, 1, 1), Response.PR)  # the days do not depend on it
    days = sorted({v.day for v in plan.visits})
    out = [("screening", _("Screening")), ("steroid_start", _("Start of steroids")),
           ("baseline", _("Baseline (day 0, before the first infusion)"))]  # fmt: skip
    out += [(f"d{d}", _("Day %(day)s") % {"day": d}) for d in days]
    out.append(("unscheduled", _("Unscheduled")))
    if current and current not in {code for code, _label in out}:
        out.append((current, current))
    return out


class InfusionForm(CrfForm):
    kit_numbers = forms.CharField(
        label=_("Kit numbers (scan or type; one per bag, separated by ;)"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "id": "id_kit_numbers"}),
    )

    class Meta:
        model = Infusion
        fields = ["infusion_number", "date", "infusion_reaction", "reaction_description"]

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, editing=editing, **kwargs)
        if editing or kwargs.get("read_only"):
            self.fields["kit_numbers"].required = False
            self.fields["kit_numbers"].disabled = True


class TherapyForm(CrfForm):
    class Meta:
        model = Therapy
        exclude = ["patient"]


class AdverseEventForm(CrfForm):
    #: Not a CRF column: starts the SAE report's 24-hour clock (crf.SaeReport).
    sae_awareness = forms.DateTimeField(
        label=_("Serious: when the site learned of it (date and time; blank: the onset date)"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "id": "id_sae_awareness"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    class Meta:
        model = AdverseEvent
        exclude = ["patient", "ae_id"]
        labels = {
            "term": _("CTCAE v5.0 term"),
            "soc": _("System organ class (CTCAE v5.0)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [("", "---------")] + [
            (t, gettext_lazy(t)) for t in CTCAE_TERMS
        ]
        self.fields["soc"].choices = [("", "---------")] + [(s, gettext_lazy(s)) for s in SOCS]
        self.fields["grade"].widget = forms.Select(
            choices=[(g, str(g)) for g in range(1, 6)], attrs={"id": "id_grade"}
        )


class EventForm(CrfForm):
    class Meta:
        model = Event
        exclude = ["patient", "event_id"]


class ResponseForm(forms.Form):
    confirmed = forms.ChoiceField(
        label=_("Response"), choices=[(r, r) for r in ("CR", "PR", "NR", "PD")]
    )
    reason = forms.CharField(
        label=_("Reason (required to override the computed response or to change it)"),
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )  # fmt: skip


FORM_CLASSES: dict[str, type[CrfForm]] = {
    "baseline": BaselineForm,
    "steroids": SteroidDoseForm,
    "assessments": AssessmentForm,
    "infusions": InfusionForm,
    "therapies": TherapyForm,
    "adverse-events": AdverseEventForm,
    "events": EventForm,
}


class QueryRaiseForm(forms.Form):
    """The question of a query raised from a field (the field comes from the link)."""

    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000)  # fmt: skip


class QueryReplyForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=4000, required=False)  # fmt: skip
