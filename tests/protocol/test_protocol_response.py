"""Golden tests for response (paper, Methods; docs/protocol.md section 5) and the CIBMTR rule set
(Martin et al., BBMT 2009; REACH), durable complete response and time to first response."""

from __future__ import annotations

import pytest

from gvhdtrial.protocol import (
    OrganStages,
    Response,
    StageAssessment,
    assess_response,
    durable_complete_response,
    time_to_first_response,
)

NONE = OrganStages()
SKIN2_GUT3 = OrganStages(skin=2, lower_gi=3)

# (clause, baseline, current, died, salvage, expected) under the paper's rules.
PAPER_TRUTH_TABLE = [
    ("CR: every organ stage 0", SKIN2_GUT3, NONE, False, False, "CR"),
    (
        "PR: every involved organ improved by >= 1 stage",
        SKIN2_GUT3,
        OrganStages(1, 0, 0, 2),
        False,
        False,
        "PR",
    ),
    (
        "NR not PR: only one involved organ improved",
        SKIN2_GUT3,
        OrganStages(skin=1, lower_gi=3),
        False,
        False,
        "NR",
    ),
    ("NR: unchanged", SKIN2_GUT3, SKIN2_GUT3, False, False, "NR"),
    (
        "PD: an involved organ got worse",
        SKIN2_GUT3,
        OrganStages(skin=3, lower_gi=3),
        False,
        False,
        "PD",
    ),
    (
        "PD: newly involved organ",
        SKIN2_GUT3,
        OrganStages(skin=2, liver=1, lower_gi=3),
        False,
        False,
        "PD",
    ),
    (
        "PD with improvement elsewhere",
        SKIN2_GUT3,
        OrganStages(skin=0, liver=2, lower_gi=1),
        False,
        False,
        "PD",
    ),
    ("death is NR, even with every stage 0", SKIN2_GUT3, NONE, True, False, "NR"),
    (
        "death is NR, even with progression",
        SKIN2_GUT3,
        OrganStages(skin=4, lower_gi=4),
        True,
        False,
        "NR",
    ),
    ("salvage agents: NR even in CR", SKIN2_GUT3, NONE, False, True, "NR"),
    ("salvage agents: NR even with PR", SKIN2_GUT3, OrganStages(1, 0, 0, 1), False, True, "NR"),
]


@pytest.mark.parametrize(
    ("baseline", "current", "died", "salvage", "expected"),
    [row[1:] for row in PAPER_TRUTH_TABLE],
    ids=[row[0] for row in PAPER_TRUTH_TABLE],
)
def test_response_definitions_of_the_paper_methods(
    baseline: OrganStages, current: OrganStages, died: bool, salvage: bool, expected: str
) -> None:
    response = assess_response(baseline, current, died=died, salvage=salvage)
    assert response == expected
    assert isinstance(response, Response)


CIBMTR_TRUTH_TABLE = [
    ("CR: every organ stage 0", SKIN2_GUT3, NONE, "CR"),
    ("VGPR: only a skin stage 1 rash remains", SKIN2_GUT3, OrganStages(skin=1), "VGPR"),
    ("PR: one organ improved, none worse", SKIN2_GUT3, OrganStages(skin=1, lower_gi=3), "PR"),
    ("MR: one organ better, another worse", SKIN2_GUT3, OrganStages(skin=0, lower_gi=4), "MR"),
    ("PD: worse, none better", SKIN2_GUT3, OrganStages(skin=2, lower_gi=4), "PD"),
    ("PD: newly involved organ", SKIN2_GUT3, OrganStages(skin=2, liver=1, lower_gi=3), "PD"),
    ("NR: unchanged", SKIN2_GUT3, SKIN2_GUT3, "NR"),
    ("NR not VGPR: skin 1 unchanged", OrganStages(skin=1), OrganStages(skin=1), "NR"),
]


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [row[1:] for row in CIBMTR_TRUTH_TABLE],
    ids=[row[0] for row in CIBMTR_TRUTH_TABLE],
)
def test_response_cibmtr_martin_2009_reach(
    baseline: OrganStages, current: OrganStages, expected: str
) -> None:
    assert assess_response(baseline, current, rules="cibmtr") == expected


def test_cibmtr_death_and_salvage_are_nr_martin_2009() -> None:
    assert assess_response(SKIN2_GUT3, NONE, died=True, rules="cibmtr") == "NR"
    assert assess_response(SKIN2_GUT3, NONE, salvage=True, rules="cibmtr") == "NR"


def cr_run(days: list[int]) -> list[tuple[int, OrganStages]]:
    return [(day, NONE) for day in days]


def test_durable_complete_response_lasting_28_days_paper_endpoints() -> None:
    # First infusion on study day 1; CR from day 40, still CR on day 68 (28 days later).
    assessments = [(1, SKIN2_GUT3), (28, OrganStages(skin=1)), *cr_run([40, 56, 68])]
    assert durable_complete_response(assessments, first_infusion_day=1)


def test_durable_complete_response_needs_28_days_not_27_paper_endpoints() -> None:
    assessments = [(1, SKIN2_GUT3), *cr_run([40, 67])]
    assert not durable_complete_response(assessments, first_infusion_day=1)


def test_durable_complete_response_broken_by_a_flare_paper_endpoints() -> None:
    assessments = [
        (1, SKIN2_GUT3),
        (28, NONE),
        (42, OrganStages(skin=1)),
        (56, NONE),
        (70, NONE),
    ]
    assert not durable_complete_response(assessments, first_infusion_day=1)


def test_durable_complete_response_onset_within_100_days_of_first_infusion_paper_endpoints() -> (
    None
):
    # Onset on day 101 after a first infusion on day 1 is day 100 of treatment: counts.
    assert durable_complete_response([(1, SKIN2_GUT3), *cr_run([101, 129])], first_infusion_day=1)
    # Onset on day 102 is beyond 100 days of the first infusion: does not count.
    assert not durable_complete_response(
        [(1, SKIN2_GUT3), *cr_run([102, 130])], first_infusion_day=1
    )


def test_durable_complete_response_ends_with_salvage_paper_methods() -> None:
    assessments = [
        StageAssessment(1, SKIN2_GUT3),
        StageAssessment(28, NONE),
        StageAssessment(42, NONE, salvage=True),
        StageAssessment(56, NONE, salvage=True),
    ]
    assert not durable_complete_response(assessments, first_infusion_day=1)


def test_time_to_first_response_is_first_cr_or_pr_day_protocol_section5() -> None:
    assessments = [
        (7, SKIN2_GUT3),
        (10, OrganStages(skin=1, lower_gi=3)),  # one organ better: NR by the paper, PR by CIBMTR
        (14, OrganStages(skin=1, lower_gi=2)),  # every organ better: PR
        (28, NONE),
    ]
    assert time_to_first_response(SKIN2_GUT3, assessments) == 14
    assert time_to_first_response(SKIN2_GUT3, assessments, origin_day=1) == 13
    assert time_to_first_response(SKIN2_GUT3, assessments, rules="cibmtr") == 10


def test_time_to_first_response_none_without_response_protocol_section5() -> None:
    assert time_to_first_response(SKIN2_GUT3, [(7, SKIN2_GUT3), (14, SKIN2_GUT3)]) is None
