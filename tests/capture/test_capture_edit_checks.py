"""Every edit check with a failing and a passing entry.

The passing entry is one clean patient (``clean()``) on which no check fires; each failing
entry changes that patient in one place, named for the scenario, and the named check must fire.
The last test proves that every check id (field, date-order and cross-form) has a failing case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from gvhdtrial.capture import (
    DATE_CHECKS,
    EDIT_CHECKS,
    FIELD_CHECKS,
    PatientRecord,
    all_check_ids,
    check_kits_across_patients,
    check_patient,
)
from gvhdtrial.data.ctcae import INFECTIONS
from gvhdtrial.data.model import DateRule

RAND = dt.date(2024, 2, 22)
FIRST = RAND + dt.timedelta(days=1)
INFUSION_DAYS = (0, 3, 7, 10, 14, 17, 21, 24)


def _day(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=n)


def _assessment(date: dt.date, visit: str, **values: Any) -> dict[str, Any]:
    row = {
        "_ref": f"assessment:{visit}",
        "assessment_date": date,
        "visit": visit,
        "skin_bsa_percent": 0.0,
        "skin_bullae": False,
        "skin_desquamation_percent": 0.0,
        "bilirubin": 1.0,
        "bilirubin_unit": "mg/dL",
        "upper_gi_persistent": False,
        "stool_ml_per_day": None,
        "stool_episodes_per_day": None,
        "stool_mixed_with_urine": False,
        "weight_kg": 60.0,
        "severe_abdominal_pain": False,
        "ileus": False,
        "bloody_stool": False,
    }
    row.update(values)
    return row


def _infusion(number: int, day: int) -> dict[str, Any]:
    kits = ";".join(f"K{number:02d}{b}" for b in "ABC")
    return {
        "_ref": f"infusion:{number}",
        "infusion_number": number,
        "date": _day(day),
        "kit_numbers": kits,
        "bags": 3,
        "delivered_cells_1e6_per_kg": 1.0,
        "infusion_reaction": False,
        "reaction_description": None,
    }


def clean() -> PatientRecord:
    """A treated patient in PR at day 28 on whom no edit check fires."""
    return PatientRecord(
        patient_id="C01-0001",
        site="C01",
        patient={
            "weight_kg": 60.0,
            "hsct_date": dt.date(2024, 1, 1),
            "agvhd_onset_date": dt.date(2024, 2, 1),
            "screening_date": dt.date(2024, 2, 20),
            "consent_date": dt.date(2024, 2, 21),
        },
        randomization_date=RAND,
        steroid_doses=[
            {
                "_ref": "dose:1",
                "date": dt.date(2024, 2, 5),
                "agent": "methylprednisolone",
                "dose_mg_per_day": 90.0,
            },
        ],
        infusions=[_infusion(n, d) for n, d in enumerate(INFUSION_DAYS, start=1)],
        assessments=[
            _assessment(RAND, "baseline", skin_bsa_percent=60.0, stool_ml_per_day=800.0),
            _assessment(_day(28), "d29", skin_bsa_percent=10.0, stool_ml_per_day=200.0),
        ],
        therapies=[
            {
                "_ref": "therapy:1",
                "agent": "basiliximab",
                "role": "second_line",
                "start_date": RAND,
                "stop_date": _day(30),
            },
        ],
        adverse_events=[
            {
                "_ref": "ae:1",
                "ae_id": 1,
                "term": "Fever",
                "term_specify": None,
                "soc": "General disorders and administration site conditions",
                "grade": 2,
                "serious": False,
                "related_to_study_agent": False,
                "infusion_related": False,
                "onset_date": _day(5),
                "resolution_date": _day(7),
                "outcome": "recovered",
            },
        ],
        events=[
            {
                "_ref": "event:1",
                "event_id": 1,
                "event_type": "last_contact",
                "event_date": _day(90),
                "death_cause": None,
                "death_relapse_related": None,
                "cgvhd_nih_severity": None,
                "discontinuation_reason": None,
                "details": None,
            },
        ],
        responses=[
            {
                "_ref": "response:d28",
                "visit": "d28",
                "computed": "PR",
                "confirmed": "PR",
                "reason": "",
            },
        ],
    )


def _death(date: dt.date) -> dict[str, Any]:
    return {
        "_ref": "event:death", "event_id": 9, "event_type": "death", "event_date": date,
        "death_cause": "infection", "death_relapse_related": False, "cgvhd_nih_severity": None,
        "discontinuation_reason": None, "details": None,
    }  # fmt: skip


def _with_row(rec: PatientRecord, table: str, index: int, **values: Any) -> PatientRecord:
    rows = [dict(r) for r in getattr(rec, table)]
    rows[index].update(values)
    return replace(rec, **{table: rows})


def _add(rec: PatientRecord, table: str, row: dict[str, Any]) -> PatientRecord:
    return replace(rec, **{table: [*getattr(rec, table), row]})


# ------------------------------------------------------------------ failing entries, by check
FAILING: dict[str, Callable[[PatientRecord], PatientRecord]] = {
    # field checks (data model)
    "F-REQUIRED": lambda r: _with_row(r, "assessments", 1, bilirubin=None),
    "F-TYPE": lambda r: _with_row(r, "assessments", 1, skin_bsa_percent="lots"),
    "F-RANGE": lambda r: _with_row(r, "assessments", 1, skin_bsa_percent=120.0),
    "F-CHOICE": lambda r: _with_row(r, "assessments", 1, bilirubin_unit="mmol/L"),
    "F-PATTERN": lambda r: _with_row(r, "assessments", 1, visit="week 4"),
    "F-NOT-APPLICABLE": lambda r: _with_row(r, "events", 0, death_cause="infection"),
    # cross-form checks
    "AE-G5-DEATH": lambda r: _with_row(r, "adverse_events", 0, grade=5, outcome="fatal",
                                       serious=True, resolution_date=None),
    "AE-FATAL-G5": lambda r: _with_row(r, "adverse_events", 0, grade=3, outcome="fatal",
                                       resolution_date=None),
    "AE-SERIOUS-GRADE": lambda r: _with_row(r, "adverse_events", 0, grade=4, serious=False),
    "AE-SOC-TERM": lambda r: _with_row(r, "adverse_events", 0, soc=INFECTIONS),
    "INF-INTERVAL": lambda r: _with_row(r, "infusions", 1, date=_day(2)),
    "INF-SEQUENCE": lambda r: replace(r, infusions=[i for i in r.infusions
                                                    if i["infusion_number"] != 3]),
    "INF-PLANNED": lambda r: _add(
        _with_row(r, "responses", 0, computed="NR", confirmed="NR"), "infusions", _infusion(9, 28)
    ),
    "INF-KIT-ONCE": lambda r: _with_row(r, "infusions", 1, kit_numbers="K01A;K02B;K02C"),
    "INF-BAGS-KITS": lambda r: _with_row(r, "infusions", 0, bags=2,
                                         delivered_cells_1e6_per_kg=0.67),
    "INF-DOSE": lambda r: _with_row(r, "infusions", 0, delivered_cells_1e6_per_kg=2.0),
    "INF-REACTION-AE": lambda r: _with_row(r, "infusions", 0, infusion_reaction=True,
                                           reaction_description="chills"),
    "ASM-STAGEABLE": lambda r: _with_row(r, "assessments", 0, skin_desquamation_percent=70.0),
    "ASM-BILI-UNIT": lambda r: _with_row(r, "assessments", 1, bilirubin=60.0),
    "ASM-STOOL-BOTH": lambda r: _with_row(r, "assessments", 1, stool_episodes_per_day=8.0),
    "ASM-WEIGHT": lambda r: _with_row(r, "assessments", 1, weight_kg=90.0),
    "ASM-BASELINE": lambda r: replace(r, assessments=r.assessments[1:]),
    "ASM-VISIT-ONCE": lambda r: _with_row(r, "assessments", 1, visit="baseline"),
    "RESP-WINDOW": lambda r: _add(r, "responses", {"_ref": "response:d56", "visit": "d56",
                                                   "computed": None, "confirmed": "CR",
                                                   "reason": "clinically resolved"}),
    "RESP-OVERRIDE": lambda r: _with_row(r, "responses", 0, confirmed="CR", reason=""),
    "RESP-NR-RULE": lambda r: _add(r, "therapies", {"_ref": "therapy:2", "agent": "etanercept",
                                                    "role": "salvage", "start_date": _day(20),
                                                    "stop_date": None}),
    "THER-NO-RUX": lambda r: _with_row(r, "therapies", 0, agent="ruxolitinib"),
    "THER-SECOND-LINE": lambda r: _add(r, "therapies", {"_ref": "therapy:3",
                                                        "agent": "tacrolimus",
                                                        "role": "second_line",
                                                        "start_date": _day(1),
                                                        "stop_date": None}),
    "EVT-ONE-DEATH": lambda r: _add(_add(r, "events", _death(_day(60))), "events",
                                    {**_death(_day(61)), "_ref": "event:death2", "event_id": 10}),
    "STER-START-DOSE": lambda r: _with_row(r, "steroid_doses", 0, dose_mg_per_day=300.0),
}  # fmt: skip


def _rows(rec: PatientRecord, table: str) -> list[dict[str, Any]]:
    return [dict(r) for r in getattr(rec, table)]


def violate_date_rule(rec: PatientRecord, rule: DateRule) -> PatientRecord:
    """Move the rule's date one day to the wrong side of its anchor."""
    anchor = rule.anchor.removeprefix("patient:")
    one = dt.timedelta(days=1)
    if anchor == "death":
        death = _day(60)
        rec = _add(rec, "events", _death(death))
        value = death + one
    elif rule.anchor.startswith("patient:"):
        value = {
            "randomization": rec.randomization_date,
            **{k: rec.patient[f"{k}_date"] for k in ("screening", "hsct", "agvhd_onset",
                                                     "consent")},
        }[anchor]  # fmt: skip
        value = value - one if rule.op == ">=" else value + one
    else:
        row = rec.patient if rule.table == "patients" else getattr(rec, rule.table)[0]
        value = row[anchor] - one if rule.op == ">=" else row[anchor] + one
    if rule.table == "patients":
        return replace(rec, patient={**rec.patient, rule.column: value})
    if rule.table == "randomization":
        return replace(rec, randomization_date=value)
    rows = _rows(rec, rule.table)
    target = next(i for i, r in enumerate(rows) if r.get("event_type") != "death")
    rows[target][rule.column] = value
    return replace(rec, **{rule.table: rows})


