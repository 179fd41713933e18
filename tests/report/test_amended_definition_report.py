"""The report reads each patient's data under the trial definition version in force at the
patient's randomization when the data folder holds ``definition_versions.json`` (what an export
writes; issue 12), and says, per version, how many patients were read under it. The reference
trial (data SYNTHETIC) is split at P061's randomization date: version 1 is the phase 2 file,
version 2 moves the day-28 response visit to day 35 (tests/analysis/test_per_patient_definitions:
P061 CR -> NR and P109 PR -> NR under it; P033, randomized before, keeps PR)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gvhdtrial.data import load_trial
from gvhdtrial.report.build import DEFINITION_VERSIONS_FILE, build_report
from gvhdtrial.trial import DEFAULT_TRIAL_FILE, TrialDefinitionError, load_definition

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
PHASE2 = load_definition(DEFAULT_TRIAL_FILE)
DAY35_TEXT = PHASE2.text.replace('version = "1.0"', 'version = "1.1"', 1).replace(
    "visits = { D28 = 28, D56 = 56 }", "visits = { D28 = 35, D56 = 56 }"
)


def _versions(texts: list[str], patients: dict[str, int]) -> dict:  # type: ignore[type-arg]
    import hashlib

    return {
        "versions": [
            {"number": i, "short_name": "jiang2024-phase2", "version": v,
             "sha256": hashlib.sha256(t.encode()).hexdigest(),
             "in_force_from": f"2020-0{i}-01T00:00:00+00:00", "text": t}
            for i, (v, t) in enumerate((("1.0", texts[0]), ("1.1", texts[1])), start=1)
        ],
        "patients": patients,
    }  # fmt: skip


@pytest.fixture()
def amended_folder(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    folder = tmp_path / "data"
    shutil.copytree(REFERENCE, folder)
    rand = load_trial(folder).randomization.set_index("patient_id")["randomization_date"]
    patients = {str(p): (2 if d >= rand["P061"] else 1) for p, d in rand.items()}
    record = _versions([PHASE2.text, DAY35_TEXT], patients)
    (folder / DEFINITION_VERSIONS_FILE).write_text(json.dumps(record), encoding="utf-8")
    return folder, patients


@pytest.mark.slow
def test_the_report_reads_each_patient_under_their_version_and_says_so(
    amended_folder: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    folder, patients = amended_folder
    n_old = sum(1 for v in patients.values() if v == 1)
    out = build_report(folder, tmp_path / "out", pdf=False)
    adsl = pd.read_csv(out.tables_dir / "adsl.csv").set_index("patient_id")
    assert adsl.at["P033", "definition_version"] == "#1 jiang2024-phase2 1.0"
    assert adsl.at["P061", "definition_version"] == "#2 jiang2024-phase2 1.1"
    assert (adsl.at["P033", "resp_d28"], adsl.at["P061", "resp_d28"]) == ("PR", "NR")
    assert adsl.at["P109", "resp_d28"] == "NR"
    # ORR d28 43/78 under one definition (paper, Table 2); P061 and P109 are NR under theirs
    assert int(adsl["orr_d28"].sum()) == 41
    notes = (out.tables_dir / "notes.txt").read_text(encoding="utf-8")
    assert (
        f"#1 jiang2024-phase2 1.0: {n_old} patient(s) (response visits D28 day 28, D56 day 56, "
        "+/- 3 days from randomization" in notes
    )
    assert f"#2 jiang2024-phase2 1.1: {78 - n_old} patient(s) (response visits D28 day 35" in notes
    html = out.html.read_text(encoding="utf-8")
    assert f"): {n_old} patient(s) randomized under it, their eligibility" in html
    assert f"): {78 - n_old} patient(s) randomized under it, their eligibility" in html
    # the trial-wide plan is the version in force at export (version 2)
    assert "jiang2024-phase2 version 1.1" in html


def test_an_altered_version_text_is_refused_before_anything_is_written(
    amended_folder: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    """Attack: re-read patients already randomized under another rule by editing the recorded
    text of their version in the export (window +/- 3 -> +/- 7) without its SHA-256."""
    folder, _ = amended_folder
    path = folder / DEFINITION_VERSIONS_FILE
    record = json.loads(path.read_text(encoding="utf-8"))
    record["versions"][0]["text"] = PHASE2.text.replace("window_days = 3", "window_days = 7")
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(TrialDefinitionError, match=r"versions\[number=1\]: text: its SHA-256"):
        build_report(folder, tmp_path / "out", pdf=False)
    assert not (tmp_path / "out").exists()


def test_a_patient_naming_an_unknown_version_is_refused(
    amended_folder: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    folder, _ = amended_folder
    path = folder / DEFINITION_VERSIONS_FILE
    record = json.loads(path.read_text(encoding="utf-8"))
    record["patients"]["P006"] = 3
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(TrialDefinitionError, match=r"patients\.P006: version 3 is not in the file"):
        build_report(folder, tmp_path / "out", pdf=False)
    assert not (tmp_path / "out").exists()
