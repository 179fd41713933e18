"""Which parts of a trial definition are read per patient, which are trial-wide, and which an
amendment may not change once a patient is randomized (docs/trial_definition.md, "Amendments:
what is per patient"; ICH E9 sections 4.2 and 5.1)."""

from __future__ import annotations

import json
from importlib import resources

from gvhdtrial.analysis.interpretation import PER_PATIENT_FIELDS
from gvhdtrial.trial import (
    DEFAULT_TRIAL_FILE,
    FIXED_AFTER_RANDOMIZATION,
    PER_PATIENT_TABLES,
    TRIAL_WIDE_TABLES,
    amendment_problems,
    analysis_config_sources,
    load_definition,
    parse_definition,
)

PHASE2 = load_definition(DEFAULT_TRIAL_FILE)


def _amended(**replacements: str):  # type: ignore[no-untyped-def]
    text = PHASE2.text.replace('version = "1.0"', 'version = "1.1"', 1)
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return parse_definition(text, "amended.toml")


def test_every_table_of_the_schema_has_exactly_one_scope() -> None:
    schema = json.loads(
        resources.files("gvhdtrial.protocol").joinpath("trial.schema.json").read_text("utf-8")
    )
    scopes = [*PER_PATIENT_TABLES, *TRIAL_WIDE_TABLES, *FIXED_AFTER_RANDOMIZATION]
    assert sorted(scopes) == sorted(schema["properties"])
    assert len(scopes) == len(set(scopes))


def test_the_per_patient_analysis_fields_are_those_the_per_patient_tables_set() -> None:
    """The analysis reads per patient exactly the AnalysisConfig fields a per-patient table
    (staging, refractoriness, response) sets: no copy of the list can drift."""
    sources = analysis_config_sources(PHASE2)
    per_patient = {f for f, table in sources.items() if table in PER_PATIENT_TABLES}
    assert per_patient == set(PER_PATIENT_FIELDS)
    assert {sources[f] for f in PER_PATIENT_FIELDS} == {"staging", "refractoriness", "response"}


def test_moving_a_visit_or_changing_eligibility_may_be_amended() -> None:
    for change in (
        {"visits = { D28 = 28, D56 = 56 }": "visits = { D28 = 35, D56 = 56 }"},
        {"window_days = 3": "window_days = 5"},
        {"max_age_years = 70": "max_age_years = 75"},
        {"weeks = 4": "weeks = 5"},
        {"posthoc_threshold = 0.1": "posthoc_threshold = 0.2"},
    ):
        assert amendment_problems(PHASE2, _amended(**change)) == [], change


def test_adding_a_centre_may_be_amended_removing_one_may_not() -> None:
    added = _amended(
        **{
            '[[centres]]\ncode = "C07"': '[[centres]]\ncode = "C08"\nname = "New (synthetic)"\n'
            '[[centres]]\ncode = "C07"'
        }
    )
    assert amendment_problems(PHASE2, added) == []
    removed = parse_definition(added.text.replace('code = "C07"', 'code = "C09"'), "removed.toml")
    assert amendment_problems(PHASE2, removed) == [
        "centre C07 removed: centres may be added after the first randomization, not removed"
    ]


def test_arms_randomization_and_visit_names_are_fixed_after_randomization() -> None:
    arm = _amended(**{'code = "placebo"': 'code = "PBO"'})
    assert [p.split(":")[0] for p in amendment_problems(PHASE2, arm)] == ["[arms] changed"]
    blocks = _amended(**{"block_sizes = [2, 4]": "block_sizes = [4]"})
    assert [p.split(":")[0] for p in amendment_problems(PHASE2, blocks)] == [
        "[randomization] changed"
    ]
    renamed = _amended(
        **{
            "visits = { D28 = 28, D56 = 56 }": "visits = { D28 = 28, D90 = 90 }",
            '"ORR_D56", "DCR", "CR_D28", "CR_D56"': '"ORR_D90", "DCR", "CR_D28", "CR_D90"',
        }
    )
    assert amendment_problems(PHASE2, renamed) == [
        "response visits ['D28', 'D56'] -> ['D28', 'D90']: the visits are endpoints; an "
        "amendment may move a visit's day or window, not add, remove or rename visits"
    ]
