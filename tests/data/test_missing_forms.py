"""A randomized patient whose baseline form is not entered is missing data, never dropped
(issue 11): the loader accepts a ``patients`` row whose whole baseline form is empty and lists
it; part of the form empty is still refused where a value is required.

The data are the hand-made SYNTHETIC set of ``conftest.py`` (P001 is randomized).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Rows, write_folder

from gvhdtrial.data import TrialDataError, load_trial, table
from gvhdtrial.data.model import BASELINE_FORM


def _blank_baseline(rows: Rows, patient_id: str) -> None:
    row = next(r for r in rows["patients"] if r["patient_id"] == patient_id)
    for column in BASELINE_FORM:
        row[column] = ""


def test_a_wholly_empty_baseline_form_loads_as_missing_data(tmp_path: Path, rows: Rows, info):
    _blank_baseline(rows, "P001")
    data = load_trial(write_folder(tmp_path / "t", rows, info))
    assert len(data.patients) == 4  # nobody dropped
    p001 = data.patients.set_index("patient_id").loc["P001"]
    assert p001[list(BASELINE_FORM)].isna().all()
    assert data.missing_forms().to_dict("records") == [
        {"table": "patients", "patient_id": "P001", "form": "baseline"}
    ]


def test_a_complete_folder_lists_no_missing_form(folder: Path):
    assert load_trial(folder).missing_forms().empty


def test_part_of_the_baseline_form_empty_is_still_refused(tmp_path: Path, rows: Rows, info):
    _blank_baseline(rows, "P001")
    row = next(r for r in rows["patients"] if r["patient_id"] == "P001")
    row["sex"] = "female"  # one value entered: the form exists, its required cells must be too
    with pytest.raises(TrialDataError) as caught:
        load_trial(write_folder(tmp_path / "t", rows, info))
    required = {(p.file, p.column) for p in caught.value.problems if p.check == "required"}
    assert ("patients.csv", "diagnosis") in required
    assert ("patients.csv", "sex") not in required


def test_the_baseline_form_columns_are_patients_columns():
    assert set(BASELINE_FORM) <= set(table("patients").columns)
    assert table("patients").forms == {"baseline": BASELINE_FORM}
