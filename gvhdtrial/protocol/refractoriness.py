"""Steroid refractoriness of acute GVHD, from the steroid course and serial organ stages.

The paper (Methods: Patients; docs/protocol.md section 3) names four categories:

1. progression after 3 days of steroids;
2. failure to improve after 7 days;
3. failure to reach CR after 14 days;
4. failure during taper (steroid dependence).

Categories 1-3 are "steroid resistance", category 4 "steroid dependence". Each definition is one
row of ``REFRACTORINESS_DEFINITIONS``; this is how each criterion is evaluated, with day = days
since steroid start (the first assessment is at day 0 and is the reference stage):

- progression (category 1): at an assessment on day >= ``progression_day``, any organ stage is
  higher than at steroid start (a newly involved organ counts). If ``resistance_min_dose`` is
  set, every dose in effect from day 0 to that day must have been at least that dose.
- new organ (category 1, REACH only): the disease at steroid start involved only skin and/or
  upper GI, the dose was >= ``new_organ_min_dose`` throughout, and at a later assessment liver
  or lower GI became involved.
- failure to improve (category 2): the first assessment on day >= ``no_improvement_day`` is not
  improved, "improved" meaning at least one organ stage lower than at steroid start and none
  higher (CIBMTR partial response or better, Martin et al., BBMT 2009). Dose as in category 1.
- failure to reach CR (category 3): the first assessment on day >= ``no_cr_day`` still has an
  organ stage above 0.
- dose back up (category 4): after the taper began (a dose record lower than the one before),
  a dose record raises the dose to >= ``taper_increase_to`` mg/kg/day.
- taper floor (category 4): after the taper began, the dose is raised again before it has been
  held below ``taper_floor`` mg/kg/day for ``taper_floor_days`` days (the dose "could not be
  tapered below 0.5 mg/kg/day for at least 7 days").
- flare during taper (category 4, EBMT-NIH-CIBMTR and REACH): after improvement from steroid
  start, while the dose is below the starting dose, an assessment shows an organ stage higher
  than at the assessment before.

Doses are methylprednisolone equivalents in mg/kg/day (prednisone 1 mg = methylprednisolone
0.8 mg); each dose record holds from its date until the next record. The category reported is
the criterion met first (earliest day; on the same day the lower category number); every
criterion met is listed in ``SRCategory.criteria_met``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from gvhdtrial.protocol._validation import require_choice, require_non_negative
from gvhdtrial.protocol.staging import ORGANS, OrganStages

# Prednisone 1 mg = methylprednisolone 0.8 mg (docs/protocol.md section 3).
METHYLPREDNISOLONE_PER_PREDNISONE: Final = 0.8

#: Methylprednisolone mg per mg of each corticosteroid: the one equivalence table of the code.
#: Prednisone 1 mg = methylprednisolone 0.8 mg is the protocol's (docs/protocol.md section 3);
#: prednisolone is equipotent with prednisone; dexamethasone 0.75 mg and hydrocortisone 20 mg =
#: methylprednisolone 4 mg (standard glucocorticoid equivalence, e.g. BNF "Glucocorticoid
#: therapy"). An agent not listed is an error (``methylprednisolone_mg``), never a guess.
METHYLPREDNISOLONE_PER_MG: Final[Mapping[str, float]] = {
    "methylprednisolone": 1.0,
    "prednisone": METHYLPREDNISOLONE_PER_PREDNISONE,
    "prednisolone": METHYLPREDNISOLONE_PER_PREDNISONE,
    "dexamethasone": 4.0 / 0.75,
    "hydrocortisone": 4.0 / 20.0,
}


def methylprednisolone_equivalent(prednisone_mg_per_kg_day: float) -> float:
    """Methylprednisolone mg/kg/day equivalent to a prednisone dose (1 mg = 0.8 mg)."""
    dose = require_non_negative(
        "prednisone_mg_per_kg_day", prednisone_mg_per_kg_day, "a dose >= 0 mg/kg/day"
    )
    return dose * METHYLPREDNISOLONE_PER_PREDNISONE


def methylprednisolone_mg(agent: str, mg: float) -> float:
    """Methylprednisolone mg equivalent to ``mg`` of ``agent`` (``METHYLPREDNISOLONE_PER_MG``).

    Raises ValueError naming the agent for an agent not in the table.
    """
    factor = METHYLPREDNISOLONE_PER_MG.get(str(agent))
    if factor is None:
        known = ", ".join(METHYLPREDNISOLONE_PER_MG)
        raise ValueError(f"steroid agent: {agent!r} has no equivalence; expected one of {known}")
    return require_non_negative("dose_mg_per_day", mg, "a dose >= 0 mg/day") * factor


@dataclass(frozen=True)
class RefractorinessDefinition:
    """The thresholds of one definition of steroid-refractory aGVHD (see module docstring).

    ``None`` switches a criterion off. Doses are methylprednisolone mg/kg/day.
    """

    name: str
    source: str
    progression_day: int
    no_improvement_day: int | None
    no_cr_day: int | None
    resistance_min_dose: float | None
    taper_increase_to: float | None
    taper_floor: float | None
    taper_floor_days: int
    flare_during_taper: bool
    new_organ_min_dose: float | None


# One row per definition (docs/protocol.md section 3: the paper's is the default, the others are
# *configurable* alternatives).
REFRACTORINESS_DEFINITIONS: Final[Mapping[str, RefractorinessDefinition]] = {
    # Paper, Methods: Patients: progression after 3 days, failure to improve after 7 days,
    # no CR after 14 days of first-line 1-2 mg/kg/day (no minimum dose); dependence = dose back
    # up to >= 2 mg/kg/day, or not tapered below 0.5 mg/kg/day for at least 7 days.
    "paper": RefractorinessDefinition(
        name="paper",
        source="Yang et al. (this trial), Methods: Patients",
        progression_day=3,
        no_improvement_day=7,
        no_cr_day=14,
        resistance_min_dose=None,
        taper_increase_to=2.0,
        taper_floor=0.5,
        taper_floor_days=7,
        flare_during_taper=False,
        new_organ_min_dose=None,
    ),
    # Schoemans et al., BMT 2018 (EBMT-NIH-CIBMTR Task Force): refractory = progression after
    # 3-5 days of >= 2 mg/kg/day prednisone (1.6 mg/kg/day methylprednisolone), failure to
    # improve after 5-7 days (the later bound, 7, is used), or incomplete response after 28 days;
    # dependent = inability to taper under 2 mg/kg/day prednisone after initial success, or
    # recurrence of activity during taper.
    "ebmt_nih_cibmtr_2018": RefractorinessDefinition(
        name="ebmt_nih_cibmtr_2018",
        source="Schoemans et al., Bone Marrow Transplant 2018;53:1401-15",
        progression_day=3,
        no_improvement_day=7,
        no_cr_day=28,
        resistance_min_dose=1.6,
        taper_increase_to=1.6,
        taper_floor=None,
        taper_floor_days=7,
        flare_during_taper=True,
        new_organ_min_dose=None,
    ),
    # REACH1 (Jagasia et al., Blood 2020) and REACH2 (Zeiser et al., NEJM 2020): progression after
    # 3 days or no response after 7 days of methylprednisolone >= 2 mg/kg/day; new organ
    # involvement after >= 1 mg/kg/day for skin/upper GI aGVHD; recurrence during taper, dose back
    # up to >= 2 mg/kg/day, or failure to taper below 0.5 mg/kg/day for at least 7 days.
    "reach": RefractorinessDefinition(
        name="reach",
        source="Jagasia et al., Blood 2020;135:1739-49; Zeiser et al., NEJM 2020;382:1800-10",
        progression_day=3,
        no_improvement_day=7,
        no_cr_day=None,
        resistance_min_dose=2.0,
        taper_increase_to=2.0,
        taper_floor=0.5,
        taper_floor_days=7,
        flare_during_taper=True,
        new_organ_min_dose=1.0,
    ),
}

RefractorinessDefinitionName = Literal["paper", "ebmt_nih_cibmtr_2018", "reach"]
SRKind = Literal["resistance", "dependence"]
# Categories 1-3 are steroid resistance, category 4 steroid dependence (paper, Methods).
KIND_OF_CATEGORY: Final[Mapping[int, SRKind]] = {
    1: "resistance",
    2: "resistance",
    3: "resistance",
    4: "dependence",
}


@dataclass(frozen=True)
class SteroidDose:
    """A steroid dose in methylprednisolone mg/kg/day, in effect from ``date`` to the next record.

    Use ``methylprednisolone_equivalent`` to record a prednisone dose.
    """

    date: dt.date
    mg_per_kg_day: float

    def __post_init__(self) -> None:
        if not isinstance(self.date, dt.date):
            raise ValueError(f"dose date: {self.date!r} is not a date")
        require_non_negative(
            "mg_per_kg_day", self.mg_per_kg_day, "a methylprednisolone dose >= 0 mg/kg/day"
        )


@dataclass(frozen=True)
class DatedStages:
    """Organ stages assessed on a calendar date."""

    date: dt.date
    stages: OrganStages

    def __post_init__(self) -> None:
        if not isinstance(self.date, dt.date):
            raise ValueError(f"assessment date: {self.date!r} is not a date")
        if not isinstance(self.stages, OrganStages):
            raise ValueError(f"stages: {self.stages!r} is not an OrganStages")


@dataclass(frozen=True)
class SteroidCourse:
    """First-line steroid course: start date, dose records and serial organ stages.

    ``doses`` start on ``start_date`` and are in strictly increasing date order; ``assessments``
    likewise, the first one at ``start_date`` (the reference for progression and improvement).
    """

    start_date: dt.date
    doses: tuple[SteroidDose, ...]
    assessments: tuple[DatedStages, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.start_date, dt.date):
            raise ValueError(f"start_date: {self.start_date!r} is not a date")
        object.__setattr__(self, "doses", tuple(self.doses))
        object.__setattr__(self, "assessments", tuple(self.assessments))
        _require_dated_series("doses", self.doses, self.start_date)
        _require_dated_series("assessments", self.assessments, self.start_date)

    def day(self, when: dt.date) -> int:
        """Days since steroid start."""
        return (when - self.start_date).days

    def dose_on_day(self, day: int) -> float:
        """Dose in effect on a day since steroid start (the last record on or before it)."""
        in_effect = self.doses[0].mg_per_kg_day
        for record in self.doses:
            if self.day(record.date) > day:
                break
            in_effect = record.mg_per_kg_day
        return in_effect


def _require_dated_series(
    field: str, records: Sequence[SteroidDose | DatedStages], start: dt.date
) -> None:
    if not records:
        raise ValueError(f"{field}: empty; expected at least one record, the first at {start}")
    if records[0].date != start:
        raise ValueError(
            f"{field}: first record dated {records[0].date} is not the steroid start date "
            f"{start}; expected the first record at steroid start"
        )
    for earlier, later in itertools.pairwise(records):
        if later.date <= earlier.date:
            raise ValueError(
                f"{field}: record dated {later.date} follows {earlier.date}; "
                "expected strictly increasing dates"
            )


@dataclass(frozen=True)
class SRCriterion:
    """One refractoriness criterion met: its paper category (1-4), the day met and why."""

    category: int
    day: int
    reason: str


@dataclass(frozen=True)
class SRCategory:
    """Result of ``steroid_refractory_category``: the category (None if not refractory)."""

    definition: str
    category: int | None
    day: int | None
    reason: str
    criteria_met: tuple[SRCriterion, ...]

    @property
    def refractory(self) -> bool:
        """Whether any criterion was met."""
        return self.category is not None

    @property
    def kind(self) -> SRKind | None:
        """ "resistance" (categories 1-3), "dependence" (category 4) or None."""
        return None if self.category is None else KIND_OF_CATEGORY[self.category]


def _worse_organs(reference: OrganStages, stages: OrganStages) -> list[str]:
    return [organ for organ in ORGANS if getattr(stages, organ) > getattr(reference, organ)]


def _improved(reference: OrganStages, stages: OrganStages) -> bool:
    better = any(getattr(stages, organ) < getattr(reference, organ) for organ in ORGANS)
    return better and not _worse_organs(reference, stages)


def _min_dose_through(course: SteroidCourse, day: int) -> float:
    return min(course.dose_on_day(d) for d in range(day + 1))


def _resistance_criteria(
    course: SteroidCourse, rules: RefractorinessDefinition, last_day: int
) -> list[SRCriterion]:
    start = course.assessments[0].stages
    dated = [(course.day(a.date), a.stages) for a in course.assessments]
    dated = [(day, stages) for day, stages in dated if day <= last_day]
    met: list[SRCriterion] = []

    def dose_ok(day: int, minimum: float | None) -> bool:
        return minimum is None or _min_dose_through(course, day) >= minimum

    for day, stages in dated:
        worse = _worse_organs(start, stages)
        if day >= rules.progression_day and worse and dose_ok(day, rules.resistance_min_dose):
            met.append(SRCriterion(1, day, f"progression on day {day}: {', '.join(worse)} worse"))
            break

    only_skin_or_upper_gi = start.liver == 0 and start.lower_gi == 0
    if rules.new_organ_min_dose is not None and only_skin_or_upper_gi:
        for day, stages in dated[1:]:
            new = [organ for organ in ("liver", "lower_gi") if getattr(stages, organ) > 0]
            if new and dose_ok(day, rules.new_organ_min_dose):
                met.append(
                    SRCriterion(1, day, f"new organ involved on day {day}: {', '.join(new)}")
                )
                break

    if rules.no_improvement_day is not None:
        later = [(d, s) for d, s in dated if d >= rules.no_improvement_day]
        if later:
            day, stages = later[0]
            if not _improved(start, stages) and dose_ok(day, rules.resistance_min_dose):
                met.append(SRCriterion(2, day, f"no improvement on day {day}"))

    if rules.no_cr_day is not None:
        later = [(d, s) for d, s in dated if d >= rules.no_cr_day]
        if later and later[0][1].any_involved:
            day = later[0][0]
            met.append(SRCriterion(3, day, f"no complete response on day {day}"))
    return met


def _dependence_criteria(
    course: SteroidCourse, rules: RefractorinessDefinition, last_day: int
) -> list[SRCriterion]:
    doses = [(course.day(d.date), d.mg_per_kg_day) for d in course.doses]
    doses = [(day, dose) for day, dose in doses if day <= last_day]
    met: list[SRCriterion] = []

    taper_started = False
    below_floor_since: int | None = None
    # Once the dose has been held below the floor for the required days, the taper succeeded
    # and later increases are no longer a failure to taper below it.
    floor_reached = False
    for (_, previous), (day, dose) in itertools.pairwise(doses):
        if below_floor_since is not None and day - below_floor_since >= rules.taper_floor_days:
            floor_reached = True
        if dose < previous:
            taper_started = True
        elif dose > previous and taper_started:
            if rules.taper_increase_to is not None and dose >= rules.taper_increase_to:
                met.append(SRCriterion(4, day, f"dose back up to {dose:g} mg/kg/day on day {day}"))
            if rules.taper_floor is not None and not floor_reached:
                met.append(
                    SRCriterion(
                        4,
                        day,
                        f"dose raised to {dose:g} mg/kg/day on day {day} before it was held below "
                        f"{rules.taper_floor:g} mg/kg/day for {rules.taper_floor_days} days",
                    )
                )
            if met:
                break
        if rules.taper_floor is not None and dose < rules.taper_floor:
            below_floor_since = day if below_floor_since is None else below_floor_since
        else:
            below_floor_since = None

    if rules.flare_during_taper:
        start = course.assessments[0].stages
        starting_dose = course.doses[0].mg_per_kg_day
        improved = False
        assessments = [(course.day(a.date), a.stages) for a in course.assessments]
        for (_, before), (day, stages) in itertools.pairwise(assessments):
            if day > last_day:
                break
            worse = _worse_organs(before, stages)
            if improved and worse and course.dose_on_day(day) < starting_dose:
                met.append(
                    SRCriterion(4, day, f"flare during taper on day {day}: {', '.join(worse)}")
                )
                break
            improved = improved or _improved(start, stages)
    return met


def steroid_refractory_category(
    course: SteroidCourse,
    definition: RefractorinessDefinitionName = "paper",
    *,
    as_of: dt.date | None = None,
) -> SRCategory:
    """Steroid-refractory category of a first-line steroid course, or not refractory.

    Criterion: paper, Methods: Patients (default), or ``"ebmt_nih_cibmtr_2018"`` (Schoemans et
    al., BMT 2018) or ``"reach"`` (Jagasia et al., Blood 2020; Zeiser et al., NEJM 2020); see the
    module docstring for how each criterion is evaluated. Only records dated on or before
    ``as_of`` (default: all) are used, e.g. to decide refractoriness at enrolment.
    """
    require_choice("definition", definition, tuple(REFRACTORINESS_DEFINITIONS))
    if not isinstance(course, SteroidCourse):
        raise ValueError(f"course: {course!r} is not a SteroidCourse")
    rules = REFRACTORINESS_DEFINITIONS[definition]
    if as_of is not None and as_of < course.start_date:
        raise ValueError(
            f"as_of: {as_of} is before the steroid start date {course.start_date}; "
            "expected a date on or after steroid start"
        )
    latest_record = max(course.doses[-1].date, course.assessments[-1].date)
    last_day = course.day(as_of if as_of is not None else latest_record)
    met = _resistance_criteria(course, rules, last_day) + _dependence_criteria(
        course, rules, last_day
    )
    met.sort(key=lambda criterion: (criterion.day, criterion.category))
    if not met:
        return SRCategory(definition, None, None, "not steroid-refractory", ())
    first = met[0]
    return SRCategory(definition, first.category, first.day, first.reason, tuple(met))


# ---------------------------------------------------------------------------------------------
# The first-line course from recorded doses (one builder for data capture, analysis, reference)
# ---------------------------------------------------------------------------------------------
RecordedDose = tuple[dt.date, str, float]  # date, agent, mg/day as recorded


def methylprednisolone_mg_on(doses: Sequence[RecordedDose], day: dt.date) -> float:
    """Methylprednisolone-equivalent mg/day in effect on ``day``: per agent, the latest record
    on or before it (a record holds until that agent's next record), summed over agents."""
    latest: dict[str, tuple[dt.date, float]] = {}
    for date, agent, mg in sorted(doses, key=lambda d: d[0]):
        if date <= day:
            latest[agent] = (date, mg)
    return sum(methylprednisolone_mg(agent, mg) for agent, (_, mg) in sorted(latest.items()))


def steroid_course(
    doses: Sequence[RecordedDose],
    weight_kg: float,
    assessments: Sequence[DatedStages],
    as_of: dt.date | None = None,
) -> tuple[SteroidCourse | None, str]:
    """The course in methylprednisolone mg/kg/day from the recorded doses, or why not.

    One dose record per date on which any agent changes; the assessments from steroid start to
    ``as_of`` (all when None), the first on the start date.
    """
    if not doses:
        return None, "no steroid doses recorded"
    weight = require_non_negative("weight_kg", weight_kg, "a body weight > 0 kg")
    if weight == 0:
        raise ValueError("weight_kg: 0; expected a body weight > 0 kg")
    start = min(d[0] for d in doses)
    change_dates = sorted({d[0] for d in doses})
    course = tuple(
        SteroidDose(day, methylprednisolone_mg_on(doses, day) / weight) for day in change_dates
    )
    if not assessments:
        return None, "no assessments recorded"
    window = [a for a in assessments if a.date >= start and (as_of is None or a.date <= as_of)]
    if not window or window[0].date != start:
        return None, f"no assessment on the steroid start date {start}"
    return SteroidCourse(start, course, tuple(window)), ""
