"""Electronic data capture without Django: edit checks, the visit calendar, response
confirmation (issue 7).

- :func:`check_patient` runs every edit check on one patient's CRF rows (a
  :class:`PatientRecord`) and returns :class:`Finding` objects (check id, table, field,
  message, source, record reference); :func:`check_fields` checks one row against the data
  model; ``EDIT_CHECKS``, ``DATE_CHECKS`` and ``FIELD_CHECKS`` list them, ``THRESHOLDS`` holds
  their numbers;
- :func:`patient_calendar` and :func:`site_worklist` plan visits and infusions from the
  protocol engine's treatment plan and give each a status (done, due, overdue, upcoming);
- :func:`infusion_refusal` says why an infusion (or its dispensing) breaks the treatment plan;
- :func:`sae_clock` is the 24-hour SAE reporting deadline (due, overdue);
- :func:`compute_response` is the day-28/56 response (protocol engine) the investigator
  confirms or overrides with a reason.
"""

from gvhdtrial.capture.assessed import is_assessed, unassessed_organs
from gvhdtrial.capture.calendar import (
    PatientCalendar,
    PlannedVisit,
    SiteWorklist,
    WorklistItem,
    patient_calendar,
    site_worklist,
)
from gvhdtrial.capture.checks import (
    DATE_CHECKS,
    EDIT_CHECKS,
    FIELD_CHECKS,
    THRESHOLDS,
    EditCheck,
    Finding,
    all_check_ids,
    check_dates,
    check_fields,
    check_kits_across_patients,
    check_patient,
)
from gvhdtrial.capture.infusions import PlanRefusal, infusion_refusal
from gvhdtrial.capture.record import PatientRecord
from gvhdtrial.capture.response import (
    ComputedResponse,
    baseline_assessment,
    compute_response,
    measurements_of,
    stages_of,
    trial_response_rule,
)
from gvhdtrial.capture.sae import SAE_REPORT_HOURS, SaeClock, sae_clock

__all__ = [
    "DATE_CHECKS",
    "EDIT_CHECKS",
    "FIELD_CHECKS",
    "SAE_REPORT_HOURS",
    "THRESHOLDS",
    "ComputedResponse",
    "EditCheck",
    "Finding",
    "PatientCalendar",
    "PatientRecord",
    "PlanRefusal",
    "PlannedVisit",
    "SaeClock",
    "SiteWorklist",
    "WorklistItem",
    "all_check_ids",
    "baseline_assessment",
    "check_dates",
    "check_fields",
    "check_kits_across_patients",
    "check_patient",
    "compute_response",
    "infusion_refusal",
    "is_assessed",
    "measurements_of",
    "patient_calendar",
    "sae_clock",
    "site_worklist",
    "stages_of",
    "trial_response_rule",
    "unassessed_organs",
]
