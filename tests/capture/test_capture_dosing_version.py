"""The infusion plan checks read the dosing of the patient's definition version (issue 12,
amendments): an amendment to 5 weeks of twice-weekly infusions (10 planned, an assumed change
for the test; phase 2: 4 weeks = 8, paper, Methods) lets a patient randomized under it have
infusion 9, while a patient randomized under phase 2 is still held to 8."""

from __future__ import annotations

import datetime as dt

from gvhdtrial.capture import check_patient, infusion_refusal
from gvhdtrial.capture.record import PatientRecord
from gvhdtrial.supply import bags_for_infusion, delivered_cells_per_kg
from gvhdtrial.trial import DEFAULT_TRIAL_FILE, load_definition, parse_definition

PHASE2 = load_definition(DEFAULT_TRIAL_FILE)
FIVE_WEEKS = parse_definition(
    PHASE2.text.replace('version = "1.0"', 'version = "1.1"').replace("weeks = 4", "weeks = 5"),
    "five-weeks.toml",
)
DAY0 = dt.date(2024, 3, 4)
DAYS = (0, 3, 7, 10, 14, 17, 21, 24, 28)  # infusions 1-9, twice weekly


def _record(definition: object) -> PatientRecord:
    infusions = tuple(
        {"infusion_number": n, "date": DAY0 + dt.timedelta(days=d)}
        for n, d in enumerate(DAYS, start=1)
    )
    return PatientRecord(
        "P001", patient={"weight_kg": 60.0}, randomization_date=DAY0, infusions=infusions,
        definition=definition,  # type: ignore[arg-type]
    )  # fmt: skip


def test_infusion_nine_is_planned_only_under_the_five_week_version() -> None:
    assert FIVE_WEEKS.dosing.planned_infusions == 10 and PHASE2.dosing.planned_infusions == 8
    flagged = {
        d.version: [f.message for f in check_patient(_record(d)) if f.check == "INF-PLANNED"]
        for d in (PHASE2, FIVE_WEEKS)
    }
    assert flagged == {
        "1.0": ["infusion 9 but 8 planned (day-28 response not confirmed)"],
        "1.1": [],
    }
    done = {n: DAY0 + dt.timedelta(days=d) for n, d in enumerate(DAYS[:8], start=1)}
    on = DAY0 + dt.timedelta(days=28)
    refused = infusion_refusal(9, on, weight_kg=60.0, done=done, dosing=PHASE2.dosing)
    assert refused is not None and "it has 8 infusions (16 only after a confirmed PR" in str(
        refused
    )
    assert infusion_refusal(9, on, weight_kg=60.0, done=done, dosing=FIVE_WEEKS.dosing) is None


def test_bags_and_delivered_dose_follow_the_versions_dosing() -> None:
    """1.0 x 10^6 cells/kg in bags of 2.0 x 10^7 (paper, Methods): 60 kg -> 3 bags, 1.0 x 10^6
    delivered; a version with bags of 3.0 x 10^7 cells -> 2 bags, 1.0 x 10^6 delivered."""
    big_bags = parse_definition(
        PHASE2.text.replace("cells_per_bag = 20000000", "cells_per_bag = 30000000"), "big.toml"
    )
    assert (bags_for_infusion(60.0, PHASE2.dosing), bags_for_infusion(60.0, big_bags.dosing)) == (
        3,
        2,
    )
    assert delivered_cells_per_kg(3, 60.0, PHASE2.dosing) == 1_000_000
    assert delivered_cells_per_kg(2, 60.0, big_bags.dosing) == 1_000_000
