"""Small trial data folders for the report's end-to-end tests, built with the analysis tests'
hand-made patients (tests/analysis/builder.py, cases.py) so the real path is exercised:
CSV folder -> load_trial -> analyse -> report."""

from __future__ import annotations

from pathlib import Path

try:  # pytest puts tests/ on sys.path (rootdir-relative packages)
    from analysis.builder import trial_rows, valid_info, write_folder
    from analysis.cases import cases
except ImportError:  # pragma: no cover - run from the repository root
    from tests.analysis.builder import trial_rows, valid_info, write_folder
    from tests.analysis.cases import cases

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def write_cases_trial(folder: Path, *, blinded: bool = False) -> Path:
    """The hand-made analysis cases as a trial data folder (blinded: without the arm column)."""
    rows = trial_rows(cases())
    info = {**valid_info(), "blinded": blinded}
    if blinded:
        for row in rows["randomization"]:
            del row["arm"]
    return write_folder(folder, rows, info)