def test_the_clean_patient_passes_every_check() -> None:
    findings = check_patient(clean())
    assert findings == [], [f.as_dict() for f in findings]


@pytest.mark.parametrize("check_id", sorted(FAILING))
def test_each_check_fires_on_its_failing_entry(check_id: str) -> None:
    findings = check_patient(FAILING[check_id](clean()))
    fired = {f.check for f in findings}
    assert check_id in fired, [f.as_dict() for f in findings]
    finding = next(f for f in findings if f.check == check_id)
    assert finding.message and finding.source and finding.table and finding.field


@pytest.mark.parametrize("check_id", sorted(DATE_CHECKS))
def test_each_date_rule_fires_when_a_date_is_on_the_wrong_side(check_id: str) -> None:
    findings = check_patient(violate_date_rule(clean(), DATE_CHECKS[check_id]))
    assert check_id in {f.check for f in findings}, [f.as_dict() for f in findings]
    finding = next(f for f in findings if f.check == check_id)
    assert DATE_CHECKS[check_id].reason in finding.message


def test_every_check_has_a_failing_entry() -> None:
    covered = set(FAILING) | set(DATE_CHECKS)
    assert set(all_check_ids()) == covered
    assert set(FIELD_CHECKS) <= covered and set(EDIT_CHECKS) <= covered


