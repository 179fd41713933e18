"""Golden tests for the overall grade and the IBMTR index; each case is named by its rule.

MAGIC: Harris et al., BBMT 2016 (docs/protocol.md section 1). Modified Glucksberg: Przepiorka et
al., Keystone 1994 consensus, BMT 1995. IBMTR severity index: Rowlings et al., BJH 1997.
"""

from __future__ import annotations

import pytest

from gvhdtrial.protocol import OrganStages, ibmtr_index, overall_grade


def stages(skin: int = 0, liver: int = 0, upper_gi: int = 0, lower_gi: int = 0) -> OrganStages:
    return OrganStages(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi)


# (rule, stages, MAGIC grade, Glucksberg grade, IBMTR index)
GRADE_TRUTH_TABLE = [
    ("no aGVHD: grade 0", stages(), 0, 0, None),
    ("I: skin 1 alone", stages(skin=1), 1, 1, "A"),
    ("I: skin 2 alone", stages(skin=2), 1, 1, "B"),
    ("II not III: skin 3 alone (grade is not the largest stage)", stages(skin=3), 2, 2, "C"),
    ("II: liver 1 alone", stages(liver=1), 2, 2, "B"),
    ("II: upper GI 1 alone", stages(upper_gi=1), 2, 2, "B"),
    ("II: lower GI 1 alone", stages(lower_gi=1), 2, 2, "B"),
    ("II: skin 2 with upper GI 1", stages(skin=2, upper_gi=1), 2, 2, "B"),
    ("III: liver 2 alone", stages(liver=2), 3, 3, "B"),
    ("III: liver 3 alone", stages(liver=3), 3, 3, "C"),
    ("III: lower GI 2 alone", stages(lower_gi=2), 3, 3, "B"),
    ("III: lower GI 3 alone", stages(lower_gi=3), 3, 3, "C"),
    ("III: skin 3 with lower GI 2", stages(skin=3, lower_gi=2), 3, 3, "C"),
    ("IV: skin 4 alone", stages(skin=4), 4, 4, "D"),
    ("IV: liver 4 alone", stages(liver=4), 4, 4, "D"),
    ("IV in MAGIC, III in Glucksberg: lower GI 4 alone", stages(lower_gi=4), 4, 3, "D"),
    ("IV: every organ maximal", stages(4, 4, 1, 4), 4, 4, "D"),
]


@pytest.mark.parametrize(
    ("organ_stages", "magic", "glucksberg", "ibmtr"),
    [row[1:] for row in GRADE_TRUTH_TABLE],
    ids=[row[0] for row in GRADE_TRUTH_TABLE],
)
def test_grade_rules_magic_harris_2016_and_glucksberg_keystone_1994(
    organ_stages: OrganStages, magic: int, glucksberg: int, ibmtr: str | None
) -> None:
    assert overall_grade(organ_stages) == magic
    assert overall_grade(organ_stages, "magic") == magic
    assert overall_grade(organ_stages, "glucksberg") == glucksberg


@pytest.mark.parametrize(
    ("organ_stages", "magic", "glucksberg", "ibmtr"),
    [row[1:] for row in GRADE_TRUTH_TABLE],
    ids=[row[0] for row in GRADE_TRUTH_TABLE],
)
def test_ibmtr_severity_index_rowlings_1997(
    organ_stages: OrganStages, magic: int, glucksberg: int, ibmtr: str | None
) -> None:
    assert ibmtr_index(organ_stages) == ibmtr


def test_unknown_grading_system_is_refused() -> None:
    with pytest.raises(ValueError, match="system: 'minnesota'"):
        overall_grade(stages(skin=1), "minnesota")  # type: ignore[arg-type]
