"""Property: any single corrupted cell of a valid data set is reported at that file, line and
column, and nothing is loaded. For a cell that is not a key other rows refer to, it is the only
problem reported (checks that need a bad cell are skipped, not repeated).

The data are the hand-made SYNTHETIC set of ``conftest.py``.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
from conftest import valid_info, valid_rows, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvhdtrial.data import TABLES, Field, TrialDataError, load_trial

# Columns other rows point at: corrupting one also leaves dangling references elsewhere.
REFERENCED = {("sites", "site_id"), ("patients", "patient_id"), ("randomization", "patient_id")}

VALID = valid_rows()
CELLS = [(t, index, f) for t in TABLES for index in range(len(VALID[t.name])) for f in t.fields]


def _bad_values(f: Field, current: str) -> list[str]:
    """Values that are wrong for field ``f`` whatever the rest of the row holds."""
    bad = {
        "str": [" " + (current or "x"), (current or "x") + " "],
        "enum": ["not-a-code", (current or "x").upper() + "?"],
        "int": ["1.5", "one", "9999999"],
        "float": ["abc", "1,5", "nan", "-5000"],
        "bool": ["yes", "True", "1"],
        "date": ["2020-02-30", "1/2/2020", "2020-6-1"],
    }[f.type]
    if f.pattern is not None:
        bad.append("has space")
    if f.required and f.when is None:
        bad.append("")
    if f.type == "int" and f.maximum is None:
        bad.remove("9999999")
    return bad


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_corrupted_cell_is_reported_where_it_is(data: st.DataObject) -> None:
    t, index, f = data.draw(st.sampled_from(CELLS), label="cell")
    current = VALID[t.name][index][f.name]
    value = data.draw(st.sampled_from(_bad_values(f, current)), label="value")
    rows = copy.deepcopy(VALID)
    rows[t.name][index][f.name] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "t", rows, valid_info())
        loaded = []
        with pytest.raises(TrialDataError) as caught:
            loaded.append(load_trial(folder))
    assert loaded == []
    where = (t.filename, index + 2, f.name)
    located = [(p.file, p.line, p.column) for p in caught.value.problems]
    assert where in located, caught.value
    if (t.name, f.name) not in REFERENCED:
        assert set(located) == {where}, caught.value


def test_the_property_covers_every_field() -> None:
    assert {(t.name, f.name) for t, _, f in CELLS} == {
        (t.name, f.name) for t in TABLES for f in t.fields
    }
