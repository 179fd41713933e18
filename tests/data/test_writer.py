"""write_trial shall write atomically and reproducibly; write -> load -> write is byte-identical.

The data are the hand-made SYNTHETIC set of ``conftest.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Rows, write_folder

from gvhdtrial.data import TABLES, TrialData, TrialDataError, TrialInfo, load_trial, write_trial


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_round_trip_is_byte_identical(folder: Path, tmp_path: Path) -> None:
    first = write_trial(load_trial(folder), tmp_path / "a")
    second = write_trial(load_trial(first), tmp_path / "b")
    assert _bytes(first) == _bytes(second)
    assert sorted(_bytes(first)) == sorted(
        ["README.md", "trial.json", *(t.filename for t in TABLES)]
    )


def test_round_trip_keeps_every_value(folder: Path, tmp_path: Path) -> None:
    data = load_trial(folder)
    again = load_trial(write_trial(data, tmp_path / "a"))
    assert again.info == data.info
    for name, frame in data.tables().items():
        key = list(next(t for t in TABLES if t.name == name).primary_key)
        left = frame.sort_values(key).reset_index(drop=True)
        right = again.table(name).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def test_the_hand_written_files_come_back_as_written(folder: Path, tmp_path: Path) -> None:
    # The fixture's rows are already in key order and in canonical spelling.
    written = write_trial(load_trial(folder), tmp_path / "a")
    for t in TABLES:
        assert (written / t.filename).read_bytes() == (folder / t.filename).read_bytes(), t.name


def test_row_order_and_dtypes_do_not_change_the_bytes(folder: Path, tmp_path: Path) -> None:
    data = load_trial(folder)
    shuffled = {
        name: frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
        for name, frame in data.tables().items()
    }
    # plain Python objects, as a generator would build them
    shuffled["patients"] = shuffled["patients"].astype(object)
    shuffled["patients"]["hsct_date"] = [d.date() for d in shuffled["patients"]["hsct_date"]]
    shuffled["infusions"]["bags"] = shuffled["infusions"]["bags"].astype("float64")
    rebuilt = TrialData(data.info, **shuffled)
    a = write_trial(data, tmp_path / "a")
    b = write_trial(rebuilt, tmp_path / "b")
    assert _bytes(a) == _bytes(b)


def test_numbers_dates_and_bools_have_one_spelling(tmp_path: Path, folder: Path) -> None:
    data = load_trial(folder)
    doses = data.steroid_doses.copy()
    doses["dose_mg_per_day"] = [120.0, 80.0, 100.0, 0.1 + 0.2, np.float32(60)]
    doses["date"] = [
        pd.Timestamp("2020-06-10"),
        dt.date(2020, 6, 20),
        np.datetime64("2020-06-25"),
        "2020-09-01",
        dt.datetime(2020, 9, 1, 13, 30),
    ]
    out = write_trial(dataclasses.replace(data, steroid_doses=doses), tmp_path / "a")
    assert (out / "steroid_doses.csv").read_text().splitlines() == [
        "patient_id,date,agent,dose_mg_per_day",
        "P001,2020-06-10,methylprednisolone,120",
        "P001,2020-06-20,methylprednisolone,80",
        "P002,2020-06-25,prednisone,100",
        "P003,2020-09-01,methylprednisolone,0.30000000000000004",
        "P004,2020-09-01,methylprednisolone,60",
    ]


def test_blinded_data_are_written_without_the_arm_column(folder: Path, tmp_path: Path) -> None:
    data = load_trial(folder)
    info = dataclasses.replace(data.info, blinded=True)
    blinded = dataclasses.replace(
        data, info=info, randomization=data.randomization.drop(columns="arm")
    )
    out = write_trial(blinded, tmp_path / "blind")
    assert (out / "randomization.csv").read_text().splitlines()[0] == (
        "patient_id,randomization_date,stratum,sequence_number"
    )
    assert load_trial(out).blinded
    assert "blinded (no arm column)" in (out / "README.md").read_text()
    # an arm column in data declared blinded is refused, not written
    leaky = dataclasses.replace(data, info=info)
    with pytest.raises(TrialDataError) as caught:
        write_trial(leaky, tmp_path / "leak")
    assert [(p.file, p.column) for p in caught.value.problems] == [("randomization.csv", "arm")]
    assert not (tmp_path / "leak").exists()


def test_readme_says_the_data_are_synthetic(folder: Path, tmp_path: Path) -> None:
    out = write_trial(load_trial(folder), tmp_path / "a")
    assert "SYNTHETIC reconstruction — not the trial's patients" in (out / "README.md").read_text()


def test_invalid_data_are_not_written(folder: Path, tmp_path: Path) -> None:
    data = load_trial(folder)
    target = write_trial(data, tmp_path / "a")
    before = _bytes(target)
    infusions = data.infusions.copy()
    infusions.loc[0, "date"] = pd.Timestamp("2019-01-01")  # before randomization
    with pytest.raises(TrialDataError) as caught:
        write_trial(dataclasses.replace(data, infusions=infusions), target)
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("infusions.csv", 2, "date")
    ]
    assert _bytes(target) == before  # the previous data set is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "trial"]  # no temporary folder


def test_missing_or_extra_columns_are_refused(folder: Path, tmp_path: Path) -> None:
    data = load_trial(folder)
    sites = data.sites.drop(columns="city").assign(region="x")
    with pytest.raises(TrialDataError) as caught:
        write_trial(dataclasses.replace(data, sites=sites), tmp_path / "a")
    assert {(p.column, p.check) for p in caught.value.problems} == {
        ("city", "missing_column"),
        ("region", "header"),
    }
    assert not (tmp_path / "a").exists()


def test_a_folder_with_other_files_is_not_replaced(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        write_trial(load_trial(folder), target)
    assert (target / "notes.txt").read_text() == "keep me"


def test_rewriting_replaces_the_previous_data_set(
    folder: Path, tmp_path: Path, rows: Rows, info
) -> None:
    target = write_trial(load_trial(folder), tmp_path / "a")
    rows["sites"][1]["name"] = "Centre Two, West"
    other = load_trial(write_folder(tmp_path / "src", rows, info))
    write_trial(other, target)
    assert "Centre Two, West" in (target / "sites.csv").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "src", "trial"]


def test_trial_info_json_is_stable() -> None:
    info = TrialInfo(
        trial_id="X",
        title="t",
        synthetic=False,
        statement="recorded data",
        data_cutoff_date=dt.date(2024, 2, 29),
        blinded=True,
        seed=7,
    )
    assert info.to_json() == (
        "{\n"
        '  "trial_id": "X",\n'
        '  "title": "t",\n'
        '  "synthetic": false,\n'
        '  "statement": "recorded data",\n'
        '  "generator": null,\n'
        '  "generator_version": null,\n'
        '  "seed": 7,\n'
        '  "data_cutoff_date": "2024-02-29",\n'
        '  "blinded": true\n'
        "}\n"
    )
