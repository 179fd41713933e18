"""A small hand-made trial data set (SYNTHETIC: four invented patients, not the trial's).

Two centres; P001 (MSC) and P003 (MSC) and P002 (control, who dies) are randomized; P004 is a
screening failure without consent. ``valid_rows()`` returns the rows of every table as lists
of dicts of CSV text, in the order they are written, so the data row ``i`` (0-based) of a table
sits on line ``i + 2`` of its file.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.data import SYNTHETIC_STATEMENT, TABLES
from tests._trial_rows import (
    AE_DEFAULTS,
    ASSESSMENT_DEFAULTS,
    EVENT_DEFAULTS,
    PATIENT_DEFAULTS,
)

Rows = dict[str, list[dict[str, str]]]


def _with(defaults: dict[str, str], **values: str) -> dict[str, str]:
    return {**defaults, **values}


def valid_info() -> dict[str, Any]:
    return {
        "trial_id": "TEST-0001",
        "title": "Hand-made test data set",
        "synthetic": True,
        "statement": f"{SYNTHETIC_STATEMENT}: four invented patients for the tests.",
        "generator": "tests/data/conftest.py",
        "generator_version": "1",
        "seed": None,
        "data_cutoff_date": "2021-12-31",
        "blinded": False,
    }


def valid_rows() -> Rows:
    p = PATIENT_DEFAULTS
    a = ASSESSMENT_DEFAULTS
    return {
        "sites": [
            {"site_id": "S01", "name": "Centre One", "city": "Tianjin", "country": "China"},
            {"site_id": "S02", "name": "Centre Two, East", "city": "Beijing", "country": "China"},
        ],
        "patients": [
            _with(
                p,
                patient_id="P001",
                site_id="S01",
                screening_date="2020-06-20",
                age_years="37",
                hsct_date="2020-05-01",
                agvhd_onset_date="2020-06-10",
                consent_date="2020-06-21",
            ),
            _with(
                p,
                patient_id="P002",
                site_id="S01",
                screening_date="2020-07-01",
                age_years="15",
                sex="female",
                weight_kg="80",
                diagnosis="MDS/MPN",
                hsct_date="2020-05-15",
                agvhd_onset_date="2020-06-25",
                consent_date="2020-07-01",
                stem_cell_source="PBSC+BM",
            ),
            _with(
                p,
                patient_id="P003",
                site_id="S02",
                screening_date="2020-09-05",
                age_years="62",
                weight_kg="45",
                hsct_date="2020-08-01",
                agvhd_onset_date="2020-09-01",
                consent_date="2020-09-06",
                gvhd_prophylaxis="no_mtx",
                screening_notes='said "yes", then signed',
            ),
            _with(
                p,
                patient_id="P004",
                site_id="S02",
                screening_date="2020-09-10",
                age_years="71",
                hsct_date="2020-07-01",
                agvhd_onset_date="2020-09-01",
                nyha_class="3",
                screening_notes="age > 70",
            ),
        ],
        "steroid_doses": [
            {
                "patient_id": "P001",
                "date": "2020-06-10",
                "agent": "methylprednisolone",
                "dose_mg_per_day": "120",
            },
            {
                "patient_id": "P001",
                "date": "2020-06-20",
                "agent": "methylprednisolone",
                "dose_mg_per_day": "80",
            },
            {
                "patient_id": "P002",
                "date": "2020-06-25",
                "agent": "prednisone",
                "dose_mg_per_day": "100",
            },
            {
                "patient_id": "P003",
                "date": "2020-09-01",
                "agent": "methylprednisolone",
                "dose_mg_per_day": "142.5",
            },
            {
                "patient_id": "P004",
                "date": "2020-09-01",
                "agent": "methylprednisolone",
                "dose_mg_per_day": "60",
            },
        ],
        "randomization": [
            {
                "patient_id": "P001",
                "randomization_date": "2020-06-22",
                "stratum": "S01",
                "sequence_number": "1",
                "arm": "MSC",
            },
            {
                "patient_id": "P002",
                "randomization_date": "2020-07-02",
                "stratum": "S01",
                "sequence_number": "2",
                "arm": "control",
            },
            {
                "patient_id": "P003",
                "randomization_date": "2020-09-07",
                "stratum": "S02",
                "sequence_number": "1",
                "arm": "MSC",
            },
        ],
        "infusions": [
            {
                "patient_id": "P001",
                "infusion_number": "1",
                "date": "2020-06-23",
                "kit_numbers": "K0001;K0002;K0003",
                "bags": "3",
                "delivered_cells_1e6_per_kg": "1",
                "infusion_reaction": "false",
                "reaction_description": "",
            },
            {
                "patient_id": "P001",
                "infusion_number": "2",
                "date": "2020-06-26",
                "kit_numbers": "K0004;K0005;K0006",
                "bags": "3",
                "delivered_cells_1e6_per_kg": "1",
                "infusion_reaction": "false",
                "reaction_description": "",
            },
            {
                "patient_id": "P002",
                "infusion_number": "1",
                "date": "2020-07-03",
                "kit_numbers": "K0101;K0102;K0103;K0104",
                "bags": "4",
                "delivered_cells_1e6_per_kg": "1",
                "infusion_reaction": "true",
                "reaction_description": "chills",
            },
            {
                "patient_id": "P003",
                "infusion_number": "1",
                "date": "2020-09-08",
                "kit_numbers": "K0201;K0202",
                "bags": "2",
                "delivered_cells_1e6_per_kg": "0.89",
                "infusion_reaction": "false",
                "reaction_description": "",
            },
        ],
        "assessments": [
            _with(
                a,
                patient_id="P001",
                assessment_date="2020-06-20",
                visit="screening",
                skin_bsa_percent="30",
                stool_ml_per_day="600",
            ),
            _with(
                a,
                patient_id="P001",
                assessment_date="2020-06-22",
                visit="baseline",
                skin_bsa_percent="55",
                stool_ml_per_day="1200",
            ),
            _with(
                a,
                patient_id="P001",
                assessment_date="2020-06-29",
                visit="d7",
                skin_bsa_percent="10",
                stool_ml_per_day="300",
            ),
            _with(
                a,
                patient_id="P002",
                assessment_date="2020-07-02",
                visit="baseline",
                weight_kg="80",
                bilirubin="3.5",
                upper_gi_persistent="true",
            ),
            _with(
                a,
                patient_id="P003",
                assessment_date="2020-09-07",
                visit="baseline",
                weight_kg="45",
                bilirubin="51.3",
                bilirubin_unit="umol/L",
                stool_episodes_per_day="6",
                stool_mixed_with_urine="true",
            ),
            _with(
                a,
                patient_id="P004",
                assessment_date="2020-09-10",
                visit="screening",
                skin_bsa_percent="20",
            ),
        ],
        "therapies": [
            {
                "patient_id": "P001",
                "agent": "basiliximab",
                "role": "second_line",
                "start_date": "2020-06-22",
                "stop_date": "2020-07-20",
            },
            {
                "patient_id": "P002",
                "agent": "basiliximab",
                "role": "second_line",
                "start_date": "2020-07-02",
                "stop_date": "",
            },
            {
                "patient_id": "P002",
                "agent": "ruxolitinib",
                "role": "salvage",
                "start_date": "2020-07-10",
                "stop_date": "",
            },
            {
                "patient_id": "P003",
                "agent": "methotrexate",
                "role": "second_line",
                "start_date": "2020-09-07",
                "stop_date": "2020-09-28",
            },
        ],
        "adverse_events": [
            _with(
                AE_DEFAULTS,
                patient_id="P001",
                ae_id="1",
                term="Platelet count decreased",
                soc="Investigations",
                grade="3",
                onset_date="2020-06-25",
                resolution_date="2020-07-05",
                outcome="recovered",
            ),
            _with(
                AE_DEFAULTS,
                patient_id="P001",
                ae_id="2",
                term="Infections and infestations - Other, specify",
                term_specify="Cytomegalovirus disease",
                soc="Infections and infestations",
                grade="2",
                serious="true",
                onset_date="2020-07-01",
                outcome="recovering",
            ),
            _with(
                AE_DEFAULTS,
                patient_id="P002",
                ae_id="1",
                term="Infusion related reaction",
                soc="General disorders and administration site conditions",
                grade="1",
                related_to_study_agent="true",
                infusion_related="true",
                onset_date="2020-07-03",
                resolution_date="2020-07-03",
                outcome="recovered",
            ),
            _with(
                AE_DEFAULTS,
                patient_id="P002",
                ae_id="2",
                term="Sepsis",
                soc="Infections and infestations",
                grade="5",
                serious="true",
                onset_date="2020-07-15",
                outcome="fatal",
            ),
        ],
        "events": [
            _with(
                EVENT_DEFAULTS,
                patient_id="P001",
                event_id="1",
                event_type="cgvhd_onset",
                event_date="2020-12-01",
                cgvhd_nih_severity="moderate",
            ),
            _with(
                EVENT_DEFAULTS,
                patient_id="P001",
                event_id="2",
                event_type="last_contact",
                event_date="2021-06-01",
            ),
            _with(
                EVENT_DEFAULTS,
                patient_id="P002",
                event_id="1",
                event_type="discontinuation",
                event_date="2020-07-12",
                discontinuation_reason="salvage_failure",
            ),
            _with(
                EVENT_DEFAULTS,
                patient_id="P002",
                event_id="2",
                event_type="death",
                event_date="2020-07-20",
                death_cause="septic_shock",
                death_relapse_related="false",
                details="septic shock on day 18",
            ),
            _with(
                EVENT_DEFAULTS,
                patient_id="P003",
                event_id="1",
                event_type="withdrawal",
                event_date="2020-10-01",
            ),
            _with(
                EVENT_DEFAULTS,
                patient_id="P003",
                event_id="2",
                event_type="discontinuation",
                event_date="2020-10-01",
                discontinuation_reason="consent_withdrawn",
            ),
        ],
    }


def write_folder(folder: Path, rows: Rows, info: dict[str, Any]) -> Path:
    """Write ``rows`` and ``info`` as a trial folder, columns in model order (by hand)."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        table_rows = rows[t.name]
        columns = [c for c in t.columns if not table_rows or c in table_rows[0]]
        if not table_rows and t.name == "randomization" and info.get("blinded"):
            columns.remove("arm")
        with (folder / t.filename).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in table_rows:
                writer.writerow([row[c] for c in columns])
    (folder / "trial.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def rows() -> Rows:
    return copy.deepcopy(valid_rows())


@pytest.fixture
def info() -> dict[str, Any]:
    return valid_info()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "trial", valid_rows(), valid_info())
