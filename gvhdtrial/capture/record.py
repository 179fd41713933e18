"""One patient's case report forms as plain data: the rows the edit checks, the visit calendar
and the response confirmation read.

Rows are mappings keyed by the field names of the trial data model
(:mod:`gvhdtrial.data.model`), with Python values (``datetime.date``, ``float``, ``bool``,
``str``, ``None`` for missing). A row may carry ``"_ref"``, an opaque reference to where it is
stored (e.g. ``"capture.assessment:12"``); findings echo it back so that a query can be raised on
that record. Nothing here knows about Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gvhdtrial.trial import TrialDefinition

Row = Mapping[str, Any]


@dataclass(frozen=True)
class PatientRecord:
    """Every CRF row of one patient.

    ``patient`` holds the screening/baseline row (``patients`` table: ``weight_kg``,
    ``hsct_date``, ``agvhd_onset_date``, ``screening_date``, ``consent_date``, ...);
    ``randomization_date`` is None until the patient is randomized. ``responses`` are the
    investigator's confirmations: ``visit`` (a response visit of the trial definition, e.g.
    ``d28``), ``computed``, ``confirmed`` and ``reason`` (required when the confirmation
    overrides the computed response). ``definition`` is the trial definition version the
    patient's data are interpreted under (the version in force at randomization, issue 12);
    None: the one the process runs (:func:`gvhdtrial.trial.current_definition`).
    """

    patient_id: str
    site: str = ""
    patient: Row = field(default_factory=dict)
    randomization_date: dt.date | None = None
    steroid_doses: Sequence[Row] = ()
    infusions: Sequence[Row] = ()
    assessments: Sequence[Row] = ()
    therapies: Sequence[Row] = ()
    adverse_events: Sequence[Row] = ()
    events: Sequence[Row] = ()
    responses: Sequence[Row] = ()
    definition: TrialDefinition | None = field(default=None, compare=False, repr=False)

    @property
    def trial_definition(self) -> TrialDefinition:
        """The definition this patient's data are interpreted under."""
        if self.definition is not None:
            return self.definition
        from gvhdtrial.trial import current_definition

        return current_definition()

    @property
    def death_date(self) -> dt.date | None:
        """The date of the (first) death event, if any."""
        known: list[dt.date] = [
            e["event_date"]
            for e in self.events
            if e.get("event_type") == "death" and isinstance(e.get("event_date"), dt.date)
        ]
        return min(known) if known else None

    @property
    def off_study_date(self) -> dt.date | None:
        """Death, withdrawal of consent (an event of its own, or the reason a discontinuation
        gives) or loss to follow-up: no visit is expected after it."""
        stops = ("death", "withdrawal", "lost_to_follow_up")
        dates: list[dt.date] = [
            e["event_date"]
            for e in self.events
            if isinstance(e.get("event_date"), dt.date)
            and (
                e.get("event_type") in stops
                or (
                    e.get("event_type") == "discontinuation"
                    and e.get("discontinuation_reason") in ("consent_withdrawn", "death")
                )
            )
        ]
        return min(dates) if dates else None

    @property
    def off_treatment_date(self) -> dt.date | None:
        """Study treatment stopped early (or the patient went off study): no infusion is
        expected after it; visits continue unless the patient is off study."""
        dates: list[dt.date] = [
            e["event_date"]
            for e in self.events
            if e.get("event_type") == "discontinuation" and isinstance(e.get("event_date"), dt.date)
        ]
        off = self.off_study_date
        if off is not None:
            dates.append(off)
        return min(dates) if dates else None

    @property
    def first_infusion_date(self) -> dt.date | None:
        """The date of infusion 1 (else the earliest infusion): day 0 of the treatment plan."""
        dated = [i for i in self.infusions if isinstance(i.get("date"), dt.date)]
        if not dated:
            return None
        first: list[dt.date] = [i["date"] for i in dated if i.get("infusion_number") == 1]
        every: list[dt.date] = [i["date"] for i in dated]
        return first[0] if first else min(every)

    def response(self, visit: str) -> Row | None:
        """The investigator's confirmation for ``visit`` (e.g. ``d28``), if any."""
        for row in self.responses:
            if row.get("visit") == visit:
                return row
        return None

    @property
    def day28_response(self) -> str | None:
        """The confirmed day-28 response (which sets the plan: 16 infusions on PR)."""
        row = self.response("d28")
        return None if row is None else row.get("confirmed")


def _python(value: Any) -> Any:
    """A pandas cell as the Python value a CRF row holds (missing -> None, Timestamp -> date)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT
            return None
    except TypeError:  # pandas.NA
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def records_from_frames(
    patients: Any,
    randomization: Any,
    tables: Mapping[str, Any],
    definitions: Mapping[str, TrialDefinition] | None = None,
) -> dict[str, PatientRecord]:
    """Every randomized patient's :class:`PatientRecord` from loaded trial tables (pandas
    DataFrames as :class:`gvhdtrial.data.TrialData` holds them): what the data-capture layer
    would show for an imported or exported trial; ``definitions``: the definition version each
    patient's data are interpreted under (default: the one the process runs)."""
    rows_of: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, frame in tables.items():
        for row in frame.to_dict("records"):
            clean = {k: _python(v) for k, v in row.items() if k != "patient_id"}
            rows_of.setdefault(str(row["patient_id"]), {}).setdefault(name, []).append(clean)
    info = {str(r["patient_id"]): r for r in patients.to_dict("records")}
    out: dict[str, PatientRecord] = {}
    for r in randomization.to_dict("records"):
        pid = str(r["patient_id"])
        patient = {k: _python(v) for k, v in info[pid].items()}
        out[pid] = PatientRecord(
            patient_id=pid,
            site=str(patient.get("site_id") or ""),
            patient=patient,
            randomization_date=_python(r["randomization_date"]),
            **{name: tuple(rows) for name, rows in rows_of.get(pid, {}).items()},
            definition=(definitions or {}).get(pid),
        )
    return out
