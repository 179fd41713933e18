"""Golden truth tables for MAGIC organ staging (Harris et al., BBMT 2016, Table 1).

Every row and every boundary of docs/protocol.md section 1 is a named case; the id is the clause.
"""

from __future__ import annotations

import pytest

from gvhdtrial.protocol import (
    Measurements,
    OrganStages,
    bilirubin_mg_dl,
    liver_stage,
    lower_gi_stage,
    skin_stage,
    stage_organs,
    upper_gi_stage,
)

# (clause, BSA %, bullae, desquamation %, expected stage)
SKIN_TRUTH_TABLE = [
    ("stage 0: no active rash", 0.0, False, 0.0, 0),
    ("stage 1: smallest rash", 0.1, False, 0.0, 1),
    ("stage 1: just under 25 %", 24.99, False, 0.0, 1),
    ("stage 2: 25 % is closed into stage 2", 25.0, False, 0.0, 2),
    ("stage 2: middle of 25-50 %", 37.5, False, 0.0, 2),
    ("stage 2: 50 % is closed into stage 2", 50.0, False, 0.0, 2),
    ("stage 3: just over 50 %", 50.01, False, 0.0, 3),
    ("stage 3: generalized erythroderma without bullae", 100.0, False, 10.0, 3),
    ("stage 3: bullae but desquamation exactly 5 %", 80.0, True, 5.0, 3),
    ("stage 4: > 50 % with bullae and desquamation > 5 %", 50.01, True, 5.01, 4),
    ("stage 4: erythroderma with bullae and desquamation", 100.0, True, 30.0, 4),
    ("stage 2 not 4: 50 % with bullae and desquamation", 50.0, True, 20.0, 2),
]


@pytest.mark.parametrize(
    ("bsa", "bullae", "desquamation", "expected"),
    [row[1:] for row in SKIN_TRUTH_TABLE],
    ids=[row[0] for row in SKIN_TRUTH_TABLE],
)
def test_skin_stage_truth_table_magic_harris_2016(
    bsa: float, bullae: bool, desquamation: float, expected: int
) -> None:
    assert skin_stage(bsa, bullae, desquamation) == expected


LIVER_TRUTH_TABLE = [
    ("stage 0: normal bilirubin", 0.0, 0),
    ("stage 0: just under 2.0", 1.99, 0),
    ("stage 1: 2.0 is closed into stage 1", 2.0, 1),
    ("stage 1: 3.0 is closed into stage 1 (docs/protocol.md)", 3.0, 1),
    ("stage 2: 3.05 lies in the printed gap and is stage 2 (docs/protocol.md)", 3.05, 2),
    ("stage 2: 3.1", 3.1, 2),
    ("stage 2: 6.0 is closed into stage 2", 6.0, 2),
    ("stage 3: 6.05 lies in the printed gap and is stage 3", 6.05, 3),
    ("stage 3: 15.0 is closed into stage 3", 15.0, 3),
    ("stage 4: just over 15.0", 15.01, 4),
    ("stage 4: very high", 40.0, 4),
]


@pytest.mark.parametrize(
    ("bilirubin", "expected"),
    [row[1:] for row in LIVER_TRUTH_TABLE],
    ids=[row[0] for row in LIVER_TRUTH_TABLE],
)
def test_liver_stage_boundaries_magic_harris_2016(bilirubin: float, expected: int) -> None:
    assert liver_stage(bilirubin) == expected


def test_upper_gi_stage_persistent_vs_intermittent_magic_harris_2016() -> None:
    assert upper_gi_stage(True) == 1
    assert upper_gi_stage(False) == 0


# (clause, stool mL/day, episodes/day, weight kg, expected stage); no weight = adult.
LOWER_GI_TRUTH_TABLE = [
    ("adult volume stage 0: 499 mL", 499.0, None, None, 0),
    ("adult volume stage 1: 500 mL", 500.0, None, None, 1),
    ("adult volume stage 1: 999 mL", 999.0, None, None, 1),
    ("adult volume stage 1: 999.5 mL in the printed gap", 999.5, None, None, 1),
    ("adult volume stage 2: 1000 mL", 1000.0, None, None, 2),
    (
        "adult volume stage 2: 1500 mL is closed into stage 2 (docs/protocol.md)",
        1500.0,
        None,
        None,
        2,
    ),
    ("adult volume stage 3: 1501 mL (docs/protocol.md)", 1501.0, None, None, 3),
    ("adult volume stage 3: 1500.5 mL in the printed gap", 1500.5, None, None, 3),
    ("adult episodes stage 0: 2", None, 2.0, None, 0),
    ("adult episodes stage 1: 3", None, 3.0, None, 1),
    ("adult episodes stage 1: 4", None, 4.0, None, 1),
    ("adult episodes stage 1: 4.5 average in the printed gap", None, 4.5, None, 1),
    ("adult episodes stage 2: 5", None, 5.0, None, 2),
    ("adult episodes stage 2: 7", None, 7.0, None, 2),
    ("adult episodes stage 3: 8", None, 8.0, None, 3),
    ("adult thresholds just above 50 kg: 500 mL", 500.0, None, 50.1, 1),
    ("child volume stage 0: 9.9 mL/kg (495 mL at 50 kg)", 495.0, None, 50.0, 0),
    ("child volume stage 1: 10 mL/kg (500 mL at 50 kg)", 500.0, None, 50.0, 1),
    ("child volume stage 1: 19.9 mL/kg (398 mL at 20 kg)", 398.0, None, 20.0, 1),
    ("child volume stage 2: 20 mL/kg (400 mL at 20 kg)", 400.0, None, 20.0, 2),
    ("child volume stage 2: 30 mL/kg (600 mL at 20 kg)", 600.0, None, 20.0, 2),
    ("child volume stage 3: 30.05 mL/kg (601 mL at 20 kg)", 601.0, None, 20.0, 3),
    ("child episodes stage 0: 3", None, 3.0, 30.0, 0),
    ("child episodes stage 1: 4", None, 4.0, 30.0, 1),
    ("child episodes stage 1: 6", None, 6.0, 30.0, 1),
    ("child episodes stage 2: 7", None, 7.0, 30.0, 2),
    ("child episodes stage 2: 10", None, 10.0, 30.0, 2),
    ("child episodes stage 3: 11", None, 11.0, 30.0, 3),
    ("nothing measured: stage 0", None, None, None, 0),
]


