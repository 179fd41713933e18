"""The response visit: which assessment is "the day-28 visit", against which baseline, and
when death or salvage makes the response NR. One rule, used by data capture (the computed
response the investigator confirms), the analysis (ORR, CR) and the reference verifier.

docs/protocol.md sections 4-5 and the trial definition's ``[response]`` table:

- **time origin**: a visit's target date is its day counted from randomization (the paper's
  d0, the default) or from the first infusion;
- **baseline**: the assessment labelled ``baseline``, else the last assessment on or before the
  time origin (the start of study treatment);
- **the visit's assessment**: among the assessments dated after the time origin, the one
  nearest the target date within +/- ``window_days`` (a tie goes to the earlier);
- **death and salvage**: a death, or a salvage agent started (a ``salvage`` therapy or a
  ``new_systemic_therapy`` event, whichever is first), on or before the later of the target
  date and the visit's assessment makes the response NR (paper, Methods: Procedures);
- **no assessment in the window**: NR by non-responder imputation once the window has closed;
  before that the response is pending (``None``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from gvhdtrial.protocol._validation import require_choice
from gvhdtrial.protocol.response import RESPONSE_RULES, ResponseRules, assess_response
from gvhdtrial.protocol.staging import OrganStages

TimeOrigin = Literal["randomization", "first_infusion"]
TIME_ORIGINS: Final = ("randomization", "first_infusion")

#: What the CRF records as the start of salvage treatment (docs/protocol.md section 4): a
#: therapy row with this role, or an event of this type.
SALVAGE_THERAPY_ROLE: Final = "salvage"
SALVAGE_EVENT_TYPE: Final = "new_systemic_therapy"

#: ``basis`` of a visit response (the analysis writes it as ``resp_<visit>_basis``).
BASIS_ASSESSED: Final = "assessed"
BASIS_DIED: Final = "died"
BASIS_SALVAGE: Final = "salvage"
BASIS_IMPUTED: Final = "no assessment in window (non-responder imputation)"
BASIS_NO_BASELINE: Final = "no baseline assessment"
BASIS_PENDING: Final = "window still open"
BASIS_UNSTAGEABLE: Final = "the visit's assessment cannot be staged"
BASIS_NO_ORIGIN: Final = "no time origin yet"


@dataclass(frozen=True)
class ResponseVisitRule:
    """The response visits of a trial (defaults: the phase 2 trial, docs/protocol.md 4-5).

    ``visits`` maps a visit name to its target day from ``time_origin``; ``window_days`` is the
    +/- window around it; ``rules`` the response rule set (paper or CIBMTR).
    """

    visits: Mapping[str, int] = field(default_factory=lambda: {"D28": 28, "D56": 56})
    window_days: int = 3
    time_origin: TimeOrigin = "randomization"
    rules: ResponseRules = "paper"

    def __post_init__(self) -> None:
        require_choice("time_origin", self.time_origin, TIME_ORIGINS)
        require_choice("rules", self.rules, RESPONSE_RULES)
        if isinstance(self.window_days, bool) or not isinstance(self.window_days, int):
            raise ValueError(f"window_days: {self.window_days!r} is not a whole number of days")
        if self.window_days < 0:
            raise ValueError(f"window_days: {self.window_days} is negative; expected >= 0")
        for name, day in self.visits.items():
            if isinstance(day, bool) or not isinstance(day, int) or day <= self.window_days:
                raise ValueError(
                    f"visits.{name}: {day!r}; expected a whole day > the window "
                    f"({self.window_days})"
                )

    def target_day(self, visit: str) -> int:
        """The visit's target day from the time origin (case-insensitive name)."""
        for name, day in self.visits.items():
            if name.lower() == visit.lower():
                return day
        raise ValueError(f"visit: {visit!r}; expected one of {', '.join(self.visits)}")

    @property
    def visit_names(self) -> tuple[str, ...]:
        """The visits as data capture names them (lower case, e.g. ``d28``), in order."""
        return tuple(name.lower() for name in self.visits)


PHASE2_RESPONSE_VISITS: Final = ResponseVisitRule()


@dataclass(frozen=True)
class DatedAssessment:
    """One assessment: its date, visit label and organ stages (None: it cannot be staged)."""

    date: dt.date
    visit: str | None
    stages: OrganStages | None


