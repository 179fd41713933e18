"""Derivations on hand-made patients (tests/analysis/cases.py), each named for its clause."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gvhdtrial.analysis import AnalysisConfig, build_adsl
from gvhdtrial.analysis.derive import derive_adverse_events, screen_patients

from .builder import load_specs
from .cases import cases


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory):
    return load_specs(tmp_path_factory.mktemp("cases"), cases())


@pytest.fixture(scope="module")
def adsl(trial) -> pd.DataFrame:
    frame, _ = build_adsl(trial, AnalysisConfig())
    return frame.set_index("patient_id")


def test_protocol_1_magic_baseline_stage_grade_and_organs(adsl: pd.DataFrame) -> None:
    # Stool 1200 mL/day -> lower GI stage 2 -> MAGIC grade III; 700 mL -> stage 1 -> grade II.
    assert adsl.loc["A01", "baseline_stage_lower_gi"] == 2
    assert adsl.loc["A01", "baseline_grade"] == 3
    assert adsl.loc["A06", "baseline_grade"] == 2
    # Skin > 50 % (stage 3) + bilirubin 4.0 (liver stage 2): 2 organs, grade III.
    assert adsl.loc["A07", ["organ_skin", "organ_liver", "organ_gut"]].tolist() == [
        True,
        True,
        False,
    ]
    assert adsl.loc["A07", "n_organs"] == 2
    assert adsl.loc["A07", "baseline_grade"] == 3


def test_protocol_3_refractoriness_category_and_type(adsl: pd.DataFrame) -> None:
    # Progression (lower GI 1 -> 2) on day 4 of steroids: category 1, resistance.
    assert adsl.loc["A01", "sr_category"] == 1
    assert adsl.loc["A01", "sr_type"] == "resistance"
    # Taper 120 -> 60 mg, then back up to 130 mg/day (>= 2 mg/kg/day at 60 kg): dependence.
    assert adsl.loc["A06", "sr_category"] == 4
    assert adsl.loc["A06", "sr_type"] == "dependence"
    assert adsl.loc["A06", "sr_category_label"] == "Failure during taper"


def test_baseline_steroid_dose_is_the_dose_in_effect_at_randomization(adsl) -> None:
    assert adsl.loc["A01", "baseline_steroid_mg"] == 120.0
    assert adsl.loc["A06", "baseline_steroid_mg"] == 130.0


def test_protocol_5_response_at_d28(adsl: pd.DataFrame) -> None:
    # PR: the involved organ improved by one stage (lower GI 2 -> 1).
    assert adsl.loc["A01", "resp_d28"] == "PR"
    # Death before the visit -> NR.
    assert (adsl.loc["A02", "resp_d28"], adsl.loc["A02", "resp_d28_basis"]) == ("NR", "died")
    # Salvage agents received -> NR even with every organ clear (paper, Methods: Procedures).
    assert (adsl.loc["A03", "resp_d28"], adsl.loc["A03", "resp_d28_basis"]) == ("NR", "salvage")
    # Withdrawn without a visit -> NR by non-responder imputation.
    assert adsl.loc["A04", "resp_d28"] == "NR"
    assert "imputation" in adsl.loc["A04", "resp_d28_basis"]
    # The visit nearest d28 within +/- 3 days (d30, clear) rather than d25 -> CR.
    assert adsl.loc["A09", "resp_d28"] == "CR"
    assert adsl.loc["A09", "resp_d28_day"] == 30
    # Only visit outside the window -> NR.
    assert adsl.loc["A10", "resp_d28"] == "NR"
    assert adsl["orr_d28"].sum() == 3  # A01, A05, A09
    assert adsl["cr_d28"].sum() == 1  # A09


def test_protocol_5_d56_durable_cr_and_time_to_response(adsl: pd.DataFrame) -> None:
    assert adsl.loc["A01", "resp_d56"] == "CR"
    # CR from d42, still CR on d70 (>= 28 days), reached within 100 days of the 1st infusion.
    assert bool(adsl.loc["A01", "dcr"])
    assert not bool(adsl.loc["A09", "dcr"])  # a single CR visit is not durable
    assert adsl.loc["A01", "time_to_response_days"] == 14
    assert pd.isna(adsl.loc["A02", "time_to_response_days"])


def test_protocol_6_and_10_populations_literal_per_protocol(trial, adsl) -> None:
    # Literal reading: >= 8 infusions. A04 withdrew on d26 after 8 infusions: in PP (as NR).
    assert bool(adsl.loc["A04", "pp"])
    # A05 had 7 infusions but stayed and responded: not in PP.
    assert not bool(adsl.loc["A05", "pp"])
    assert not bool(adsl.loc["A02", "pp"])
    assert adsl["itt"].all() and adsl["safety"].all()
    strict, _ = build_adsl(trial, AnalysisConfig(per_protocol="strict"))
    strict = strict.set_index("patient_id")
    assert not bool(strict.loc["A04", "pp"])


def test_protocol_7_time_to_event_competing_risks(adsl: pd.DataFrame) -> None:
    month = 30.4375
    # Relapse on day 300, relapse death on day 350: relapse event; NRM competing (relapse).
    assert adsl.loc["A07", "relapse_status"] == 1
    assert adsl.loc["A07", "relapse_months"] == pytest.approx(300 / month)
    assert adsl.loc["A07", "NRM_status"] == 2
    assert adsl.loc["A07", "OS_status"] == 1
    assert adsl.loc["A07", "OS_months"] == pytest.approx(350 / month)
    # Non-relapse death: NRM event, relapse competing.
    assert (adsl.loc["A08", "NRM_status"], adsl.loc["A08", "relapse_status"]) == (1, 2)
    # Mild cGVHD counts for cGVHD, not for moderate-severe (death competes later).
    assert adsl.loc["A08", "cGVHD_status"] == 1
    assert adsl.loc["A08", "cGVHD_months"] == pytest.approx(90 / month)
    assert adsl.loc["A08", "cGVHD_mod_sev_status"] == 2
    assert adsl.loc["A08", "cGVHD_mod_sev_months"] == pytest.approx(500 / month)
    # FFS: salvage (new systemic therapy) on day 10 is a failure.
    assert adsl.loc["A03", "FFS_status"] == 1
    assert adsl.loc["A03", "FFS_months"] == pytest.approx(10 / month)
    # FFS: cGVHD onset (day 100) before relapse (day 200) is competing (paper's choice).
    assert adsl.loc["A06", "FFS_status"] == 2
    assert adsl.loc["A06", "cGVHD_mod_sev_status"] == 1
    # Survivors are censored at last contact.
    assert adsl.loc["A01", "OS_status"] == 0
    assert adsl.loc["A01", "OS_months"] == pytest.approx(400 / month)


def test_ae_window_labels_and_infusion_toxicity(trial, adsl) -> None:
    frame, _ = build_adsl(trial, AnalysisConfig())
    adae = derive_adverse_events(trial.adverse_events, frame, AnalysisConfig()).set_index(
        ["patient_id", "ae_id"]
    )
    # CTCAE "Platelet count decreased" is Table 3's "Thrombocytopenia" (Hematologic).
    assert adae.loc[("A01", 1), "label"] == "Thrombocytopenia"
    assert adae.loc[("A01", 1), "group"] == "Hematologic"
    assert bool(adae.loc[("A01", 1), "in_window"])
    assert bool(adae.loc[("A05", 1), "infusion_toxicity"])
    assert not bool(adae.loc[("A01", 1), "infusion_toxicity"])


def test_protocol_2_screening_returns_every_failed_criterion(trial) -> None:
    from gvhdtrial.analysis.derive import stage_assessments

    config = AnalysisConfig()
    staged = stage_assessments(trial.assessments, config)
    result = screen_patients(trial.patients, trial.steroid_doses, staged, config)
    row = result.set_index("patient_id").loc["X999"]
    assert not row["eligible"]
    # Age 75, NYHA III, no consent, no aGVHD assessments: all of them, not only the first.
    assert {"I1", "I4", "E1c"} <= set(row["failure_codes"].split(";"))
    assert result.set_index("patient_id").loc["A01", "eligible"]


def test_derivations_never_stage_by_hand(tmp_path: Path) -> None:
    """Changing one raw measurement changes the derived grade (the stage is not stored)."""
    spec = cases()[0]
    spec.baseline = {"stool_ml_per_day": "1600"}  # > 1500 mL: lower GI stage 3, still III
    spec.baseline["bloody_stool"] = "true"  # grossly bloody stool: lower GI stage 4 -> IV
    frame, _ = build_adsl(load_specs(tmp_path, [spec]), AnalysisConfig())
    assert frame.loc[0, "baseline_stage_lower_gi"] == 4
    assert frame.loc[0, "baseline_grade"] == 4