def test_named_date_rules_the_data_manager_asks_for() -> None:
    # death after randomization; infusion after randomization and before death; AE onset
    # before its resolution.
    for wanted in (
        "DATE-randomization.randomization_date<=death",
        "DATE-infusions.date>=randomization",
        "DATE-infusions.date<=death",
        "DATE-adverse_events.resolution_date>=onset_date",
    ):
        assert wanted in DATE_CHECKS


def test_a_kit_recorded_for_two_patients_is_found_across_the_trial() -> None:
    a, b = clean(), replace(clean(), patient_id="C01-0002")
    findings = check_kits_across_patients([a, b])
    assert findings and {f.check for f in findings} == {"INF-KIT-ONCE"}
    assert check_kits_across_patients([a]) == []


def test_findings_carry_the_record_reference_for_the_query() -> None:
    findings = check_patient(FAILING["INF-DOSE"](clean()))
    dose = next(f for f in findings if f.check == "INF-DOSE")
    assert dose.ref == "infusion:1" and dose.field == "delivered_cells_1e6_per_kg"


def test_stool_both_given_says_which_rule_staged_it() -> None:
    findings = check_patient(FAILING["ASM-STOOL-BOTH"](clean()))
    msg = next(f for f in findings if f.check == "ASM-STOOL-BOTH").message
    assert "staged by volume (stage 0)" in msg and "stage 3" in msg


def test_bilirubin_in_the_wrong_unit_both_ways() -> None:
    low = _with_row(clean(), "assessments", 1, bilirubin=1.0, bilirubin_unit="umol/L")
    assert "ASM-BILI-UNIT" in {f.check for f in check_patient(low)}
    fine = _with_row(clean(), "assessments", 1, bilirubin=17.1, bilirubin_unit="umol/L")
    assert "ASM-BILI-UNIT" not in {f.check for f in check_patient(fine)}


def test_pr_at_day_28_allows_sixteen_infusions() -> None:
    days = (*INFUSION_DAYS, 28, 31, 35, 38, 42, 45, 49, 52)
    rec = replace(clean(), infusions=[_infusion(n, d) for n, d in enumerate(days, start=1)])
    assert check_patient(rec) == []
    nr = _with_row(rec, "responses", 0, computed="NR", confirmed="NR")
    assert "INF-PLANNED" in {f.check for f in check_patient(nr)}
