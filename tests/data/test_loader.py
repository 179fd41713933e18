"""The loader shall read a valid trial folder and shall reject any invalid one, reporting every
problem with its file, line (header = line 1), column, value and what was expected.

The data are the hand-made SYNTHETIC set of ``conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import Rows, write_folder

from gvhdtrial.data import Problem, TrialData, TrialDataError, load_trial
from gvhdtrial.data.loader import CHECKS

# ---------------------------------------------------------------------------------------------
# A valid folder
# ---------------------------------------------------------------------------------------------


def test_the_system_shall_load_a_valid_folder(folder: Path) -> None:
    data = load_trial(folder)
    assert isinstance(data, TrialData)
    assert not data.blinded
    assert {name: len(frame) for name, frame in data.tables().items()} == {
        "sites": 2,
        "patients": 4,
        "steroid_doses": 5,
        "randomization": 3,
        "infusions": 4,
        "assessments": 6,
        "therapies": 4,
        "adverse_events": 4,
        "events": 6,
    }
    assert data.info.trial_id == "TEST-0001"
    assert data.info.data_cutoff_date == dt.date(2021, 12, 31)
    assert data.info.seed is None


def test_loaded_columns_have_proper_dtypes(folder: Path) -> None:
    data = load_trial(folder)
    patients = data.patients
    assert patients["patient_id"].dtype == pd.StringDtype()
    assert patients["age_years"].dtype == pd.Int64Dtype()
    assert patients["weight_kg"].dtype == "float64"
    assert patients["first_allo_hsct"].dtype == bool
    assert patients["hsct_date"].dtype == "datetime64[ns]"
    assert patients["consent_date"].isna().tolist() == [False, False, False, True]
    assert data.infusions["reaction_description"].isna().sum() == 3
    # a bool that only applies to some rows is nullable
    assert data.events["death_relapse_related"].dtype == pd.BooleanDtype()
    assert data.events["death_relapse_related"].isna().sum() == 5
    assessments = data.assessments
    assert assessments["stool_ml_per_day"].isna().sum() == 3
    assert assessments.loc[4, "bilirubin"] == 51.3
    assert assessments.loc[4, "bilirubin_unit"] == "umol/L"
    assert data.patients.loc[2, "screening_notes"] == 'said "yes", then signed'
    assert list(data.randomization["arm"]) == ["MSC", "control", "MSC"]


def test_a_blinded_folder_loads_without_an_arm_column(tmp_path: Path, rows: Rows, info) -> None:
    for row in rows["randomization"]:
        del row["arm"]
    info["blinded"] = True
    data = load_trial(write_folder(tmp_path / "blind", rows, info))
    assert data.blinded
    assert "arm" not in data.randomization.columns


def test_error_is_a_value_error_with_readable_message(tmp_path: Path, rows: Rows, info) -> None:
    rows["patients"][1]["weight_kg"] = "heavy"
    with pytest.raises(ValueError) as caught:
        load_trial(write_folder(tmp_path / "t", rows, info))
    error = caught.value
    assert isinstance(error, TrialDataError)
    assert error.problems == [
        Problem("patients.csv", 3, "weight_kg", "heavy", "a number > 0 and <= 300 (kg)", "type")
    ]
    assert "1 problem in trial data" in str(error)
    assert "line 1 is the header" in str(error)
    assert "patients.csv line 3, column weight_kg: got 'heavy'; expected a number" in str(error)


# ---------------------------------------------------------------------------------------------
# Every check, one case each: (edit of the valid data, the problem expected)
# ---------------------------------------------------------------------------------------------

Edit = Callable[[Rows, dict[str, Any]], None]
FolderEdit = Callable[[Path], None]


def _set(table: str, index: int, column: str, value: str) -> Edit:
    def edit(rows: Rows, info: dict[str, Any]) -> None:
        rows[table][index][column] = value

    return edit


def _info(key: str, value: Any) -> Edit:
    def edit(rows: Rows, info: dict[str, Any]) -> None:
        info[key] = value

    return edit


def _drop_arm(rows: Rows, info: dict[str, Any]) -> None:
    for row in rows["randomization"]:
        del row["arm"]


def _drop_column(table: str, column: str) -> Edit:
    def edit(rows: Rows, info: dict[str, Any]) -> None:
        for row in rows[table]:
            del row[column]

    return edit


def _copy_row(table: str, index: int, **changes: str) -> Edit:
    def edit(rows: Rows, info: dict[str, Any]) -> None:
        rows[table].append({**rows[table][index], **changes})

    return edit


def _both(first: Edit, second: Edit) -> Edit:
    def edit(rows: Rows, info: dict[str, Any]) -> None:
        first(rows, info)
        second(rows, info)

    return edit


# Cases whose error has consequences elsewhere (so more than one problem is reported).
CASCADING = {"date-death-before-randomization"}

# (id, edit, (file, line, column, value, check), a phrase of `expected`)
CASES: list[tuple[str, Edit, tuple[str, int | None, str | None, str | None, str], str]] = [
    (
        "type-int",
        _set("patients", 0, "age_years", "37.5"),
        ("patients.csv", 2, "age_years", "37.5", "type"),
        "whole number",
    ),
    (
        "type-float",
        _set("assessments", 2, "bilirubin", "1,2"),
        ("assessments.csv", 4, "bilirubin", "1,2", "type"),
        "a number",
    ),
    (
        "type-bool",
        _set("assessments", 0, "ileus", "yes"),
        ("assessments.csv", 2, "ileus", "yes", "type"),
        "true or false",
    ),
    (
        "type-date",
        _set("patients", 1, "hsct_date", "2020-02-30"),
        ("patients.csv", 3, "hsct_date", "2020-02-30", "type"),
        "YYYY-MM-DD",
    ),
    (
        "type-date-format",
        _set("randomization", 2, "randomization_date", "07/09/2020"),
        ("randomization.csv", 4, "randomization_date", "07/09/2020", "type"),
        "YYYY-MM-DD",
    ),
    (
        "type-pattern",
        _set("infusions", 0, "kit_numbers", "K0001, K0002, K0003"),
        ("infusions.csv", 2, "kit_numbers", "K0001, K0002, K0003", "type"),
        "matching",
    ),
    (
        "whitespace",
        _set("sites", 1, "city", " Beijing"),
        ("sites.csv", 3, "city", " Beijing", "whitespace"),
        "without leading or trailing",
    ),
    (
        "allowed",
        _set("patients", 0, "sex", "M"),
        ("patients.csv", 2, "sex", "M", "allowed"),
        "one of male, female",
    ),
    (
        "allowed-arm",
        _set("randomization", 1, "arm", "placebo"),
        ("randomization.csv", 3, "arm", "placebo", "allowed"),
        "one of MSC, control",
    ),
    (
        "range-low",
        _set("assessments", 1, "skin_bsa_percent", "-1"),
        ("assessments.csv", 3, "skin_bsa_percent", "-1", "range"),
        ">= 0 and <= 100",
    ),
    (
        "range-high",
        _set("infusions", 3, "infusion_number", "17"),
        ("infusions.csv", 5, "infusion_number", "17", "range"),
        "<= 16",
    ),
    (
        "range-exclusive",
        _set("assessments", 0, "weight_kg", "0"),
        ("assessments.csv", 2, "weight_kg", "0", "range"),
        "> 0",
    ),
    (
        "range-grade",
        _set("adverse_events", 0, "grade", "6"),
        ("adverse_events.csv", 2, "grade", "6", "range"),
        ">= 1 and <= 5",
    ),
    (
        "required",
        _set("patients", 2, "diagnosis", ""),
        ("patients.csv", 4, "diagnosis", "", "required"),
        "one of AML",
    ),
    (
        "required-when",
        _set("infusions", 2, "reaction_description", ""),
        ("infusions.csv", 4, "reaction_description", "", "required"),
        "required when infusion_reaction in (true)",
    ),
    (
        "required-death-cause",
        _set("events", 3, "death_cause", ""),
        ("events.csv", 5, "death_cause", "", "required"),
        "event_type in (death)",
    ),
    (
        "required-term-specify",
        _set("adverse_events", 1, "term_specify", ""),
        ("adverse_events.csv", 3, "term_specify", "", "required"),
        "Other, specify",
    ),
    (
        "required-consent-when-randomized",
        _set("patients", 0, "consent_date", ""),
        ("patients.csv", 2, "consent_date", "", "required"),
        "the patient is randomized",
    ),
    (
        "not-applicable",
        _set("events", 0, "death_cause", "gvhd"),
        ("events.csv", 2, "death_cause", "gvhd", "not_applicable"),
        "empty cell unless",
    ),
    (
        "not-applicable-resolution",
        _set("adverse_events", 1, "resolution_date", "2020-07-09"),
        ("adverse_events.csv", 3, "resolution_date", "2020-07-09", "not_applicable"),
        "outcome in (recovered, recovered_with_sequelae)",
    ),
    (
        "primary-key",
        _copy_row("infusions", 1, date="2020-06-29", kit_numbers="K0007;K0008;K0009"),
        ("infusions.csv", 6, "patient_id, infusion_number", "P001, 2", "primary_key"),
        "already on line 3",
    ),
    (
        "primary-key-patient",
        _copy_row("patients", 3),
        ("patients.csv", 6, "patient_id", "P004", "primary_key"),
        "already on line 5",
    ),
    (
        "unique-sequence",
        _set("randomization", 1, "sequence_number", "1"),
        ("randomization.csv", 3, "stratum, sequence_number", "S01, 1", "unique"),
        "already on line 2",
    ),
    (
        "unique-kit",
        _set("infusions", 1, "kit_numbers", "K0004;K0002;K0006"),
        ("infusions.csv", 3, "kit_numbers", "K0002", "unique"),
        "not used before (line 2)",
    ),
    (
        "foreign-key-site",
        _set("patients", 3, "site_id", "S09"),
        ("patients.csv", 5, "site_id", "S09", "foreign_key"),
        "a site_id of sites.csv",
    ),
    (
        "foreign-key-patient",
        _set("steroid_doses", 4, "patient_id", "P999"),
        ("steroid_doses.csv", 6, "patient_id", "P999", "foreign_key"),
        "a patient_id of patients.csv",
    ),
    (
        "foreign-key-not-randomized",
        _set("infusions", 3, "patient_id", "P004"),
        ("infusions.csv", 5, "patient_id", "P004", "foreign_key"),
        "a patient_id of randomization.csv",
    ),
    (
        "consistency-bags",
        _set("infusions", 0, "bags", "2"),
        ("infusions.csv", 2, "bags", "2", "consistency"),
        "3, the number of kit_numbers",
    ),
    (
        "consistency-soc",
        _set("adverse_events", 0, "soc", "Blood and lymphatic system disorders"),
        ("adverse_events.csv", 2, "soc", "Blood and lymphatic system disorders", "consistency"),
        "'Investigations', the CTCAE v5.0 SOC of 'Platelet count decreased'",
    ),
    (
        "consistency-grade5",
        _set("adverse_events", 3, "grade", "4"),
        ("adverse_events.csv", 5, "outcome", "fatal", "consistency"),
        "exactly when grade is 5",
    ),
    (
        "consistency-stratum",
        _both(
            _set("randomization", 0, "stratum", "S02"),
            _set("randomization", 0, "sequence_number", "2"),
        ),
        ("randomization.csv", 2, "stratum", "S02", "consistency"),
        "'S01', the patient's site_id",
    ),
    (
        "consistency-two-deaths",
        _copy_row("events", 3, event_id="3"),
        ("events.csv", 8, "event_type", "death", "consistency"),
        "one death per patient",
    ),
    (
        "date-infusion-before-randomization",
        _set("infusions", 3, "date", "2020-09-06"),
        ("infusions.csv", 5, "date", "2020-09-06", "date_order"),
        "on or after the randomization date (randomization.csv line 4), 2020-09-07",
    ),
    (
        "date-death-before-randomization",
        _set("events", 3, "event_date", "2020-07-01"),
        ("events.csv", 5, "event_date", "2020-07-01", "date_order"),
        "on or after the randomization date",
    ),
    (
        "date-resolution-before-onset",
        _set("adverse_events", 0, "resolution_date", "2020-06-24"),
        ("adverse_events.csv", 2, "resolution_date", "2020-06-24", "date_order"),
        "on or after onset_date of the same row, 2020-06-25",
    ),
    (
        "date-after-death",
        _set("assessments", 3, "assessment_date", "2020-07-21"),
        ("assessments.csv", 5, "assessment_date", "2020-07-21", "date_order"),
        "on or before the death date (events.csv line 5), 2020-07-20",
    ),
    (
        "date-stop-before-start",
        _set("therapies", 3, "stop_date", "2020-09-01"),
        ("therapies.csv", 5, "stop_date", "2020-09-01", "date_order"),
        "an agent stops after",
    ),
    (
        "date-onset-before-hsct",
        _set("patients", 3, "agvhd_onset_date", "2020-06-30"),
        ("patients.csv", 5, "agvhd_onset_date", "2020-06-30", "date_order"),
        "aGVHD follows the HSCT",
    ),
    (
        "cutoff",
        _set("events", 1, "event_date", "2022-01-01"),
        ("events.csv", 3, "event_date", "2022-01-01", "cutoff"),
        "data cut-off 2021-12-31",
    ),
    (
        "blinding-arm-present",
        _info("blinded", True),
        ("randomization.csv", 1, "arm", "arm", "blinding"),
        "no arm column",
    ),
    (
        "blinding-arm-absent",
        _drop_arm,
        ("trial.json", None, "blinded", "false", "blinding"),
        "has no arm column",
    ),
    (
        "missing-column",
        _drop_column("assessments", "ileus"),
        ("assessments.csv", 1, "ileus", None, "missing_column"),
        "this column in the header",
    ),
    (
        "metadata-type",
        _info("seed", "42"),
        ("trial.json", None, "seed", '"42"', "metadata"),
        "a whole number",
    ),
    (
        "metadata-required",
        _info("data_cutoff_date", None),
        ("trial.json", None, "data_cutoff_date", None, "required"),
        "a date",
    ),
    (
        "metadata-statement",
        _info("statement", "some patients"),
        ("trial.json", None, "statement", "some patients", "metadata"),
        "SYNTHETIC",
    ),
    (
        "metadata-unknown-key",
        _info("sponsor", "x"),
        ("trial.json", None, "sponsor", "'x'", "metadata"),
        "a key of the model",
    ),
]


@pytest.mark.parametrize(("case", "edit", "where", "phrase"), CASES, ids=[c[0] for c in CASES])
def test_each_check_reports_file_line_column_value_expected(
    tmp_path: Path, rows: Rows, info, case: str, edit: Edit, where, phrase: str
) -> None:
    edit(rows, info)
    with pytest.raises(TrialDataError) as caught:
        load_trial(write_folder(tmp_path / "t", rows, info))
    problems = caught.value.problems
    if case not in CASCADING:
        assert len(problems) == 1, problems
    located = [p for p in problems if (p.file, p.line, p.column, p.value, p.check) == where]
    assert located, problems
    problem = located[0]
    assert (problem.file, problem.line, problem.column, problem.value, problem.check) == where
    assert phrase in problem.expected
    assert phrase in str(caught.value)


def _remove(name: str) -> FolderEdit:
    return lambda folder: (folder / name).unlink()


def _write(name: str, text: str) -> FolderEdit:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _append(name: str, text: str) -> FolderEdit:
    def edit(folder: Path) -> None:
        with (folder / name).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return edit


def _add_column(name: str, column: str) -> FolderEdit:
    def edit(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [lines[0] + "," + column] + [line + ",x" for line in lines[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def _replace(name: str, old: str, new: str) -> FolderEdit:
    def edit(folder: Path) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    return edit


FILE_CASES: list[tuple[str, FolderEdit, tuple[str, int | None, str | None, str]]] = [
    ("missing-file", _remove("therapies.csv"), ("therapies.csv", None, None, "missing_file")),
    ("missing-trial-json", _remove("trial.json"), ("trial.json", None, None, "missing_file")),
    ("unknown-file", _write("labs.csv", "a,b\n"), ("labs.csv", None, None, "unknown_file")),
    ("empty-file", _write("sites.csv", ""), ("sites.csv", 1, None, "header")),
    ("unknown-column", _add_column("sites.csv", "region"), ("sites.csv", 1, "region", "header")),
    (
        "duplicate-column",
        _replace("sites.csv", "country", "city"),
        ("sites.csv", 1, "city", "header"),
    ),
    (
        "too-many-cells",
        _append("sites.csv", "S03,Centre Three,Xi'an,China,extra\n"),
        ("sites.csv", 4, None, "row_length"),
    ),
    (
        "blank-line",
        _append("steroid_doses.csv", "\n"),
        ("steroid_doses.csv", 7, None, "row_length"),
    ),
    ("not-json", _write("trial.json", "{"), ("trial.json", None, None, "metadata")),
]


@pytest.mark.parametrize(
    ("edit", "where"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_file_level_problems(folder: Path, edit: FolderEdit, where) -> None:
    edit(folder)
    with pytest.raises(TrialDataError) as caught:
        load_trial(folder)
    problems = caught.value.problems
    located = [(p.file, p.line, p.column, p.check) for p in problems]
    assert where in located
    if where[2] != "city":  # a duplicate column also leaves one missing
        assert len(problems) == 1, problems


def test_line_numbers_count_quoted_line_breaks(tmp_path: Path, rows: Rows, info) -> None:
    rows["patients"][0]["screening_notes"] = "two\nlines"
    rows["patients"][1]["weight_kg"] = "x"
    with pytest.raises(TrialDataError) as caught:
        load_trial(write_folder(tmp_path / "t", rows, info))
    # P001's record spans lines 2-3, so P002's row starts on line 4
    assert [(p.line, p.column) for p in caught.value.problems] == [(4, "weight_kg")]


def test_every_check_kind_is_exercised() -> None:
    exercised = {c[2][4] for c in CASES} | {c[2][3] for c in FILE_CASES}
    assert exercised == set(CHECKS)


# ---------------------------------------------------------------------------------------------
# All problems at once; nothing partial
# ---------------------------------------------------------------------------------------------


def test_all_problems_are_reported_together(tmp_path: Path, rows: Rows, info) -> None:
    rows["sites"][0]["country"] = ""
    rows["patients"][3]["nyha_class"] = "5"
    rows["infusions"][0]["date"] = "2020-06-21"
    rows["adverse_events"][2]["outcome"] = "ok"
    rows["events"][5]["patient_id"] = "P004"
    write_folder(tmp_path / "t", rows, info)
    (tmp_path / "t" / "therapies.csv").unlink()
    with pytest.raises(TrialDataError) as caught:
        load_trial(tmp_path / "t")
    located = {(p.file, p.line, p.column, p.check) for p in caught.value.problems}
    assert located == {
        ("therapies.csv", None, None, "missing_file"),
        ("sites.csv", 2, "country", "required"),
        ("patients.csv", 5, "nyha_class", "range"),
        ("infusions.csv", 2, "date", "date_order"),
        ("adverse_events.csv", 4, "outcome", "allowed"),
        ("events.csv", 7, "patient_id", "foreign_key"),
    }
    assert "6 problems" in str(caught.value)


def test_nothing_is_loaded_when_anything_is_wrong(tmp_path: Path, rows: Rows, info) -> None:
    rows["events"][1]["details"] = " trailing "
    folder = write_folder(tmp_path / "t", rows, info)
    result: list[TrialData] = []
    with pytest.raises(TrialDataError):
        result.append(load_trial(folder))
    assert result == []


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TrialDataError) as caught:
        load_trial(tmp_path / "nowhere")
    assert caught.value.problems[0].check == "missing_file"