@dataclass(frozen=True)
class VisitResponse:
    """The response at one visit, with what it was computed from (``basis`` says how)."""

    visit: str
    response: str | None
    basis: str
    origin: dt.date | None
    target_date: dt.date | None
    assessment: DatedAssessment | None = None
    died: bool = False
    salvage: bool = False

    @property
    def day(self) -> int | None:
        """Days from the time origin to the visit's assessment (None: no assessment)."""
        if self.assessment is None or self.origin is None:
            return None
        return (self.assessment.date - self.origin).days


def time_origin_date(
    rule: ResponseVisitRule,
    randomization_date: dt.date | None,
    first_infusion_date: dt.date | None,
) -> dt.date | None:
    """Day 0 of the response visits (None until that event has happened)."""
    if rule.time_origin == "first_infusion":
        return first_infusion_date
    return randomization_date


def baseline_assessment(
    assessments: Sequence[DatedAssessment], origin: dt.date | None
) -> DatedAssessment | None:
    """The assessment labelled ``baseline`` (the last such), else the last on or before the
    time origin (start of study treatment, docs/protocol.md section 5)."""
    labelled = [a for a in assessments if a.visit == "baseline"]
    if labelled:
        return labelled[-1]
    if origin is None:
        return None
    before = [a for a in assessments if a.date <= origin]
    return max(before, key=lambda a: a.date) if before else None


def salvage_start(
    therapies: Iterable[tuple[str | None, dt.date | None]],
    events: Iterable[tuple[str | None, dt.date | None]],
) -> dt.date | None:
    """The first salvage treatment: a ``salvage`` therapy's start or a
    ``new_systemic_therapy`` event, whichever is first (``(role, start)`` and
    ``(event_type, date)`` pairs; undated rows are ignored)."""
    dates = [d for role, d in therapies if role == SALVAGE_THERAPY_ROLE and d is not None]
    dates += [d for kind, d in events if kind == SALVAGE_EVENT_TYPE and d is not None]
    return min(dates) if dates else None


def visit_assessment(
    rule: ResponseVisitRule,
    assessments: Sequence[DatedAssessment],
    origin: dt.date,
    target: dt.date,
) -> DatedAssessment | None:
    """The assessment after the origin nearest the target within the window (tie: earlier)."""
    inside = [
        a
        for a in assessments
        if a.date > origin and abs((a.date - target).days) <= rule.window_days
    ]
    if not inside:
        return None
    return min(inside, key=lambda a: (abs((a.date - target).days), a.date))


def visit_response(
    rule: ResponseVisitRule,
    visit: str,
    *,
    randomization_date: dt.date | None,
    first_infusion_date: dt.date | None,
    assessments: Sequence[DatedAssessment],
    death_date: dt.date | None = None,
    salvage_date: dt.date | None = None,
    as_of: dt.date | None = None,
) -> VisitResponse:
    """The response at ``visit`` (docs/protocol.md sections 4-5, the module docstring).

    ``assessments`` in date order. ``as_of``: the date the data are read on; a missing
    visit whose window has not closed by then is pending (``None``), not NR. ``as_of=None``
    reads the data as complete (a data cut-off): a missing visit is NR by imputation.
    """
    day = rule.target_day(visit)
    origin = time_origin_date(rule, randomization_date, first_infusion_date)
    if origin is None:
        return VisitResponse(visit, None, BASIS_NO_ORIGIN, None, None)
    target = origin + dt.timedelta(days=day)
    chosen = visit_assessment(rule, assessments, origin, target)
    by_date = target if chosen is None else max(target, chosen.date)
    died = death_date is not None and death_date <= by_date
    salvaged = salvage_date is not None and salvage_date <= by_date
    baseline = baseline_assessment(assessments, origin)

    def result(response: str | None, basis: str) -> VisitResponse:
        return VisitResponse(visit, response, basis, origin, target, chosen, died, salvaged)

    if baseline is None or baseline.stages is None:
        return result(None, BASIS_NO_BASELINE)
    if chosen is None:
        if died:
            return result("NR", BASIS_DIED)
        if salvaged:
            return result("NR", BASIS_SALVAGE)
        closes = target + dt.timedelta(days=rule.window_days)
        if as_of is not None and as_of <= closes:
            return result(None, BASIS_PENDING)
        return result("NR", BASIS_IMPUTED)
    if chosen.stages is None:
        if died or salvaged:
            return result("NR", BASIS_DIED if died else BASIS_SALVAGE)
        return result(None, BASIS_UNSTAGEABLE)
    response = assess_response(
        baseline.stages, chosen.stages, died=died, salvage=salvaged, rules=rule.rules
    )
    basis = BASIS_DIED if died else BASIS_SALVAGE if salvaged else BASIS_ASSESSED
    return result(str(response), basis)
