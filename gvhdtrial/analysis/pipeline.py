"""The analysis pipeline: raw CRF rows -> analysis datasets -> the paper's tables, in one place.

Read :func:`analyse` top to bottom: each line derives one thing (``derive.py``) or makes one
table (``tables.py``, ``time_to_event.py``, ``posthoc.py``, ``text_numbers.py``) from what the
lines above it made. Every clinical rule is applied by :mod:`gvhdtrial.protocol`; every test
and estimator comes from :mod:`gvhdtrial.stats`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from gvhdtrial.analysis import derive, tables, text_numbers, time_to_event
from gvhdtrial.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from gvhdtrial.analysis.interpretation import Interpretation
from gvhdtrial.analysis.posthoc import posthoc_analyses
from gvhdtrial.analysis.published import published_vs_reproduced
from gvhdtrial.analysis.results import AnalysisResults
from gvhdtrial.data import TrialData
from gvhdtrial.i18n import Msg
from gvhdtrial.protocol.eligibility import EligibilityRules


def analysis_notes(config: AnalysisConfig, blinded: bool) -> list[str]:
    """What a reader of the tables must know about how they were made."""
    notes = [
        (
            "Per-protocol set, literal reading (docs/protocol.md section 10): ITT minus the "
            f"patients who received < {config.pp_min_infusions} infusions. A patient who had "
            f"received {config.pp_min_infusions} infusions and then discontinued before d28 "
            "stays in the per-protocol set as a non-responder; a patient with fewer infusions "
            "who stayed on "
            "study is excluded even if assessed."
            if config.per_protocol == "literal"
            else "Per-protocol set, strict reading: ITT minus those who received < "
            f"{config.pp_min_infusions} infusions or discontinued before d28."
        ),
        (
            "Response at d28/d56: the assessment nearest the target day within "
            f"+/- {config.response_window_days} days; death or salvage therapy on or before the "
            "visit -> NR (paper, Methods); no assessment in the window (withdrawal, "
            "discontinuation, loss) -> NR by non-responder imputation."
        ),
        (
            "Durable CR: CR lasting >= 28 days, reached within 100 days of the first infusion; "
            "time to response from "
            + (
                "randomization."
                if config.response_time_origin == "randomization"
                else "the first infusion."
            )
        ),
        (
            "Time to event from randomization, months = days / "
            f"{config.days_per_month}; 2-year estimates at {config.horizon_months:g} months. "
            "FFS failure = relapse, non-relapse death or new systemic therapy for aGVHD "
            "(first salvage agent); chronic GVHD onset before failure is a competing event, "
            "as the paper does."
        ),
        (
            "Safety set: >= 1 infusion; the data record no arm received other than the arm "
            "assigned (identical bags), so patients are counted in the arm assigned. AEs with "
            f"onset within {config.ae_window_days} days of {config.ae_anchor.replace('_', ' ')}."
        ),
        (
            "Post-hoc Tables S1/S3: the paper says Cox regression for ORR and DCR; this analysis "
            f"uses {config.posthoc_binary_model} regression for these binary endpoints "
            "(configurable). Variables with p < "
            f"{config.posthoc_threshold:g} alone enter the multivariable model."
        ),
        (
            "Text, grade III comparison: the paper's p = 0.809 is a Pearson chi-square although "
            "N = 31; the SAP rule gives Fisher's exact test (both are shown)."
        ),
        (
            "Table 1 p-values are not printed in the paper; given here by the SAP (Wilcoxon "
            "rank-sum for continuous and ordered variables, chi-square/Fisher rule for "
            "categorical ones)."
        ),
        (
            "Baseline steroid dose: methylprednisolone-equivalent mg/day in effect on the day of "
            "randomization (prednisone 1 mg = methylprednisolone 0.8 mg)."
        ),
    ]
    if blinded:
        notes.insert(
            0,
            "BLINDED data review: the data carry no arm; every table is pooled and nothing is "
            "compared between arms.",
        )
    return notes


def build_adsl(
    trial: TrialData, config: AnalysisConfig | Interpretation
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-patient analysis dataset (ADSL) and the staged assessments, step by step.

    ``config``: the analysis plan, or an :class:`Interpretation` (each patient's staging,
    refractoriness and response rules of the definition version in force at the patient's
    randomization; the trial-wide plan for the rest; ADSL then says each patient's version in
    ``definition_version``)."""
    rules = Interpretation.of(config)
    plan = rules.trial_wide
    staged = derive.stage_assessments(trial.assessments, rules)
    adsl = derive.derive_randomized_patients(trial.randomization, trial.patients)
    adsl = derive.derive_table1_characteristics(adsl)
    adsl = derive.derive_baseline_disease(adsl, staged, rules, trial.infusions)
    adsl = derive.derive_steroid_refractoriness(adsl, trial.steroid_doses, staged, rules)
    adsl = derive.derive_therapies(adsl, trial.therapies)
    adsl = derive.derive_infusions(adsl, trial.infusions)
    adsl = derive.derive_disposition(adsl, trial.events)
    adsl = derive.derive_populations(adsl, plan)
    adsl = derive.derive_responses(adsl, staged, rules)
    adsl = derive.derive_time_to_event(adsl, plan)
    adsl = derive.derive_grade_iv_story(adsl)
    if rules.per_patient:
        adsl["definition_version"] = [rules.labels.get(str(p), "") for p in adsl["patient_id"]]
    return adsl, staged


