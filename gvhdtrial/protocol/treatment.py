"""Treatment plan: bags per infusion, infusion dates and the visit schedule.

Paper, Methods: Interventions and Investigational agents; docs/protocol.md section 4. Day 0 is the
first infusion; visit days count from it ("visited ... within day 56 ... after investigational
product infusion").
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Final, Literal

from gvhdtrial.protocol._validation import require_choice, require_positive
from gvhdtrial.protocol.response import Response

# Dose and product (paper, Methods: 1.0 x 10^6 cells/kg per infusion; one 50 mL bag holds
# 2.0 x 10^7 cells; placebo bags are identical, 50 mL saline).
TARGET_CELLS_PER_KG: Final = 1_000_000
CELLS_PER_BAG: Final = 20_000_000
ML_PER_BAG: Final = 50
MIN_BAGS_PER_INFUSION: Final = 1
# Plausibility bound on body weight for dosing: a typo (e.g. grams) must not order 300 bags.
MAX_WEIGHT_KG: Final = 400.0

# Infusion schedule (paper, Methods): twice a week, at least 3 days apart, for 4 weeks (8
# infusions); patients in PR at day 28 continue 4 more weeks (16). Within each week the
# infusions fall on days +0 and +3, so the 8th is on day 24, before the day 28 assessment.
INFUSION_DAYS_IN_WEEK: Final = (0, 3)
MIN_DAYS_BETWEEN_INFUSIONS: Final = 3
INFUSION_WEEKS: Final = 4
EXTENDED_INFUSION_WEEKS: Final = 8
EXTEND_ON_DAY28_RESPONSE: Final = Response.PR
#: 8 infusions planned; 16 after PR at day 28 (the one place these numbers come from).
PLANNED_INFUSIONS: Final = INFUSION_WEEKS * len(INFUSION_DAYS_IN_WEEK)
PLANNED_INFUSIONS_EXTENDED: Final = EXTENDED_INFUSION_WEEKS * len(INFUSION_DAYS_IN_WEEK)
DAY28_RESPONSES: Final = tuple(response.value for response in Response)

BagRounding = Literal["nearest", "up"]
BAG_ROUNDINGS: Final = ("nearest", "up")

# Visit schedule (paper, Methods: screening period of one week; visits 2-3 times a week within
# day 56, weekly within day 100, then day 180 and day 360). The twice-weekly visits follow the
# infusion pattern (days 0, 3, 7, 10, ... 52) and end on day 56.
FREQUENT_VISITS_UNTIL_DAY: Final = 56
WEEKLY_VISITS_UNTIL_DAY: Final = 100
LATE_VISIT_DAYS: Final = (180, 360)


@dataclass(frozen=True)
class VisitWindows:
    """Visit windows in days (*configurable*; docs/protocol.md section 4 gives the defaults).

    ``frequent``: the twice-weekly visits to day 56 (not set by the protocol; +/- 1 day keeps
    neighbouring windows from overlapping). ``weekly``: to day 100 (+/- 3). ``late``: days 180
    and 360 (+/- 14). ``screening_days``: screening is at most 7 days before day 0.
    """

    screening_days: int = 7
    frequent: int = 1
    weekly: int = 3
    late: int = 14

    def __post_init__(self) -> None:
        for name in ("screening_days", "frequent", "weekly", "late"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: {value!r} is not a whole number of days >= 0")


@dataclass(frozen=True)
class Dosing:
    """The investigational product and how it is given (the trial definition's ``[dosing]``;
    defaults: the phase 2 trial, paper, Methods: Interventions)."""

    cells_per_kg: int = TARGET_CELLS_PER_KG
    cells_per_bag: int = CELLS_PER_BAG
    ml_per_bag: int = ML_PER_BAG
    bag_rounding: BagRounding = "nearest"
    infusion_days_in_week: tuple[int, ...] = INFUSION_DAYS_IN_WEEK
    min_days_between_infusions: int = MIN_DAYS_BETWEEN_INFUSIONS
    weeks: int = INFUSION_WEEKS
    extended_weeks: int = EXTENDED_INFUSION_WEEKS
    extend_on_day28_response: str | None = EXTEND_ON_DAY28_RESPONSE.value

    def __post_init__(self) -> None:
        require_choice("bag_rounding", self.bag_rounding, BAG_ROUNDINGS)
        for name in ("cells_per_kg", "cells_per_bag", "ml_per_bag", "weeks", "extended_weeks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {value!r}; expected a whole number >= 1")
        days = sorted(self.infusion_days_in_week)
        if not days or len(set(days)) != len(days) or days[0] < 0 or days[-1] > 6:
            raise ValueError(
                f"infusion_days_in_week: {self.infusion_days_in_week!r}; expected distinct days 0-6"
            )
        gaps = [b - a for a, b in itertools.pairwise(days)] + [7 + days[0] - days[-1]]
        if min(gaps) < self.min_days_between_infusions:
            raise ValueError(
                f"infusion_days_in_week: {self.infusion_days_in_week!r} puts infusions "
                f"{min(gaps)} day(s) apart; min_days_between_infusions is "
                f"{self.min_days_between_infusions}"
            )
        if self.extended_weeks < self.weeks:
            raise ValueError(f"extended_weeks: {self.extended_weeks} < weeks {self.weeks}")
        if self.extend_on_day28_response is not None:
            require_choice(
                "extend_on_day28_response", self.extend_on_day28_response, DAY28_RESPONSES
            )

    @property
    def planned_infusions(self) -> int:
        return self.weeks * len(self.infusion_days_in_week)

    @property
    def planned_infusions_extended(self) -> int:
        return self.extended_weeks * len(self.infusion_days_in_week)


PHASE2_DOSING: Final = Dosing()


@dataclass(frozen=True)
class VisitSchedule:
    """Visit days (the trial definition's ``[visits]``; defaults: the phase 2 trial)."""

    frequent_until_day: int = FREQUENT_VISITS_UNTIL_DAY
    weekly_until_day: int = WEEKLY_VISITS_UNTIL_DAY
    late_days: tuple[int, ...] = LATE_VISIT_DAYS

    def __post_init__(self) -> None:
        if not 0 < self.frequent_until_day <= self.weekly_until_day:
            raise ValueError(
                f"frequent_until_day: {self.frequent_until_day}; expected 1 to weekly_until_day "
                f"({self.weekly_until_day})"
            )
        if any(d <= self.weekly_until_day for d in self.late_days):
            raise ValueError(f"late_days: {self.late_days!r}; expected days after weekly_until_day")


PHASE2_VISIT_SCHEDULE: Final = VisitSchedule()


@dataclass(frozen=True)
class Infusion:
    """One planned infusion: its number (1-based), day (0 = first infusion) and date."""

    number: int
    day: int
    date: dt.date


@dataclass(frozen=True)
class Visit:
    """One planned visit: target day and date, and the window around it in days."""

    day: int
    name: str
    date: dt.date
    window_before: int
    window_after: int

    @property
    def earliest(self) -> dt.date:
        """First date inside the window."""
        return self.date - timedelta(days=self.window_before)

    @property
    def latest(self) -> dt.date:
        """Last date inside the window."""
        return self.date + timedelta(days=self.window_after)


@dataclass(frozen=True)
class TreatmentPlan:
    """A patient's plan: bags per infusion, delivered dose, infusions and visits."""

    weight_kg: float
    bags_per_infusion: int
    delivered_cells_per_kg: float
    volume_ml_per_infusion: int
    infusions: tuple[Infusion, ...]
    visits: tuple[Visit, ...]

    @property
    def number_of_infusions(self) -> int:
        """How many infusions are planned (8, or 16 after PR at day 28)."""
        return len(self.infusions)


def _require_weight(weight_kg: float) -> float:
    expected = f"a body weight > 0 and <= {MAX_WEIGHT_KG:g} kg"
    weight = require_positive("weight_kg", weight_kg, expected)
    if weight > MAX_WEIGHT_KG:
        raise ValueError(f"weight_kg: {weight_kg!r} is implausibly large; expected {expected}")
    return weight


def bags_per_infusion(
    weight_kg: float, rounding: BagRounding = "nearest", dosing: Dosing = PHASE2_DOSING
) -> int:
    """Bags per infusion: weight x 1e6 / 2e7, rounded to a whole bag, at least one.

    ``rounding="nearest"`` (default, docs/protocol.md section 4) rounds half up (2.5 -> 3, never
    banker's rounding); ``"up"`` always rounds up. Computed in decimal so that e.g. 50 kg is
    exactly 2.5 bags.
    """
    weight = _require_weight(weight_kg)
    require_choice("rounding", rounding, BAG_ROUNDINGS)
    exact_bags = Decimal(repr(weight)) * dosing.cells_per_kg / dosing.cells_per_bag
    mode = ROUND_HALF_UP if rounding == "nearest" else ROUND_CEILING
    return max(MIN_BAGS_PER_INFUSION, int(exact_bags.quantize(Decimal(1), rounding=mode)))


def planned_infusions(day28_response: Response | str | None, dosing: Dosing = PHASE2_DOSING) -> int:
    """How many infusions are planned: 16 after PR at day 28, else 8 (unknown response: 8)."""
    if day28_response is not None and day28_response == dosing.extend_on_day28_response:
        return dosing.planned_infusions_extended
    return dosing.planned_infusions


def _infusion_days(weeks: int, dosing: Dosing = PHASE2_DOSING) -> list[int]:
    days = sorted(dosing.infusion_days_in_week)
    return [7 * week + offset for week in range(weeks) for offset in days]


def _visit_schedule(
    first_infusion: dt.date,
    windows: VisitWindows,
    schedule: VisitSchedule = PHASE2_VISIT_SCHEDULE,
    dosing: Dosing = PHASE2_DOSING,
) -> tuple[Visit, ...]:
    def visit(day: int, name: str, before: int, after: int) -> Visit:
        return Visit(day, name, first_infusion + timedelta(days=day), before, after)

    until = schedule.frequent_until_day
    visits = [visit(0, "screening", windows.screening_days, 0)]
    weeks = -(-until // 7)
    frequent_days = [d for d in _infusion_days(weeks, dosing) if d < until]
    frequent_days.append(until)
    visits += [visit(d, f"day {d}", windows.frequent, windows.frequent) for d in frequent_days]
    weekly_days = range(until + 7, schedule.weekly_until_day, 7)
    visits += [visit(d, f"day {d}", windows.weekly, windows.weekly) for d in weekly_days]
    visits += [visit(d, f"day {d}", windows.late, windows.late) for d in schedule.late_days]
    return tuple(visits)


def treatment_plan(
    weight_kg: float,
    first_infusion_date: dt.date,
    day28_response: Response | str | None = None,
    *,
    rounding: BagRounding | None = None,
    windows: VisitWindows | None = None,
    dosing: Dosing = PHASE2_DOSING,
    schedule: VisitSchedule = PHASE2_VISIT_SCHEDULE,
) -> TreatmentPlan:
    """The treatment plan of one patient (paper, Methods; docs/protocol.md section 4).

    8 infusions twice weekly (days 0, 3, 7, 10, 14, 17, 21, 24), or 16 (to day 52) when the
    day-28 response is PR; CR, NR, PD or an unknown response (None) plan 8. Bags per infusion as
    in ``bags_per_infusion``; the delivered dose is bags x 2e7 cells / weight.
    """
    weight = _require_weight(weight_kg)
    if not isinstance(first_infusion_date, dt.date):
        raise ValueError(f"first_infusion_date: {first_infusion_date!r} is not a date")
    if day28_response is not None:
        require_choice("day28_response", str(day28_response), DAY28_RESPONSES)
    bags = bags_per_infusion(weight, rounding or dosing.bag_rounding, dosing)
    n_planned = planned_infusions(day28_response, dosing)
    weeks = dosing.extended_weeks if n_planned > dosing.planned_infusions else dosing.weeks
    infusions = tuple(
        Infusion(number, day, first_infusion_date + timedelta(days=day))
        for number, day in enumerate(_infusion_days(weeks, dosing), start=1)
    )
    delivered = bags * dosing.cells_per_bag / weight
    return TreatmentPlan(
        weight_kg=weight,
        bags_per_infusion=bags,
        delivered_cells_per_kg=delivered,
        volume_ml_per_infusion=bags * dosing.ml_per_bag,
        infusions=infusions,
        visits=_visit_schedule(first_infusion_date, windows or VisitWindows(), schedule, dosing),
    )