@pytest.mark.parametrize(
    ("stool", "episodes", "weight", "expected"),
    [row[1:] for row in LOWER_GI_TRUTH_TABLE],
    ids=[row[0] for row in LOWER_GI_TRUTH_TABLE],
)
def test_lower_gi_stage_truth_table_magic_harris_2016(
    stool: float | None, episodes: float | None, weight: float | None, expected: int
) -> None:
    assert lower_gi_stage(stool, episodes, weight) == expected


@pytest.mark.parametrize(
    ("severe_pain", "bloody_stool", "ileus"),
    [(True, False, False), (True, False, True), (False, True, False)],
    ids=["severe pain", "severe pain with ileus", "grossly bloody stool"],
)
def test_lower_gi_stage4_whatever_the_volume_magic_harris_2016(
    severe_pain: bool, bloody_stool: bool, ileus: bool
) -> None:
    assert lower_gi_stage(100.0, 1.0, 70.0, severe_pain, bloody_stool, ileus=ileus) == 4


def test_lower_gi_ileus_alone_does_not_make_stage4_magic_harris_2016() -> None:
    # MAGIC: "severe abdominal pain with or without ileus": ileus qualifies only with the pain.
    assert lower_gi_stage(100.0, ileus=True) == 0


def test_lower_gi_mixed_with_urine_counts_half_protocol_section1() -> None:
    assert lower_gi_stage(1600.0) == 3
    assert lower_gi_stage(1600.0, mixed_with_urine=True) == 1  # 800 mL of stool
    assert lower_gi_stage(2000.0, mixed_with_urine=True) == 2  # 1000 mL of stool


# Volume 600 mL (stage 1) disagrees with 8 episodes (stage 3).
@pytest.mark.parametrize(
    ("rule", "expected"),
    [("volume_first", 1), ("episodes_first", 3), ("worst", 3)],
)
def test_lower_gi_rule_when_volume_and_episodes_disagree_protocol_section1(
    rule: str, expected: int
) -> None:
    assert lower_gi_stage(600.0, 8.0, rule=rule) == expected  # type: ignore[arg-type]


def test_lower_gi_volume_first_falls_back_to_episodes_protocol_section1() -> None:
    assert lower_gi_stage(None, 8.0) == 3
    assert lower_gi_stage(None, 8.0, rule="episodes_first") == 3


@pytest.mark.parametrize(
    ("umol_per_l", "expected_mg_dl", "expected_stage"),
    [(34.2, 2.0, 1), (51.3, 3.0, 1), (52.0, 3.040936, 2), (102.6, 6.0, 2), (256.5, 15.0, 3)],
)
def test_bilirubin_umol_per_l_conversion_17_1_protocol_section1(
    umol_per_l: float, expected_mg_dl: float, expected_stage: int
) -> None:
    # 1 mg/dL = 17.1 umol/L; the printed thresholds stay closed after conversion.
    assert bilirubin_mg_dl(umol_per_l, "umol/L") == pytest.approx(expected_mg_dl, abs=1e-6)
    stages = stage_organs(Measurements(bilirubin=umol_per_l, bilirubin_unit="umol/L"))
    assert stages.liver == expected_stage


def test_stage_organs_from_measurements_and_from_mapping_agree() -> None:
    raw = {
        "skin_bsa_percent": 60.0,
        "skin_bullae": True,
        "skin_desquamation_percent": 10.0,
        "bilirubin": 4.0,
        "upper_gi_persistent": True,
        "stool_ml_per_day": 1200.0,
        "weight_kg": 70.0,
    }
    expected = OrganStages(skin=4, liver=2, upper_gi=1, lower_gi=2)
    assert stage_organs(raw) == expected
    assert stage_organs(Measurements(**raw)) == expected  # type: ignore[arg-type]


def test_organ_stages_helpers() -> None:
    stages = OrganStages(skin=2, liver=0, upper_gi=1, lower_gi=0)
    assert stages.involved == ("skin", "upper_gi")
    assert stages.any_involved
    assert not OrganStages().any_involved
    assert stages.as_dict() == {"skin": 2, "liver": 0, "upper_gi": 1, "lower_gi": 0}
    assert stages.gut == 1  # Keystone: upper GI alone counts as gut stage 1


def test_numpy_scalars_from_pandas_rows_are_accepted() -> None:
    import numpy as np

    stages = stage_organs(
        {
            "skin_bsa_percent": np.float64(60.0),
            "skin_bullae": np.bool_(True),
            "skin_desquamation_percent": np.float32(6.0),
            "bilirubin": np.float64(3.05),
        }
    )
    assert stages == OrganStages(skin=4, liver=2)
    assert OrganStages(skin=np.int64(2)).skin == 2  # type: ignore[arg-type]
    assert type(OrganStages(skin=np.int64(2)).skin) is int  # type: ignore[arg-type]
