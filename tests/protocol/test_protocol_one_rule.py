"""Rules that used to stand in two or three places now have one home (issue 12); each test
shows the callers giving the same answer because they call the same function."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from gvhdtrial.analysis import derive
from gvhdtrial.analysis.config import DEFAULT_CONFIG
from gvhdtrial.capture import THRESHOLDS, check_patient
from gvhdtrial.capture.steroids import sr_category
from gvhdtrial.data import ctcae, table
from gvhdtrial.protocol import (
    METHYLPREDNISOLONE_PER_MG,
    methylprednisolone_mg,
    methylprednisolone_mg_on,
    treatment_plan,
)
from gvhdtrial.protocol.treatment import planned_infusions
from tests.capture.test_capture_edit_checks import clean


def test_the_equivalence_table_covers_exactly_the_agents_the_crf_offers() -> None:
    agents = table("steroid_doses").field("agent").choices
    assert set(agents) == set(METHYLPREDNISOLONE_PER_MG)


def test_equivalences_from_the_protocol_and_standard_tables() -> None:
    # docs/protocol.md section 3: prednisone 1 mg = methylprednisolone 0.8 mg; BNF: 0.75 mg
    # dexamethasone = 4 mg methylprednisolone = 20 mg hydrocortisone
    assert methylprednisolone_mg("prednisone", 100.0) == pytest.approx(80.0)
    assert methylprednisolone_mg("dexamethasone", 0.75) == pytest.approx(4.0)
    assert methylprednisolone_mg("hydrocortisone", 20.0) == pytest.approx(4.0)
    # per agent the latest record holds; agents add up (60 mg MP + 50 mg prednisone = 100 mg)
    d = dt.date(2024, 1, 1)
    doses = [(d, "methylprednisolone", 80.0), (d + dt.timedelta(2), "methylprednisolone", 60.0),
             (d + dt.timedelta(1), "prednisone", 50.0)]  # fmt: skip
    assert methylprednisolone_mg_on(doses, d + dt.timedelta(3)) == pytest.approx(100.0)


def test_an_unknown_agent_is_one_clear_error_in_capture_and_analysis() -> None:
    with pytest.raises(ValueError, match="steroid agent: 'cortisone' has no equivalence"):
        methylprednisolone_mg("cortisone", 10.0)
    record = clean()
    bad = [{**record.steroid_doses[0], "agent": "cortisone"}]
    record = replace(record, steroid_doses=bad)
    findings = [f for f in check_patient(record) if f.check == "STER-START-DOSE"]
    assert len(findings) == 1 and "'cortisone' has no equivalence" in findings[0].message
    assert "'cortisone' has no equivalence" in sr_category(record).reason
    frame = pd.DataFrame(
        {"date": [pd.Timestamp("2024-02-05")], "agent": ["cortisone"], "dose_mg_per_day": [90.0]}
    )
    with pytest.raises(ValueError, match="'cortisone' has no equivalence"):
        derive._steroid_course(frame, None, 60.0, dt.date(2024, 2, 22))


@pytest.mark.parametrize(("response", "expected"), [("PR", 16), ("CR", 8), ("NR", 8), (None, 8)])
def test_planned_infusions_one_number_for_plan_checks_and_per_protocol(
    response: str | None, expected: int
) -> None:
    # paper, Methods: 8 infusions in 4 weeks; PR at day 28 continues to 16
    assert planned_infusions(response) == expected
    plan = treatment_plan(60.0, dt.date(2024, 1, 1), response)
    assert plan.number_of_infusions == expected
    assert THRESHOLDS["infusions_planned"] == DEFAULT_CONFIG.pp_min_infusions == 8
    assert THRESHOLDS["infusions_planned_after_pr"] == 16


@pytest.mark.parametrize(
    ("counts", "total", "listed"),
    [
        ((4, 0, 0), 40, True),  # 10 % of 40 at any grade (paper, Table 3 footnote)
        ((3, 0, 0), 40, False),
        ((4, 0, 0), 38, True),  # 4/38 = 10.5 %
        ((3, 1, 0), 38, False),  # 1/38 = 2.6 % grade 3-4
        ((3, 2, 0), 38, True),  # 2/38 = 5.3 % grade 3-4
        ((1, 0, 1), 40, True),  # any grade 5
    ],
)
def test_table3_listing_rule_is_shared_by_analysis_and_reference(
    counts: tuple[int, int, int], total: int, listed: bool
) -> None:
    from gvhdtrial.analysis.tables import _listed
    from reference import safety

    assert ctcae.table3_listed(*counts, total) is listed
    assert _listed is ctcae.table3_listed and safety.listed is ctcae.table3_listed
    any_cap, g34_cap = ctcae.table3_largest_unlisted(total)
    assert not ctcae.table3_listed(any_cap, g34_cap, 0, total)
    assert ctcae.table3_listed(any_cap + 1, 0, 0, total)
    assert ctcae.table3_listed(0, g34_cap + 1, 0, total)
