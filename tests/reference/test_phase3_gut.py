"""The simulated phase 3 data set (reference/phase3_gut.py): the synthetic phase 2 reference trial
cut to the phase 3 definition's eligibility (gut involvement required) runs through the analysis
under that definition, and its primary endpoint equals the phase 2 paper's gut subgroup (Jiang et
al., BMC Medicine 2024, Results: 52 of 78 with gut involvement, 26 per arm; Table S2: ORR at d28
14/26 vs 9/26, p = 0.163). Data SYNTHETIC."""

from __future__ import annotations

from pathlib import Path

from gvhdtrial.analysis import analyse
from gvhdtrial.data import load_trial
from gvhdtrial.trial import load_definition
from reference.phase3_gut import gut_trial

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def test_the_simulated_phase3_trial_is_the_gut_subgroup_and_analyses() -> None:
    full = load_trial(REFERENCE)
    data = gut_trial(full)
    assert "SYNTHETIC" in data.info.statement and "SIMULATED" in data.info.statement
    assert len(full.randomization) == 78 and len(data.randomization) == 52
    # every screened candidate stays (phase 2: 120 screened); 26 randomized without gut leave
    assert len(data.patients) == 120 - 26
    phase3 = load_definition("jiang-phase3-gut")
    results = analyse(data, phase3.analysis_config, phase3.eligibility)
    assert results.adsl["arm"].value_counts().to_dict() == {"MSC": 26, "control": 26}
    t2 = results.table2.set_index(["endpoint", "population", "subgroup"])
    row = t2.loc[("ORR_D28", "ITT", "all")]
    assert (row["msc_x"], row["msc_n"], row["control_x"], row["control_n"]) == (14, 26, 9, 26)
    assert round(float(row["p_value"]), 3) == 0.163
