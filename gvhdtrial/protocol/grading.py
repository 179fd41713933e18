"""Overall aGVHD grade (MAGIC, modified Glucksberg) and the IBMTR severity index.

Each system is one table of rows evaluated top down: a row applies when ANY of its organs is at
or above the row's minimum stage, and the first row that applies gives the result. Because every
row only asks "stage >= minimum", raising a stage can never lower the grade or the index. The
grade is not the largest stage: skin stage 3 alone is grade II, lower GI stage 2 alone grade III.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, NamedTuple, cast

from gvhdtrial.protocol._validation import require_choice
from gvhdtrial.protocol.staging import OrganStages


class GradeRule(NamedTuple):
    """One row: ``result`` applies if any organ in ``min_stage`` has at least that stage."""

    result: int | str
    min_stage: Mapping[str, int]


# MAGIC overall grade (Harris et al., BBMT 2016, Table 2; docs/protocol.md section 1), top down:
# IV skin, liver or lower GI stage 4; III liver or lower GI stage 2-3; II skin 3, or liver, upper GI
# or lower GI stage 1; I skin 1-2; else 0.
MAGIC_GRADE_RULES: Final = (
    GradeRule(result=4, min_stage={"skin": 4, "liver": 4, "lower_gi": 4}),
    GradeRule(result=3, min_stage={"liver": 2, "lower_gi": 2}),
    GradeRule(result=2, min_stage={"skin": 3, "liver": 1, "upper_gi": 1, "lower_gi": 1}),
    GradeRule(result=1, min_stage={"skin": 1}),
)

# Modified Glucksberg grade (Przepiorka et al., 1994 Consensus Conference on Acute GVHD Grading,
# "Keystone", BMT 1995;15:825-8), top down: IV skin or liver stage 4; III liver 2-3 or gut 2-4
# (so gut stage 4 is grade III, not IV); II skin 3, liver 1 or gut 1; I skin 1-2; else 0.
# "gut" is lower GI, with persistent upper GI symptoms counting as gut stage 1 (Keystone).
GLUCKSBERG_GRADE_RULES: Final = (
    GradeRule(result=4, min_stage={"skin": 4, "liver": 4}),
    GradeRule(result=3, min_stage={"liver": 2, "gut": 2}),
    GradeRule(result=2, min_stage={"skin": 3, "liver": 1, "gut": 1}),
    GradeRule(result=1, min_stage={"skin": 1}),
)

# IBMTR severity index (Rowlings et al., BJH 1997;97:855-64), top down: D any organ stage 4;
# C skin, liver or gut stage 3; B skin 2, liver 1-2 or gut 1-2; A skin 1 alone; None if no aGVHD.
# Upper GI (not staged in 1997) counts as gut stage 1, as in the Keystone grade above.
IBMTR_INDEX_RULES: Final = (
    GradeRule(result="D", min_stage={"skin": 4, "liver": 4, "gut": 4}),
    GradeRule(result="C", min_stage={"skin": 3, "liver": 3, "gut": 3}),
    GradeRule(result="B", min_stage={"skin": 2, "liver": 1, "gut": 1}),
    GradeRule(result="A", min_stage={"skin": 1}),
)

GradingSystem = Literal["magic", "glucksberg"]
GRADING_SYSTEMS: Final[Mapping[str, tuple[GradeRule, ...]]] = {
    "magic": MAGIC_GRADE_RULES,
    "glucksberg": GLUCKSBERG_GRADE_RULES,
}

IbmtrIndex = Literal["A", "B", "C", "D"]

ROMAN_GRADE: Final = ("0", "I", "II", "III", "IV")
"""Roman numeral of each grade 0-4, for reports."""


def _organ_stage(stages: OrganStages, organ: str) -> int:
    return stages.gut if organ == "gut" else int(getattr(stages, organ))


def _first_rule_met(stages: OrganStages, rules: tuple[GradeRule, ...]) -> int | str | None:
    for rule in rules:
        if any(_organ_stage(stages, organ) >= low for organ, low in rule.min_stage.items()):
            return rule.result
    return None


def _require_stages(stages: object) -> OrganStages:
    if not isinstance(stages, OrganStages):
        raise ValueError(f"stages: {stages!r} is not an OrganStages; expected OrganStages(...)")
    return stages


def overall_grade(stages: OrganStages, system: GradingSystem = "magic") -> int:
    """Overall acute GVHD grade 0-4 from organ stages.

    ``system="magic"``: MAGIC (Harris et al., BBMT 2016), the trial's grade.
    ``system="glucksberg"``: modified Glucksberg (Przepiorka et al., Keystone 1994, BMT 1995).
    See ``MAGIC_GRADE_RULES`` and ``GLUCKSBERG_GRADE_RULES`` for the rows.
    """
    require_choice("system", system, tuple(GRADING_SYSTEMS))
    grade = _first_rule_met(_require_stages(stages), GRADING_SYSTEMS[system])
    return 0 if grade is None else int(grade)


def ibmtr_index(stages: OrganStages) -> IbmtrIndex | None:
    """IBMTR severity index A-D (Rowlings et al., BJH 1997), or None without aGVHD."""
    return cast("IbmtrIndex | None", _first_rule_met(_require_stages(stages), IBMTR_INDEX_RULES))
