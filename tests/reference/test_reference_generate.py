"""The generator: deterministic, and the committed data re-derive to the attribute table.

Deterministic is shown across runs, not within one: the committed data (made by an earlier run)
re-derive to this run's solve, and the generator run here reproduces their bytes.

"Re-derive" = stage every assessment, grade the baseline, compute SR categories, screen every
patient and assess responses, durable CR and response times through ``gvhdtrial.protocol``
(``reference.verify``), and compare with the solved attribute table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``reference`` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from gvhdtrial.data import SYNTHETIC_STATEMENT, load_trial  # noqa: E402
from reference.generate import DEFAULT_SEED, main  # noqa: E402
from reference.verify import verify_trial  # noqa: E402

DATA = ROOT / "data" / "reference"


@pytest.fixture(scope="module")
def attributes(solved_attributes: pd.DataFrame) -> pd.DataFrame:
    return solved_attributes


def test_committed_data_say_synthetic() -> None:
    info = json.loads((DATA / "trial.json").read_text())
    assert info["synthetic"] is True
    assert SYNTHETIC_STATEMENT in info["statement"]
    assert SYNTHETIC_STATEMENT in (DATA / "README.md").read_text()


def test_committed_data_rederive_to_the_attributes(attributes: pd.DataFrame) -> None:
    data = load_trial(DATA)
    problems = verify_trial(data, attributes)
    assert not problems, "\n".join(problems)


def test_committed_data_counts(attributes: pd.DataFrame) -> None:
    data = load_trial(DATA)
    assert len(data.patients) == 120, "Results, Patients: 120 screened"
    assert len(data.randomization) == 78, "Results, Patients: 78 randomized"
    assert data.randomization["arm"].value_counts().to_dict() == {"MSC": 40, "control": 38}
    assert data.sites["site_id"].nunique() == 7, "Methods: 7 centres"
    dates = pd.to_datetime(data.patients["screening_date"])
    assert dates.min() >= pd.Timestamp("2020-06-01") and dates.max() <= pd.Timestamp("2022-03-31")


@pytest.mark.slow
def test_generator_reproduces_the_committed_bytes(tmp_path: Path) -> None:
    out = tmp_path / "reference"
    assert main(["--out", str(out), "--seed", str(DEFAULT_SEED)]) == 0
    for path in sorted(DATA.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), f"{path.name} differs"
