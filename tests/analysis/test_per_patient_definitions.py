"""Each patient's data are read under the trial definition version in force at the patient's
randomization (issue 12, amendments; docs/trial_definition.md "Amendments: what is per patient").

The amendment here moves the day-28 response visit to day 35 (+/- 3 days) after part of the
reference trial (data SYNTHETIC) is randomized: under it three reference patients' responses
change (P033 PR -> CR, P061 CR -> NR, P109 PR -> NR; the reference data hold their day 28 and day
35 assessments). Patients randomized before the amendment keep the day-28 rule, those after get
the day-35 one, through one derivation (``derive_responses`` reads each patient's rule)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gvhdtrial.analysis import build_adsl
from gvhdtrial.analysis.interpretation import PER_PATIENT_FIELDS, Interpretation
from gvhdtrial.data import TrialData, load_trial
from gvhdtrial.trial import DEFAULT_TRIAL_FILE, TrialDefinition, load_definition, parse_definition

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
PHASE2 = load_definition(DEFAULT_TRIAL_FILE)


def amended(text: str = PHASE2.text, **replacements: str) -> TrialDefinition:
    text = text.replace('version = "1.0"', 'version = "1.1"', 1)
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return parse_definition(text, "amended.toml")


DAY35 = amended(**{"visits = { D28 = 28, D56 = 56 }": "visits = { D28 = 35, D56 = 56 }"})
CHANGED = {"P033": ("PR", "CR"), "P061": ("CR", "NR"), "P109": ("PR", "NR")}  # v1.0 -> v1.1


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return load_trial(REFERENCE)


@pytest.fixture(scope="module")
def under_each(trial: TrialData) -> dict[str, pd.DataFrame]:
    """ADSL with every patient under one definition: the single-definition path."""
    return {
        "1.0": build_adsl(trial, PHASE2.analysis_config)[0].set_index("patient_id"),
        "1.1": build_adsl(trial, DAY35.analysis_config)[0].set_index("patient_id"),
    }


def test_the_amendment_changes_three_reference_responses(
    under_each: dict[str, pd.DataFrame],
) -> None:
    old, new = under_each["1.0"], under_each["1.1"]
    differs = old.index[(old["resp_d28"] != new["resp_d28"])]
    assert {p: (old.at[p, "resp_d28"], new.at[p, "resp_d28"]) for p in differs} == CHANGED


def test_patients_randomized_before_keep_the_old_rule_those_after_get_the_new(
    trial: TrialData, under_each: dict[str, pd.DataFrame]
) -> None:
    """The amendment takes force on P061's randomization date: P033 (before) keeps PR at day
    28, P061 and P109 (from then on) are read at day 35."""
    rand = trial.randomization.set_index("patient_id")["randomization_date"]
    cut = rand["P061"]
    versions = {pid: (DAY35 if when >= cut else PHASE2) for pid, when in rand.items()}
    rules = Interpretation.by_patient(DAY35, versions, {p: d.version for p, d in versions.items()})
    adsl = build_adsl(trial, rules)[0].set_index("patient_id")
    assert adsl.at["P033", "resp_d28"] == "PR"  # randomized before: the day-28 rule
    assert adsl.at["P033", "resp_d28_day"] == 28
    assert adsl.at["P061", "resp_d28"] == "NR" and adsl.at["P109", "resp_d28"] == "NR"
    assert (adsl["definition_version"] == "1.0").sum() == (rand < cut).sum()
    assert bool(adsl.at["P033", "orr_d28"]) and not adsl.at["P061", "cr_d28"]
    for pid, label in adsl["definition_version"].items():
        single = under_each[label].loc[pid]
        assert adsl.loc[pid].drop("definition_version").equals(single), pid


def _subset(trial: TrialData, keep: list[str]) -> TrialData:
    tables = {
        f.name: getattr(trial, f.name)[getattr(trial, f.name)["patient_id"].isin(keep)]
        for f in dataclasses.fields(trial)
        if isinstance(getattr(trial, f.name), pd.DataFrame)
        and "patient_id" in getattr(trial, f.name).columns
    }
    return dataclasses.replace(trial, **tables)


SMALL = ["P006", "P010", "P033", "P061", "P109", "P012"]


@pytest.fixture(scope="module")
def small(trial: TrialData) -> tuple[TrialData, dict[str, pd.DataFrame]]:
    sub = _subset(trial, SMALL)
    return sub, {
        d.version: build_adsl(sub, d.analysis_config)[0].set_index("patient_id")
        for d in (PHASE2, DAY35)
    }


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    choice=st.lists(st.booleans(), min_size=len(SMALL), max_size=len(SMALL)),
    trial_wide_new=st.booleans(),
)
def test_each_patient_is_read_as_if_the_whole_trial_ran_under_their_version(
    small: tuple[TrialData, dict[str, pd.DataFrame]], choice: list[bool], trial_wide_new: bool
) -> None:
    """Property: whatever the split of patients between two versions (and whichever is the
    trial-wide one), each patient's ADSL row equals that patient's row when everyone is read
    under the patient's version: the per-patient path is the single-definition path, patient by
    patient (so with one version it is the single-definition path)."""
    sub, single = small
    versions = {p: (DAY35 if new else PHASE2) for p, new in zip(SMALL, choice, strict=True)}
    rules = Interpretation.by_patient(
        DAY35 if trial_wide_new else PHASE2, versions, {p: d.version for p, d in versions.items()}
    )
    adsl = build_adsl(sub, rules)[0].set_index("patient_id")
    for pid in SMALL:
        expected = single[versions[pid].version].loc[pid]
        assert adsl.loc[pid].drop("definition_version").equals(expected), pid


def test_everyone_under_the_one_definition_is_the_single_definition_path(
    trial: TrialData, under_each: dict[str, pd.DataFrame]
) -> None:
    rules = Interpretation.by_patient(
        PHASE2, dict.fromkeys(trial.randomization["patient_id"], PHASE2)
    )
    adsl = build_adsl(trial, rules)[0].set_index("patient_id")
    assert adsl.drop(columns="definition_version").equals(under_each["1.0"])
    plain = build_adsl(trial, Interpretation(PHASE2.analysis_config))[0].set_index("patient_id")
    assert plain.equals(under_each["1.0"]) and "definition_version" not in plain


def test_only_per_patient_parts_follow_the_patient(trial: TrialData) -> None:
    """A version's analysis plan choices (trial-wide) are not taken per patient: the patient
    under a version with another PP threshold and months is analysed with the trial-wide ones."""
    other = amended(
        **{
            "pp_min_infusions = 8": "pp_min_infusions = 1",
            "days_per_month = 30.4375": "days_per_month = 30",
        }
    )
    rules = Interpretation.by_patient(PHASE2, {"P006": other})
    config = rules.config("P006")
    assert config.pp_min_infusions == 8 and config.days_per_month == 30.4375
    assert {f: getattr(config, f) for f in PER_PATIENT_FIELDS} == {
        f: getattr(other.analysis_config, f) for f in PER_PATIENT_FIELDS
    }


def test_a_version_naming_other_response_visits_is_refused() -> None:
    renamed = amended(
        **{
            "visits = { D28 = 28, D56 = 56 }": "visits = { D21 = 21, D56 = 56 }",
            'primary = "ORR_D28"': 'primary = "ORR_D21"',
            '"CR_D28"': '"CR_D21"',
        }
    )
    with pytest.raises(ValueError, match=r"patient P006: .* response visits \['D21', 'D56'\]"):
        Interpretation.by_patient(PHASE2, {"P006": renamed})
