"""Response of aGVHD to study treatment, compared organ by organ with the baseline stages.

Two rule sets (docs/protocol.md section 5, *configurable*):

``rules="paper"`` (the trial's definitions, the default), evaluated in this order:

1. death -> NR; salvage agents received -> NR (paper, Methods: from then on, at d28 and d56);
2. CR: every organ stage 0;
3. PD: any organ worse than at baseline (including newly involved), with or without
   improvement elsewhere;
4. PR: every organ involved at baseline improved by at least one stage, and none worse;
5. NR: anything else.

CR, PD and PR exclude one another (an all-zero assessment cannot be worse than baseline, and PR
requires no organ worse), so only the overrides in step 1 depend on the order.

``rules="cibmtr"`` (Martin et al., BBMT 2009 joint statement; as used in REACH, Jagasia et al.
Blood 2020 and Zeiser et al. NEJM 2020), in this order:

1. death or salvage -> NR;
2. CR: every organ stage 0;
3. MR (mixed response): at least one organ better and at least one worse;
4. PD: at least one organ worse and none better;
5. VGPR: at least one organ better, none worse, and what remains is at most a skin stage 1
   rash (liver, upper GI and lower GI stage 0). Simplification: Martin 2009 also accepts a
   bilirubin < 25 % of baseline, which stages alone cannot show;
6. PR: at least one organ better and none worse;
7. NR: no organ better or worse.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from gvhdtrial.protocol._validation import require_bool, require_choice, require_int
from gvhdtrial.protocol.staging import ORGANS, OrganStages


class Response(StrEnum):
    """Response categories; equal to their plain strings (``Response.CR == "CR"``)."""

    CR = "CR"
    VGPR = "VGPR"
    PR = "PR"
    MR = "MR"
    NR = "NR"
    PD = "PD"


ResponseRules = Literal["paper", "cibmtr"]
RESPONSE_RULES: Final = ("paper", "cibmtr")

# Responses counted as "response" for ORR and time to response, per rule set
# (paper: ORR = CR + PR; CIBMTR/REACH: ORR = CR + VGPR + PR, mixed response is not a response).
RESPONDING: Final = {
    "paper": frozenset({Response.CR, Response.PR}),
    "cibmtr": frozenset({Response.CR, Response.VGPR, Response.PR}),
}

# CIBMTR very good partial response, as maximum residual stages (Martin et al., BBMT 2009:
# skin rash < 25 % BSA without bullae, bilirubin < 2 mg/dL, formed stools, at most occasional
# nausea).
VGPR_MAX_RESIDUAL_STAGE: Final = {"skin": 1, "liver": 0, "upper_gi": 0, "lower_gi": 0}

# Durable complete response: CR lasting at least 4 weeks, reached within 100 days of the first
# infusion (paper, Methods: Endpoints; docs/protocol.md section 5).
DCR_MIN_DURATION_DAYS: Final = 28
DCR_ONSET_WITHIN_DAYS: Final = 100


def _require_stages(field: str, stages: object) -> OrganStages:
    if not isinstance(stages, OrganStages):
        raise ValueError(f"{field}: {stages!r} is not an OrganStages; expected OrganStages(...)")
    return stages


def assess_response(
    baseline: OrganStages,
    current: OrganStages,
    *,
    died: bool = False,
    salvage: bool = False,
    rules: ResponseRules = "paper",
) -> Response:
    """Response at one assessment compared with the baseline stages (start of study treatment).

    Criterion: paper, Methods and docs/protocol.md section 5 (``rules="paper"``), or CIBMTR
    (Martin et al., BBMT 2009; REACH) with ``rules="cibmtr"``; see the module docstring for
    the order in which each rule set is evaluated.
    """
    _require_stages("baseline", baseline)
    _require_stages("current", current)
    require_bool("died", died)
    require_bool("salvage", salvage)
    require_choice("rules", rules, RESPONSE_RULES)

    if died or salvage:
        return Response.NR
    if not current.any_involved:
        return Response.CR
    worse = [organ for organ in ORGANS if getattr(current, organ) > getattr(baseline, organ)]
    better = [organ for organ in ORGANS if getattr(current, organ) < getattr(baseline, organ)]

    if rules == "paper":
        if worse:
            return Response.PD
        if baseline.involved and set(better) == set(baseline.involved):
            return Response.PR
        return Response.NR

    if worse:
        return Response.MR if better else Response.PD
    if not better:
        return Response.NR
    residual_is_minor = all(
        getattr(current, organ) <= limit for organ, limit in VGPR_MAX_RESIDUAL_STAGE.items()
    )
    return Response.VGPR if residual_is_minor else Response.PR


@dataclass(frozen=True)
class StageAssessment:
    """Organ stages assessed on one study day (days counted from randomization).

    ``died``/``salvage`` mark that the patient had died or had received salvage agents by then.
    """

    day: int
    stages: OrganStages
    died: bool = False
    salvage: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", require_int("day", self.day, "a study day"))
        _require_stages("stages", self.stages)
        require_bool("died", self.died)
        require_bool("salvage", self.salvage)


AssessmentLike = StageAssessment | tuple[int, OrganStages]


def _as_assessments(assessments: Iterable[AssessmentLike]) -> tuple[StageAssessment, ...]:
    result = tuple(
        item if isinstance(item, StageAssessment) else StageAssessment(*item)
        for item in assessments
    )
    for earlier, later in itertools.pairwise(result):
        if later.day <= earlier.day:
            raise ValueError(
                f"assessments: day {later.day} follows day {earlier.day}; "
                "expected strictly increasing days"
            )
    return result


def durable_complete_response(
    assessments: Sequence[AssessmentLike],
    first_infusion_day: int,
    *,
    min_duration_days: int = DCR_MIN_DURATION_DAYS,
    within_days: int = DCR_ONSET_WITHIN_DAYS,
) -> bool:
    """Whether a durable complete response (DCR) was reached.

    Criterion: paper, Methods: Endpoints ("complete resolution of aGVHD symptoms for at least
    4 weeks within 100 days after the first infusion"). Evaluated as: some assessment on a day
    from ``first_infusion_day`` to ``first_infusion_day + within_days`` shows CR (every stage 0,
    alive, no salvage), and every following assessment up to one at least ``min_duration_days``
    later is also CR. A CR not yet confirmed 28 days later (no later assessment) does not count.
    """
    require_int("first_infusion_day", first_infusion_day, "a study day")
    ordered = _as_assessments(assessments)
    onset: int | None = None
    for assessment in ordered:
        in_cr = not (assessment.died or assessment.salvage or assessment.stages.any_involved)
        if not in_cr:
            onset = None
            continue
        if onset is None:
            if not first_infusion_day <= assessment.day <= first_infusion_day + within_days:
                continue
            onset = assessment.day
        if assessment.day - onset >= min_duration_days:
            return True
    return False


def time_to_first_response(
    baseline: OrganStages,
    assessments: Sequence[AssessmentLike],
    *,
    origin_day: int = 0,
    rules: ResponseRules = "paper",
) -> int | None:
    """Days from ``origin_day`` to the first assessment showing a response, or None.

    Criterion: docs/protocol.md section 5 ("first day at which CR or PR is assessed"); a response is
    CR or PR under ``rules="paper"``, CR, VGPR or PR under ``rules="cibmtr"``. Days are study
    days (from randomization); pass the first infusion's day as ``origin_day`` to count from it.
    """
    _require_stages("baseline", baseline)
    require_choice("rules", rules, RESPONSE_RULES)
    for assessment in _as_assessments(assessments):
        response = assess_response(
            baseline,
            assessment.stages,
            died=assessment.died,
            salvage=assessment.salvage,
            rules=rules,
        )
        if response in RESPONDING[rules]:
            return assessment.day - origin_day
    return None
