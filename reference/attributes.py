"""The patient-level attribute table: the contract between the solver and the realizers.

``solve_attributes(seed)`` returns one row per *randomized* patient (78). Every column is a
patient-level fact chosen so that the paper's published counts hold (see ``reference.targets``
and ``reference.solve``); ``reference.realize`` (and ``reference.outcomes`` /
``reference.safety``) turn these facts into raw CRF rows. The table itself is an intermediate:
it is never written to ``data/reference/`` (only the raw rows are), because everything in it is
derived again from the raw rows by the protocol engine.

SYNTHETIC reconstruction: these are not the trial's patients.

Days are whole days counted from the randomization date (day 0). The first infusion is on
day 0 or day 1 (the paper: "treated within 3 days after enrolment").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

__all__ = ["ATTRIBUTE_COLUMNS", "Column", "solve_attributes", "validate_attributes"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # python type(s) of the values, as documentation
    meaning: str


ATTRIBUTE_COLUMNS: tuple[Column, ...] = (
    # identity and allocation
    Column("patient_id", "str", "screening number, e.g. 'P007'; the same id in every table"),
    Column("site_id", "str", "centre, e.g. 'S3'"),
    Column("arm", "str", "'MSC' or 'control' (ITT, as randomized)"),
    Column("randomization_date", "datetime.date", "day 0"),
    Column("sequence_number", "int", "position in the centre's randomization list (1-based)"),
    # populations and disposition
    Column("in_pp", "bool", "per-protocol: received >= 8 infusions (docs/protocol.md section 10)"),
    Column("discontinued_before_d28", "bool", "left the study before day 28 (CONSORT: 8 + 8)"),
    Column(
        "discontinuation_reason",
        "str | None",
        "'salvage_failure' | 'consent_withdrawn' | 'death' | None",
    ),
    Column("discontinuation_day", "int | None", "day the patient left the study (< 28)"),
    Column("treatment_stopped_early", "bool", "stayed on study but stopped infusions at < 8"),
    # baseline disease
    Column("baseline_grade", "int", "MAGIC grade at baseline: 2, 3 or 4"),
    Column("organs", "frozenset[str]", "involved organs at baseline, subset of skin/liver/gut"),
    Column("sr_category", "int", "1 progression d3, 2 no improvement d7, 3 no CR d14, 4 taper"),
    Column("sr_type", "str", "'dependence' (category 4) or 'resistance' (1-3)"),
    # response (as the protocol engine must derive it from the raw assessments)
    Column("response_d28", "str", "'CR' | 'PR' | 'NR' | 'PD'"),
    Column("response_d56", "str", "'CR' | 'PR' | 'NR' | 'PD'"),
    Column("dcr", "bool", "durable CR: CR >= 28 days, reached within 100 days of 1st infusion"),
    Column("first_response_day", "int | None", "first day with CR or PR assessed, else None"),
    Column("cr_day", "int | None", "first day CR assessed (None if never within day 100)"),
    Column("flare_day", "int | None", "day a CR/PR is lost again (None if it lasts)"),
    # treatment
    Column("n_infusions", "int", "infusions received (MSC or placebo)"),
    Column("first_infusion_day", "int", "0 or 1"),
    Column("last_infusion_day", "int", "day of the last infusion"),
    Column("second_line_agent", "str", "baseline second-line agent (centre's choice)"),
    Column("salvage_day", "int | None", "day salvage agents started (None: no salvage)"),
    Column("salvage_agents", "list[str]", "one or two agents, e.g. ['ruxolitinib']"),
    Column("salvage", "str", "'none' | 'before_d28' | 'd28_d56' | 'after_d56'"),
    Column("ruxolitinib", "bool", "ruxolitinib among the salvage agents"),
    # the day-level plan that the realizer turns into visits (days from randomization)
    Column("trajectory", "str", "'r28/r56/DCR|noDCR', e.g. 'CR/CR/DCR'"),
    Column("disposition", "str", "'on_study' or the discontinuation reason"),
    Column("visit_days", "tuple[int, ...]", "post-baseline assessment days (visit plan)"),
    Column("infusion_days", "tuple[int, ...]", "days of the infusions received"),
    Column("course_phases", "tuple[tuple[int, str], ...]", "(day, NR|PD|PR|CR) from day 0"),
    Column("dcr_confirmation_day", "int | None", "first CR visit >= CR day + 28 (DCR only)"),
    Column(
        "min_event_day",
        "int",
        "earliest day a non-fixed death, loss to follow-up or last contact may fall without "
        "changing a response target (after the last infusion, the d28/d56 visits, the DCR)",
    ),
    Column("steroid_start_day", "int", "first-line steroid start (negative: before day 0)"),
    Column("sr_criterion_day", "int", "day the SR criterion is met (<= 0)"),
    Column("screening_day", "int", "screening and consent day (<= 0)"),
    Column("screening_date", "datetime.date", "screening (and consent) date"),
    # deaths fixed by the efficacy story (the outcome helper adds the others)
    Column("fixed_death_day", "int | None", "5 early deaths before d28; grade IV PD death d70"),
    Column("fixed_death_cause", "str | None", "'septic shock', 'heart failure', 'pneumonia'"),
    # demographics and transplant (Table 1)
    Column("sex", "str", "'M' or 'F'"),
    Column("age", "int", "years at randomization"),
    Column("weight_kg", "float", "body weight at baseline"),
    Column("disease", "str", "AML, MDS, ALL, CML, NHL, MDS/MPN"),
    Column("conditioning", "str", "'Bu based', 'TBI based', 'Others'"),
    Column("donor_type", "str", "'Sibling', 'Unrelated', 'Haplo'"),
    Column("stem_cell_source", "str", "'CB', 'PBSC', 'PBSC + BM'"),
    Column("cd34_dose", "float", "CD34+ cells x 10^6/kg"),
    Column("cmv_serostatus", "str", "'D+/R+' for everyone (Table 1)"),
    Column("ebv_serostatus", "str", "'D+/R+' for everyone (Table 1)"),
    Column("prophylaxis", "str", "'MTX + CNI' or 'MTX excluded'"),
    Column("onset_to_randomization_days", "int", "aGVHD onset to randomization, days"),
    Column("baseline_steroid_mg", "float", "methylprednisolone-equivalent mg/day at baseline"),
)


def validate_attributes(attributes: pd.DataFrame) -> None:
    """Raise ``ValueError`` naming the missing columns or bad values."""
    missing = [c.name for c in ATTRIBUTE_COLUMNS if c.name not in attributes.columns]
    if missing:
        raise ValueError(f"attribute table lacks columns: {missing}")
    if attributes["patient_id"].duplicated().any():
        raise ValueError("duplicate patient_id in attribute table")
    bad_arm = set(attributes["arm"]) - {"MSC", "control"}
    if bad_arm:
        raise ValueError(f"unknown arm(s): {bad_arm}")
    for col in ("response_d28", "response_d56"):
        bad = set(attributes[col]) - {"CR", "PR", "NR", "PD"}
        if bad:
            raise ValueError(f"{col}: unknown response(s) {bad}")
    if not all(isinstance(d, dt.date) for d in attributes["randomization_date"]):
        raise ValueError("randomization_date must hold datetime.date values")


def solve_attributes(seed: int = 20200601) -> pd.DataFrame:
    """Solve the published marginals (MILP) and return the attribute table, one row per patient.

    Deterministic for a given seed.
    """
    from reference.solve import build_attribute_table

    table = build_attribute_table(seed)
    validate_attributes(table)
    return table
