"""The visit calendar: each patient's planned visits and infusions with their status, and the
per-site lists of overdue and upcoming visits.

The plan is the protocol engine's :func:`gvhdtrial.protocol.treatment_plan` (visits, windows,
8 infusions or 16 after PR at day 28), anchored on the first infusion (day 0). Before the first
infusion the plan is anchored on the randomization date (provisional). A visit is

- ``done`` when an assessment falls within its window (an infusion: when it is recorded);
- ``overdue`` when its window has passed without one;
- ``due`` when today is inside its window;
- ``upcoming`` when its window has not opened yet;
- ``off study`` when the patient died, withdrew or was lost to follow-up before the window
  (an infusion also when study treatment was discontinued before its window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from gvhdtrial.capture.record import PatientRecord
from gvhdtrial.protocol import VisitWindows, treatment_plan

VisitStatus = Literal["done", "due", "overdue", "upcoming", "off study"]
# The per-site list shows visits whose window opens within this many days.
UPCOMING_HORIZON_DAYS: Final = 7


@dataclass(frozen=True)
class PlannedVisit:
    kind: Literal["visit", "infusion"]
    name: str
    day: int
    date: dt.date
    earliest: dt.date
    latest: dt.date
    status: VisitStatus
    done_on: dt.date | None = None


@dataclass(frozen=True)
class PatientCalendar:
    patient_id: str
    site: str
    anchor: Literal["first infusion", "randomization (provisional)"]
    day0: dt.date
    number_of_infusions: int
    visits: tuple[PlannedVisit, ...]

    def with_status(self, *statuses: VisitStatus) -> tuple[PlannedVisit, ...]:
        return tuple(v for v in self.visits if v.status in statuses)


def _status(
    earliest: dt.date, latest: dt.date, done_on: dt.date | None, today: dt.date,
    off_study: dt.date | None,
) -> VisitStatus:  # fmt: skip
    if done_on is not None:
        return "done"
    if off_study is not None and off_study <= latest:
        return "off study"
    if today > latest:
        return "overdue"
    if today >= earliest:
        return "due"
    return "upcoming"


def patient_calendar(
    record: PatientRecord, today: dt.date, windows: VisitWindows | None = None
) -> PatientCalendar | None:
    """The patient's calendar, or None before randomization (nothing is planned yet).

    Dosing, visit days and windows are those of the definition version the patient's data are
    interpreted under (``record.trial_definition``: the version in force at randomization)
    unless ``windows`` is given."""
    definition = record.trial_definition
    weight = record.patient.get("weight_kg")
    day0 = record.first_infusion_date or record.randomization_date
    if day0 is None or weight is None:
        return None
    anchor: Literal["first infusion", "randomization (provisional)"] = (
        "first infusion" if record.first_infusion_date else "randomization (provisional)"
    )
    windows = windows or definition.visit_windows
    plan = treatment_plan(
        float(weight), day0, record.day28_response,
        windows=windows,
        dosing=definition.dosing, schedule=definition.visit_schedule,
    )  # fmt: skip
    assessed = sorted(
        a["assessment_date"]
        for a in record.assessments
        if isinstance(a.get("assessment_date"), dt.date)
    )
    infused = {
        i["infusion_number"]: i.get("date")
        for i in record.infusions
        if isinstance(i.get("infusion_number"), int)
    }
    off = record.off_study_date
    off_treatment = record.off_treatment_date
    out: list[PlannedVisit] = []
    used: set[dt.date] = set()
    for v in plan.visits:
        name = "baseline" if v.name == "screening" else v.name
        # The baseline and the day 0 visit are both on day 0: one assessment does for both.
        free = [d for d in assessed if d not in used or (v.day == 0 and d == day0)]
        inside = [d for d in free if v.earliest <= d <= v.latest]
        done = min(inside, key=lambda d: (abs((d - v.date).days), d)) if inside else None
        if done is not None:
            used.add(done)
        out.append(
            PlannedVisit("visit", name, v.day, v.date, v.earliest, v.latest,
                         _status(v.earliest, v.latest, done, today, off), done)
        )  # fmt: skip
    # Infusions keep the twice-weekly visits' window (docs/protocol.md section 4 leaves theirs
    # open; the definition's window_frequent_days, +/- 1 day in phase 2, keeps them apart).
    window = dt.timedelta(days=windows.frequent)
    for inf in plan.infusions:
        earliest, latest = inf.date - window, inf.date + window
        if inf.number == 1:
            earliest = day0  # the first infusion defines day 0
        done_on = infused.get(inf.number)
        done = done_on if isinstance(done_on, dt.date) else None
        if inf.number in infused and done is None:
            done = inf.date
        out.append(
            PlannedVisit("infusion", f"infusion {inf.number}", inf.day, inf.date, earliest,
                         latest, _status(earliest, latest, done, today, off_treatment), done)
        )  # fmt: skip
    out.sort(key=lambda v: (v.date, v.kind != "infusion"))
    return PatientCalendar(
        record.patient_id, record.site, anchor, day0, plan.number_of_infusions, tuple(out)
    )


@dataclass(frozen=True)
class WorklistItem:
    patient_id: str
    site: str
    visit: PlannedVisit


@dataclass(frozen=True)
class SiteWorklist:
    """Overdue visits (oldest first) and visits due now or opening within the horizon."""

    site: str
    today: dt.date
    overdue: tuple[WorklistItem, ...]
    upcoming: tuple[WorklistItem, ...]


def site_worklist(
    site: str,
    calendars: Iterable[PatientCalendar],
    today: dt.date,
    horizon_days: int = UPCOMING_HORIZON_DAYS,
) -> SiteWorklist:
    """The per-site list of overdue and upcoming (due now or within ``horizon_days``) visits."""
    overdue: list[WorklistItem] = []
    upcoming: list[WorklistItem] = []
    horizon = today + dt.timedelta(days=horizon_days)
    for cal in calendars:
        if cal.site != site:
            continue
        for v in cal.visits:
            item = WorklistItem(cal.patient_id, cal.site, v)
            if v.status == "overdue":
                overdue.append(item)
            elif v.status == "due" or (v.status == "upcoming" and v.earliest <= horizon):
                upcoming.append(item)
    key = lambda i: (i.visit.date, i.patient_id, i.visit.kind)  # noqa: E731
    return SiteWorklist(
        site, today, tuple(sorted(overdue, key=key)), tuple(sorted(upcoming, key=key))
    )


def visits_by_status(calendar: PatientCalendar) -> dict[str, Sequence[PlannedVisit]]:
    """The calendar's visits grouped by status (for summaries)."""
    groups: dict[str, list[PlannedVisit]] = {}
    for v in calendar.visits:
        groups.setdefault(v.status, []).append(v)
    return dict(groups)