def interpretation_notes(rules: Interpretation, patient_ids: Iterable[object]) -> list[str]:
    """What the report says about the definition versions the analysed patients' data were read
    under (nothing when every patient is read under the one definition)."""
    if not rules.per_patient:
        return []
    counts: dict[str, int] = {}
    plans: dict[str, AnalysisConfig] = {}
    for pid in patient_ids:
        label = rules.labels.get(str(pid)) or "trial-wide definition"
        counts[label] = counts.get(label, 0) + 1
        plans[label] = rules.config(pid)
    listed = "; ".join(
        f"{label}: {counts[label]} patient(s) (response visits "
        + ", ".join(f"{k} day {d}" for k, d in plans[label].response_visits.items())
        + f", +/- {plans[label].response_window_days} days from "
        f"{plans[label].response_time_origin.replace('_', ' ')}, "
        f"{plans[label].response_rules} rules; refractoriness "
        f"{plans[label].refractoriness_definition}; staging {plans[label].grading_system})"
        for label in sorted(counts)
    )
    return [
        Msg(
            "Trial definition amendments: each patient's eligibility, steroid refractoriness, "
            "staging and response (visit days, window, time origin, rule set, durable CR) are "
            "read under the definition version in force at the patient's randomization "
            "(ADSL column definition_version): %(listed)s. Endpoints, analysis sets and the "
            "analysis plan are trial-wide (ICH E9 section 5.1; docs/trial_definition.md).",
            listed=listed,
        )
    ]


def missing_form_notes(trial: TrialData) -> list[str]:
    """One note naming the randomized patients whose CRF forms are not entered: they stay in
    every analysis set they belong to (ITT: every randomized patient), their missing values are
    missing data (left out of that characteristic's Table 1 counts and of the regression fits
    that need them), never a reason to drop the patient."""
    missing = trial.missing_forms()
    randomized = set(trial.randomization["patient_id"])
    missing = missing[missing["patient_id"].isin(randomized)]
    if missing.empty:
        return []
    listed = ", ".join(
        f"{pid} ({', '.join(sorted(forms))})"
        for pid, forms in missing.groupby("patient_id")["form"]
    )
    n = missing["patient_id"].nunique()
    return [
        Msg(
            "Randomized patients with CRF forms not entered (%(n)d): %(listed)s. They are "
            "analysed (ITT: every randomized patient) with these values missing: left out of the "
            "counts of the characteristics they lack and of the regression fits that use them; "
            "no patient is dropped.",
            n=n,
            listed=listed,
        )
    ]


def analyse(
    trial: TrialData,
    config: AnalysisConfig | Interpretation = DEFAULT_CONFIG,
    eligibility: EligibilityRules | None = None,
) -> AnalysisResults:
    """Run the whole analysis of one trial data set (blinded data: pooled review only).

    ``config``: the analysis plan (every patient under it, with ``eligibility``), or an
    :class:`Interpretation` saying which definition version each patient's data are read under
    (trial definition amendments)."""
    blinded = bool(trial.blinded or trial.randomization.get("arm") is None)
    rules = Interpretation.of(config, eligibility)
    config = rules.trial_wide

    # 1. Derivations: raw rows -> ADSL (one row per randomized patient) and ADAE.
    adsl, staged = build_adsl(trial, rules)
    screening = derive.screen_patients(trial.patients, trial.steroid_doses, staged, rules)
    adae = derive.derive_adverse_events(trial.adverse_events, adsl, config)

    # 2. Tables.
    table1 = tables.table1(adsl, config, blinded)
    table2 = tables.table2(adsl, blinded)
    table3 = tables.table3(adae, adsl, blinded)
    safety = tables.safety_summary(adae, adsl, blinded)
    consort = tables.consort(screening, adsl, blinded)

    # 3. Time to event, post hoc, other numbers of the text.
    curves, at_risk, survival, survival_notes = time_to_event.survival_analyses(
        adsl, config, blinded
    )
    posthoc = {} if blinded else posthoc_analyses(adsl, config)
    extras = text_numbers.extras(adsl, table2, blinded)

    results = AnalysisResults(
        adsl=_public_adsl(adsl, blinded),
        table1=table1,
        table2=table2,
        table3=table3,
        safety_summary=safety,
        consort=consort,
        survival_curves=curves,
        numbers_at_risk=at_risk,
        survival_summary=survival,
        posthoc=posthoc,
        extras=extras,
        published_vs_reproduced=pd.DataFrame(),
        config=config.as_dict(),
        notes=analysis_notes(config, blinded)
        + interpretation_notes(rules, adsl["patient_id"])
        + survival_notes
        + missing_form_notes(trial),
        blinded=blinded,
        synthetic_statement=trial.info.statement if trial.info.synthetic else "",
    )
    # 4. Every published number next to the reproduced one.
    comparison = published_vs_reproduced(results)
    return AnalysisResults(**{**results.__dict__, "published_vs_reproduced": comparison})


def _public_adsl(adsl: pd.DataFrame, blinded: bool) -> pd.DataFrame:
    """ADSL without the Python objects (organ stages are kept as integer columns)."""
    out = adsl.drop(columns=["baseline_stages"], errors="ignore").copy()
    if blinded:
        out = out.drop(columns=["arm", "arm_received"], errors="ignore")
    return out
