"""A trial in its first weeks: a handful of patients, one arm possibly empty.

The live service builds the report from whatever has been captured (issue 7), so the analysis
and the report must work on tiny data sets, not only on the 78-patient reference trial. Here
the reference trial (data/reference, synthetic) is cut down to its first 1, 2 and 5
randomized patients; every number must still come out, with "-" where a percentage has no
denominator, and no floating-point warning on the way.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pandas as pd
import pytest

from gvhdtrial.analysis.formatting import n_percent, percent
from gvhdtrial.analysis.pipeline import analyse
from gvhdtrial.data import load_trial
from gvhdtrial.report.build import write_report
from gvhdtrial.report.consort import consort_view

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


@pytest.fixture(scope="module")
def reference():
    return load_trial(REFERENCE)


def _first_patients(trial, n: int):
    keep = set(trial.randomization.patient_id.iloc[:n])
    changes = {}
    for f in dataclasses.fields(trial):
        frame = getattr(trial, f.name)
        # screening records stay (everyone screened is listed); the rest follow the patients
        per_patient = isinstance(frame, pd.DataFrame) and "patient_id" in frame.columns
        if per_patient and f.name != "patients":
            changes[f.name] = frame[frame.patient_id.isin(keep)].reset_index(drop=True)
    return dataclasses.replace(trial, **changes)


def test_percent_without_denominator_is_a_dash():
    assert percent(0, 0, 1) == "-"
    assert n_percent(0, 0) == "0 (-)"
    assert percent(1, 3, 1) == "33.3"


@pytest.mark.parametrize("n", [1, 2, 5])
def test_small_trial_analyses_and_reports(reference, n, tmp_path):
    trial = _first_patients(reference, n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        results = analyse(trial)
        outputs = write_report(results, tmp_path, pdf=False)
    assert results.consort["randomized"]["total"] == n
    assert len(results.adsl) == n
    html = Path(outputs.html).read_text(encoding="utf-8")
    assert "nan%" not in html
    assert "n/a ()" not in html  # no empty test label when a comparison is not possible
    assert "SYNTHETIC reconstruction" in html


def test_trial_whose_patients_have_no_assessment_yet(reference, tmp_path):
    """Patients randomized but not yet assessed (the live service, first days): the baseline
    disease columns exist (missing), the analysis and the report still come out."""
    trial = _first_patients(reference, 2)
    trial = dataclasses.replace(trial, assessments=trial.assessments.iloc[0:0])
    results = analyse(trial)
    assert results.adsl["baseline_grade"].isna().all()
    assert results.consort["randomized"]["total"] == 2
    outputs = write_report(results, tmp_path, pdf=False)
    assert "SYNTHETIC reconstruction" in Path(outputs.html).read_text(encoding="utf-8")


def test_a_randomized_patient_without_baseline_form_is_analysed_not_dropped(reference, tmp_path):
    """Issue 11: the baseline form missing is missing data. The patient stays in ITT (the
    analysis plan: every randomized patient), the missing values are left out of Table 1's
    counts of that characteristic, and a note of the report names the patient and the form."""
    from gvhdtrial.data import write_trial
    from gvhdtrial.data.model import BASELINE_FORM

    trial = _first_patients(reference, 5)
    pid = trial.randomization.patient_id.iloc[1]
    patients = trial.patients.copy()
    for column in BASELINE_FORM:
        patients.loc[patients.patient_id == pid, column] = None
    folder = write_trial(dataclasses.replace(trial, patients=patients), tmp_path / "data")
    loaded = load_trial(folder)  # the loader accepts the empty form
    results = analyse(loaded)
    assert results.consort["randomized"]["total"] == 5
    row = results.adsl.set_index("patient_id").loc[pid]
    assert bool(row["itt"]) and pd.isna(row["sex"])
    (note,) = [n for n in results.notes if "CRF forms not entered" in n]
    assert f"{pid} (baseline)" in note
    males = results.table1[results.table1.level == "Male"]
    counted = sum(int(str(c).split()[0]) for c in males[["itt_msc", "itt_control"]].iloc[0])
    assert counted == int((trial.patients.set_index("patient_id").loc[
        list(trial.randomization.patient_id)].drop(pid)["sex"] == "male").sum())  # fmt: skip
    html = Path(write_report(results, tmp_path / "report", pdf=False).html).read_text("utf-8")
    assert f"{pid} (baseline)" in html
    assert pid not in results.consort["randomized_but_screen_criteria_failed"]


def test_screening_not_re_checkable_from_the_data_is_missing_data_not_a_failure(reference):
    """Issue 11: a randomized patient whose steroid doses are not entered yet (the live
    service: the site screened them on its own records) cannot have refractoriness re-checked
    from the data; CONSORT lists them as missing data, not as "randomized although a screening
    criterion failed" (what it said before for every such patient)."""
    trial = _first_patients(reference, 5)
    pid = trial.randomization.patient_id.iloc[2]
    doses = trial.steroid_doses[trial.steroid_doses.patient_id != pid]
    results = analyse(dataclasses.replace(trial, steroid_doses=doses))
    assert pid not in results.consort["randomized_but_screen_criteria_failed"]
    assert results.consort["randomized_screening_not_assessable"] == [pid]
    (note,) = [n for n in consort_view(results.consort).notes if "re-checked" in n]
    assert note.endswith(f"missing data): {pid}.")
    assert "randomized_screening_not_assessable" not in analyse(trial).consort  # all entered


def test_notes_with_patient_ids_are_translated_when_shown() -> None:
    """A note carrying values (patient ids, counts) is looked up by its template, so the zh
    report shows it in Chinese with the same ids (an f-string note could never be found)."""
    from gvhdtrial.i18n import Msg, gettext, language

    view = consort_view({"randomized_screening_not_assessable": ["C01-0001", "C01-0002"]})
    (note,) = view.notes
    assert isinstance(note, Msg) and "C01-0001, C01-0002" in note
    with language("zh"):
        shown = gettext(note)
    assert "C01-0001, C01-0002" in shown and shown != str(note)
    assert all(ord(c) < 128 for c in str(note))
