"""Where each column of each table of :data:`gvhdtrial.data.TABLES` lives in the database.

``LOCATIONS[(table, column)] = (model label, field)``. A field written ``answers:<name>`` is a key
of ``patients.Screening.answers`` (the eligibility facts, under the protocol engine's
``Candidate`` names). Import and export follow this map; a test checks that it covers every
column and that each named model field exists.

Service conventions that differ from the data files (both mapped by import and export):

- centres: ``site_id`` is kept in ``SiteProfile.data_site_id`` (the service's own code, e.g.
  ``C01``, is used when a centre has no profile); ``stratum`` is the centre's ``site_id``;
- arms: the data model's codes (``MSC``, ``control``) are the service's configured arm labels
  (``settings.GVHDTRIAL["arms"]``, e.g. ``MSC``, ``placebo``) in the same order;
- ``randomization_date`` is the UTC date of ``Slot.allocated_at`` (an import allocates at noon
  UTC of the recorded date);
- ``kit_numbers`` is the ``;``-joined tracking numbers of the infusion's ``InfusionKit`` rows in
  ``position`` order, and ``bags`` is stored as recorded (the loader checks they agree).
"""

from __future__ import annotations

from django.conf import settings

from gvhdtrial.data import TABLES, table
from gvhdtrial.web.patients.eligibility import BOOL_ANSWERS, FLOAT_ANSWERS, INT_ANSWERS

#: ``patients`` columns stored as screening answers (the engine's names).
ANSWER_COLUMNS: tuple[str, ...] = tuple(
    c for c in table("patients").columns if c in (*BOOL_ANSWERS, *INT_ANSWERS, *FLOAT_ANSWERS)
)

_PATIENT_IDENTITY = {
    "patient_id": ("patients.Patient", "code"),
    "site_id": ("patients.Patient", "site"),
    "weight_kg": ("patients.Patient", "weight_kg"),
    "consent_date": ("patients.Consent", "consent_date"),
}

#: Model holding each CRF table whose rows are one model's rows (patient_id -> ``patient``).
ROW_MODELS: dict[str, str] = {
    "steroid_doses": "capture.SteroidDose",
    "assessments": "capture.Assessment",
    "infusions": "capture.Infusion",
    "therapies": "capture.Therapy",
    "adverse_events": "capture.AdverseEvent",
    "events": "capture.Event",
}


def _locations() -> dict[tuple[str, str], tuple[str, str]]:
    out: dict[tuple[str, str], tuple[str, str]] = {
        ("sites", "site_id"): ("capture.SiteProfile", "data_site_id"),
        ("sites", "name"): ("sites.Site", "name"),
        ("sites", "city"): ("capture.SiteProfile", "city"),
        ("sites", "country"): ("capture.SiteProfile", "country"),
        ("randomization", "patient_id"): ("randomization.Slot", "patient"),
        ("randomization", "randomization_date"): ("randomization.Slot", "allocated_at"),
        ("randomization", "stratum"): ("randomization.Slot", "stratum"),
        ("randomization", "sequence_number"): ("randomization.Slot", "sequence"),
        ("randomization", "arm"): ("randomization.Slot", "arm"),
        ("infusions", "kit_numbers"): ("capture.InfusionKit", "kit"),
    }
    for column in table("patients").columns:
        if column in _PATIENT_IDENTITY:
            out[("patients", column)] = _PATIENT_IDENTITY[column]
        elif column in ANSWER_COLUMNS:
            out[("patients", column)] = ("patients.Screening", f"answers:{column}")
        else:
            out[("patients", column)] = ("capture.Baseline", column)
    for name, model in ROW_MODELS.items():
        for column in table(name).columns:
            if (name, column) not in out:
                out[(name, column)] = (model, "patient" if column == "patient_id" else column)
    return out


LOCATIONS: dict[tuple[str, str], tuple[str, str]] = _locations()
assert {(t.name, c) for t in TABLES for c in t.columns} == set(LOCATIONS)


def data_arms() -> tuple[str, ...]:
    """The data model's arm codes, in declared order (``MSC``, ``control``)."""
    return table("randomization").field("arm").allowed


def arm_to_service() -> dict[str, str]:
    """Data model arm code -> the service's arm label."""
    return dict(zip(data_arms(), settings.GVHDTRIAL["arms"], strict=True))


def arm_to_data() -> dict[str, str]:
    """The service's arm label -> data model arm code."""
    return {v: k for k, v in arm_to_service().items()}
