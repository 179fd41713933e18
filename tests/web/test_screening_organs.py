"""Screening under a trial that requires organ involvement (criterion I2e; the phase 3 gut file,
trials/jiang-phase3-gut.toml): the service asks for the MAGIC organ stages at screening, derives
the grade from them, and screens with the definition's rules, as the analysis does. Under the
phase 2 file the stages are optional and skin-only aGVHD is eligible (paper, Methods)."""

from __future__ import annotations

from typing import Any

import pytest

from gvhdtrial.trial import load_definition
from gvhdtrial.web.errors import Invalid

from .conftest import Trial, screen

pytestmark = pytest.mark.django_db

GUT = {"skin_stage": 1, "liver_stage": 0, "upper_gi_stage": 0, "lower_gi_stage": 2}  # grade III
SKIN = {"skin_stage": 3, "liver_stage": 0, "upper_gi_stage": 0, "lower_gi_stage": 0}  # grade II


def _codes(patient: Any) -> list[str]:
    return [f["code"] for f in patient.screening.failures]


def test_the_gut_trial_screens_on_the_organ_stages(trial: Trial, settings: Any) -> None:
    settings.TRIAL_DEFINITION = load_definition("jiang-phase3-gut")
    assert _codes(screen(trial, **GUT)) == []
    assert _codes(screen(trial, **SKIN, agvhd_grade=2)) == ["I2e"]  # no gut involvement
    assert _codes(screen(trial)) == ["I2e"]  # stages not recorded: cannot show gut involvement
    with pytest.raises(Invalid, match="agvhd_grade: 2 disagrees with MAGIC grade 3"):
        screen(trial, **GUT, agvhd_grade=2)
    with pytest.raises(Invalid, match="lower_gi_stage: required with the other organ stages"):
        screen(trial, **{k: v for k, v in GUT.items() if k != "lower_gi_stage"})
    with pytest.raises(Invalid, match="upper_gi"):  # upper GI is stage 0 or 1 (MAGIC)
        screen(trial, **{**GUT, "upper_gi_stage": 2})


def test_the_phase2_trial_takes_skin_only_agvhd(trial: Trial) -> None:
    assert _codes(screen(trial, **SKIN, agvhd_grade=2)) == []
    assert _codes(screen(trial)) == []  # the grade alone suffices
