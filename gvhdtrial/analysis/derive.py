"""Derivations: raw CRF rows -> the per-patient analysis dataset (ADSL) and the AE dataset.

Each ``derive_*`` function derives one thing, named for what it derives (as pharmaverse admiral
does), takes the growing ``adsl`` DataFrame (one row per randomized patient) plus the raw
table(s) it needs, and returns ``adsl`` with new columns. Every clinical rule goes through
:mod:`gvhdtrial.protocol` (staging, grading, refractoriness, response, durable CR, time to
response, eligibility); nothing here re-implements one. The order in which
:mod:`gvhdtrial.analysis.pipeline` chains them is the whole derivation.

Dates are pandas Timestamps; a "study day" is days since randomization (d0).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.analysis.interpretation import Interpretation
from gvhdtrial.data import ctcae
from gvhdtrial.protocol import (
    SCREENING_FLAGS,
    Candidate,
    DatedAssessment,
    DatedStages,
    Measurements,
    OrganStages,
    ResponseVisitRule,
    StageAssessment,
    SteroidCourse,
    baseline_assessment,
    durable_complete_response,
    methylprednisolone_mg_on,
    overall_grade,
    salvage_start,
    screen,
    stage_organs,
    steroid_course,
    steroid_refractory_category,
    time_origin_date,
    time_to_first_response,
    visit_response,
)
from gvhdtrial.protocol.eligibility import EligibilityRules

ARMS: Final = ("MSC", "control")
SR_CATEGORY_LABELS: Final[Mapping[int, str]] = {
    1: "Progression after 3 days",
    2: "Failure to improve after 7 days",
    3: "Failure to achieve CR after 14 days",
    4: "Failure during taper",
}
GRADE_LABELS: Final[Mapping[int, str]] = {0: "0", 1: "I", 2: "II", 3: "III", 4: "IV"}


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _days(later: Any, earlier: Any) -> float:
    """Whole days from ``earlier`` to ``later`` (NaN if either is missing)."""
    if pd.isna(later) or pd.isna(earlier):
        return math.nan
    return float((pd.Timestamp(later) - pd.Timestamp(earlier)).days)


def _by_patient(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(k): g for k, g in frame.groupby("patient_id", sort=True)}


# ---------------------------------------------------------------------------------------------
# Assessments: stages and grade of every assessment (MAGIC, through the protocol engine)
# ---------------------------------------------------------------------------------------------


def stage_assessments(
    assessments: pd.DataFrame, config: AnalysisConfig | Interpretation
) -> pd.DataFrame:
    """Every assessment with its MAGIC organ stages and overall grade (docs/protocol.md section 1).

    Adds ``stage_skin``, ``stage_liver``, ``stage_upper_gi``, ``stage_lower_gi``, ``grade``
    (``config.grading_system``) and ``stages`` (the :class:`OrganStages` object); each
    patient's staging rules are those of the definition version the patient falls under
    (``config`` an :class:`Interpretation`).
    """
    rules = Interpretation.of(config)
    out = assessments.sort_values(["patient_id", "assessment_date"]).reset_index(drop=True)
    stages, grades = [], []
    for row in out.to_dict("records"):
        own = rules.config(row["patient_id"])
        s = stage_organs(Measurements.from_record(row), lower_gi_rule=own.lower_gi_rule)
        stages.append(s)
        grades.append(overall_grade(s, system=own.grading_system))
    out["stages"] = stages
    for organ in ("skin", "liver", "upper_gi", "lower_gi"):
        out[f"stage_{organ}"] = [getattr(s, organ) for s in stages]
    out["grade"] = grades
    return out


# ---------------------------------------------------------------------------------------------
# ADSL, one derivation at a time
# ---------------------------------------------------------------------------------------------


def derive_randomized_patients(randomization: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """One row per randomized patient: randomization (arm if unblinded) + patient record."""
    rand = randomization.copy()
    if "arm" not in rand.columns:
        rand["arm"] = pd.Series([pd.NA] * len(rand), dtype="string")
    adsl = rand.merge(patients, on="patient_id", how="left", validate="one_to_one")
    return adsl.sort_values("patient_id").reset_index(drop=True)


def derive_table1_characteristics(adsl: pd.DataFrame) -> pd.DataFrame:
    """Table 1 characteristics coded as the paper prints them (labels, not codes).

    Age (< 18), sex, disease, conditioning, donor, graft source, CD34+, CMV/EBV serostatus
    (donor/recipient), prophylaxis, aGVHD onset to randomization (days).
    """
    out = adsl.copy()

    def sero(donor: Any, recipient: Any) -> Any:
        sign = {"positive": "+", "negative": "-"}
        if pd.isna(donor) or pd.isna(recipient):
            return pd.NA  # baseline form not entered: missing, not a category
        return f"D{sign[donor]}/R{sign[recipient]}"

    out["age_lt18"] = out["age_years"] < 18
    out["male"] = out["sex"] == "male"
    out["cmv_serostatus"] = [
        sero(d, r) for d, r in zip(out["cmv_donor"], out["cmv_recipient"], strict=True)
    ]
    out["ebv_serostatus"] = [
        sero(d, r) for d, r in zip(out["ebv_donor"], out["ebv_recipient"], strict=True)
    ]
    out["onset_to_randomization_days"] = [
        _days(r, o) for r, o in zip(out["randomization_date"], out["agvhd_onset_date"], strict=True)
    ]
    return out


def _dated_assessments(rows: pd.DataFrame | None) -> list[DatedAssessment]:
    """A patient's staged assessments (date order) as the protocol's response rule reads them."""
    if rows is None:
        return []
    return [
        DatedAssessment(pd.Timestamp(d).date(), None if pd.isna(v) else str(v), s)
        for d, v, s in zip(rows["assessment_date"], rows["visit"], rows["stages"], strict=True)
    ]


def response_visit_rule(config: AnalysisConfig) -> ResponseVisitRule:
    """The protocol's response visit rule with the analysis plan's choices."""
    return ResponseVisitRule(
        visits=dict(config.response_visits),
        window_days=config.response_window_days,
        time_origin=config.response_time_origin,
        rules=config.response_rules,
    )


def _baseline_row(rows: pd.DataFrame, origin: dt.date | None) -> pd.Series | None:
    """The baseline assessment (:func:`gvhdtrial.protocol.visits.baseline_assessment`)."""
    dated = _dated_assessments(rows)
    chosen = baseline_assessment(dated, origin)
    if chosen is None:
        return None
    return rows.iloc[next(i for i, d in enumerate(dated) if d is chosen)]


_BASELINE_COLUMNS = [
    "baseline_date", "baseline_stages", "baseline_stage_skin", "baseline_stage_liver",
    "baseline_stage_upper_gi", "baseline_stage_lower_gi", "baseline_grade", "organ_skin",
    "organ_liver", "organ_gut", "n_organs",
]  # fmt: skip


def derive_baseline_disease(
    adsl: pd.DataFrame,
    staged: pd.DataFrame,
    config: AnalysisConfig | Interpretation | None = None,
    infusions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Baseline stages, MAGIC grade, organ involvement (gut = upper or lower GI), organ count.

    Baseline = the start of study treatment (docs/protocol.md section 5): the ``baseline`` visit,
    else the last assessment on or before the response time origin (randomization, or the first
    infusion: ``infusions`` is then needed), the protocol's one rule, with the time origin of
    the definition version the patient falls under.
    """
    out = adsl.copy()
    rules = Interpretation.of(config or AnalysisConfig())
    per_patient = _by_patient(staged)
    first_infusion: dict[str, Any] = {}
    if infusions is not None and len(infusions):
        first_infusion = infusions.groupby("patient_id")["date"].min().to_dict()
    records: list[dict[str, Any]] = []
    for pid, rdate in zip(out["patient_id"], out["randomization_date"], strict=True):
        rows = per_patient.get(str(pid))
        rule = response_visit_rule(rules.config(pid))
        origin = time_origin_date(rule, _date(rdate), _date(first_infusion.get(str(pid))))
        row = None if rows is None else _baseline_row(rows, origin)
        if row is None:
            records.append({"baseline_stages": None})
            continue
        s: OrganStages = row["stages"]
        organs = {"skin": s.skin > 0, "liver": s.liver > 0, "gut": s.gut > 0}
        records.append(
            {
                "baseline_date": row["assessment_date"],
                "baseline_stages": s,
                "baseline_stage_skin": s.skin,
                "baseline_stage_liver": s.liver,
                "baseline_stage_upper_gi": s.upper_gi,
                "baseline_stage_lower_gi": s.lower_gi,
                "baseline_grade": int(row["grade"]),
                "organ_skin": organs["skin"],
                "organ_liver": organs["liver"],
                "organ_gut": organs["gut"],
                "n_organs": sum(organs.values()),
            }
        )
    # Every column exists even when no patient has a baseline assessment (or no patient at
    # all): a trial in its first days, or one whose patients are not yet assessed.
    derived = pd.DataFrame.from_records(records, index=out.index, columns=_BASELINE_COLUMNS)
    for column in derived.columns:
        out[column] = derived[column]
    out["baseline_grade_label"] = out["baseline_grade"].map(
        lambda g: GRADE_LABELS.get(int(g)) if pd.notna(g) else None
    )
    out["grade_iii_iv"] = out["baseline_grade"] >= 3
    out["organs_ge2"] = out["n_organs"] >= 2
    return out


def _recorded_doses(doses: pd.DataFrame | None) -> list[tuple[dt.date, str, float]]:
    if doses is None:
        return []
    return [
        (_date(d), str(agent), float(mg))  # type: ignore[misc]
        for d, agent, mg in zip(
            doses["date"], doses["agent"], doses["dose_mg_per_day"], strict=True
        )
    ]


def _dated_stages(staged: pd.DataFrame | None) -> list[DatedStages]:
    if staged is None:
        return []
    return [
        DatedStages(_date(d), s)  # type: ignore[arg-type]
        for d, s in zip(staged["assessment_date"], staged["stages"], strict=True)
    ]


def _steroid_course(
    doses: pd.DataFrame | None, staged: pd.DataFrame | None, weight_kg: float, as_of: dt.date
) -> tuple[SteroidCourse | None, str]:
    """The first-line steroid course (:func:`gvhdtrial.protocol.steroid_course`)."""
    return steroid_course(_recorded_doses(doses), weight_kg, _dated_stages(staged), as_of)


def derive_steroid_refractoriness(
    adsl: pd.DataFrame,
    steroid_doses: pd.DataFrame,
    staged: pd.DataFrame,
    config: AnalysisConfig | Interpretation,
) -> pd.DataFrame:
    """SR category (1-4) and type (dependence / resistance) at randomization.

    Protocol: :func:`gvhdtrial.protocol.steroid_refractory_category` over the steroid course
    (doses as methylprednisolone mg/kg/day by the screening weight) and the pre-randomization
    assessments, as of the randomization date (docs/protocol.md section 3). Also the baseline
    steroid dose: methylprednisolone-equivalent mg/day in effect on the randomization date.
    The refractoriness definition is the one of the version the patient falls under.
    """
    out = adsl.copy()
    rules = Interpretation.of(config)
    doses_by = _by_patient(steroid_doses)
    staged_by = _by_patient(staged)
    categories, kinds, reasons, baseline_mg = [], [], [], []
    for pid, weight, rdate in zip(
        out["patient_id"], out["weight_kg"], out["randomization_date"], strict=True
    ):
        doses = doses_by.get(str(pid))
        as_of = _date(rdate)
        assert as_of is not None
        course, why = _steroid_course(doses, staged_by.get(str(pid)), float(weight), as_of)
        if course is None:
            categories.append(None)
            kinds.append(None)
            reasons.append(why)
        else:
            sr = steroid_refractory_category(
                course, definition=rules.config(pid).refractoriness_definition, as_of=as_of
            )
            categories.append(sr.category)
            kinds.append(sr.kind)
            reasons.append(sr.reason)
        mg = math.nan
        if doses is not None and len(doses):
            mg = methylprednisolone_mg_on(_recorded_doses(doses), as_of)
        baseline_mg.append(round(mg, 6))
    out["sr_category"] = pd.array(categories, dtype="Int64")
    out["sr_category_label"] = [SR_CATEGORY_LABELS.get(c) if c else None for c in categories]
    out["sr_type"] = kinds
    out["steroid_dependence"] = [k == "dependence" if k else None for k in kinds]
    out["sr_reason"] = reasons
    out["baseline_steroid_mg"] = baseline_mg
    return out


def derive_therapies(adsl: pd.DataFrame, therapies: pd.DataFrame) -> pd.DataFrame:
    """Baseline second-line agent (the first ``second_line`` row) and the first salvage agent.

    ``salvage_date`` is the start of the first salvage agent (docs/protocol.md section 4: salvage
    for fast progression; that patient is NR from then on).
    """
    out = adsl.copy()
    by = _by_patient(therapies)
    second, salvage_date, salvage_agents = [], [], []
    for pid in out["patient_id"]:
        rows = by.get(str(pid))
        if rows is None:
            second.append(None)
            salvage_date.append(pd.NaT)
            salvage_agents.append("")
            continue
        rows = rows.sort_values(["start_date", "agent"])
        sl = rows[rows["role"] == "second_line"]
        second.append(str(sl.iloc[0]["agent"]) if len(sl) else None)
        sv = rows[rows["role"] == "salvage"]
        salvage_date.append(sv["start_date"].min() if len(sv) else pd.NaT)
        salvage_agents.append(";".join(sorted(set(map(str, sv["agent"])))))
    out["second_line_agent"] = second
    out["salvage_date"] = pd.to_datetime(pd.Series(salvage_date, index=out.index))
    out["salvage_agents"] = salvage_agents
    out["salvage"] = out["salvage_date"].notna()
    out["salvage_ruxolitinib"] = out["salvage_agents"].str.contains("ruxolitinib")
    out["salvage_day"] = [
        _days(s, r) for s, r in zip(out["salvage_date"], out["randomization_date"], strict=True)
    ]
    return out


def derive_infusions(adsl: pd.DataFrame, infusions: pd.DataFrame) -> pd.DataFrame:
    """Infusions received: count, first and last dates and study days, any infusion reaction."""
    out = adsl.copy()
    by = _by_patient(infusions)
    counts, first, last, reaction = [], [], [], []
    for pid in out["patient_id"]:
        rows = by.get(str(pid))
        if rows is None or not len(rows):
            counts.append(0)
            first.append(pd.NaT)
            last.append(pd.NaT)
            reaction.append(False)
            continue
        counts.append(len(rows))
        first.append(rows["date"].min())
        last.append(rows["date"].max())
        reaction.append(bool(rows["infusion_reaction"].astype(bool).any()))
    out["n_infusions"] = counts
    out["first_infusion_date"] = pd.to_datetime(pd.Series(first, index=out.index))
    out["last_infusion_date"] = pd.to_datetime(pd.Series(last, index=out.index))
    out["first_infusion_day"] = [
        _days(f, r)
        for f, r in zip(out["first_infusion_date"], out["randomization_date"], strict=True)
    ]
    out["last_infusion_day"] = [
        _days(f, r)
        for f, r in zip(out["last_infusion_date"], out["randomization_date"], strict=True)
    ]
    out["infusion_reaction"] = reaction
    return out


def derive_disposition(adsl: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Death, relapse, chronic GVHD, new systemic therapy, discontinuation, last follow-up.

    Last follow-up = the death date, else the latest event date of the patient (last contact,
    loss to follow-up, ...), else the randomization date.
    """
    out = adsl.copy()
    by = _by_patient(events)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "death_date",
            "death_cause",
            "death_relapse_related",
            "relapse_date",
            "cgvhd_date",
            "cgvhd_severity",
            "new_systemic_therapy_date",
            "discontinuation_date",
            "discontinuation_reason",
            "withdrawal_date",
            "last_followup_date",
        )
    }
    for pid, rdate in zip(out["patient_id"], out["randomization_date"], strict=True):
        rows = by.get(str(pid))
        if rows is None:
            rows = events.iloc[0:0]
        rows = rows.sort_values(["event_date", "event_id"])

        def first(kind: str, rows: pd.DataFrame = rows) -> pd.Series | None:
            hit = rows[rows["event_type"] == kind]
            return hit.iloc[0] if len(hit) else None

        death = first("death")
        cols["death_date"].append(death["event_date"] if death is not None else pd.NaT)
        cols["death_cause"].append(death["death_cause"] if death is not None else None)
        cols["death_relapse_related"].append(
            bool(death["death_relapse_related"]) if death is not None else None
        )
        relapse = first("relapse")
        cols["relapse_date"].append(relapse["event_date"] if relapse is not None else pd.NaT)
        cg = first("cgvhd_onset")
        cols["cgvhd_date"].append(cg["event_date"] if cg is not None else pd.NaT)
        cols["cgvhd_severity"].append(cg["cgvhd_nih_severity"] if cg is not None else None)
        nst = first("new_systemic_therapy")
        cols["new_systemic_therapy_date"].append(nst["event_date"] if nst is not None else pd.NaT)
        disc = first("discontinuation")
        cols["discontinuation_date"].append(disc["event_date"] if disc is not None else pd.NaT)
        cols["discontinuation_reason"].append(
            disc["discontinuation_reason"] if disc is not None else None
        )
        wd = first("withdrawal")
        cols["withdrawal_date"].append(wd["event_date"] if wd is not None else pd.NaT)
        if death is not None:
            cols["last_followup_date"].append(death["event_date"])
        elif len(rows):
            cols["last_followup_date"].append(max(rows["event_date"].max(), rdate))
        else:
            cols["last_followup_date"].append(rdate)
    for name, values in cols.items():
        if name.endswith("_date"):
            out[name] = pd.to_datetime(pd.Series(values, index=out.index))
        else:
            out[name] = values
    out["dead"] = out["death_date"].notna()
    out["discontinued_before_d28"] = [
        pd.notna(d) and _days(d, r) < 28
        for d, r in zip(out["discontinuation_date"], out["randomization_date"], strict=True)
    ]
    return out


def derive_populations(adsl: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """ITT, per-protocol and safety flags (docs/protocol.md sections 6 and 10).

    - ITT: every randomized patient, in the arm assigned;
    - PP ("literal", the default): ITT minus those who received < 8 infusions; "strict" also
      removes everyone who discontinued before d28;
    - safety: >= 1 infusion, in the arm received. The data record no arm received apart from
      the arm assigned (identical bags), so the arm received is the arm assigned.
    """
    out = adsl.copy()
    out["itt"] = True
    pp = out["n_infusions"] >= config.pp_min_infusions
    if config.per_protocol == "strict":
        pp = pp & ~out["discontinued_before_d28"].astype(bool)
    out["pp"] = pp.astype(bool)
    out["safety"] = out["n_infusions"] >= 1
    out["arm_received"] = out["arm"]
    return out


def _post_baseline_assessments(
    rows: pd.DataFrame | None, rdate: pd.Timestamp, salvage_date: Any
) -> list[StageAssessment]:
    if rows is None:
        return []
    after = rows[rows["assessment_date"] > rdate]
    out = []
    for d, s in zip(after["assessment_date"], after["stages"], strict=True):
        salvage = bool(pd.notna(salvage_date) and salvage_date <= d)
        out.append(StageAssessment(int((d - rdate).days), s, died=False, salvage=salvage))
    return out


def derive_responses(
    adsl: pd.DataFrame, staged: pd.DataFrame, config: AnalysisConfig | Interpretation
) -> pd.DataFrame:
    """Responses at d28 and d56, ORR and CR flags, durable CR, time to first response.

    Each visit (``config.response_visits``) by the protocol's one response visit rule,
    :func:`gvhdtrial.protocol.visit_response` (the same call data capture makes): the
    assessment nearest the target day within +/- ``config.response_window_days`` (tie: the
    earlier) against baseline, NR after death or salvage (a salvage agent or a new systemic
    therapy) by then, NR by non-responder imputation when the visit is missing
    (``resp_<visit>_basis`` says which). The data are read as complete (a data cut-off).
    DCR: :func:`gvhdtrial.protocol.durable_complete_response` over the post-baseline
    assessments from the first infusion. Time to response:
    :func:`gvhdtrial.protocol.time_to_first_response`.

    Each patient's visits (days, window, time origin), rule set and durable CR are those of the
    definition version the patient falls under (``config`` an :class:`Interpretation`); the
    visits' names are the trial's (its endpoints).
    """
    out = adsl.copy()
    rules = Interpretation.of(config)
    staged_by = _by_patient(staged)
    results: dict[str, list[Any]] = {}
    for pid, rdate, baseline, salvage_date, therapy_date, death_date, first_date in zip(
        out["patient_id"],
        out["randomization_date"],
        out["baseline_stages"],
        out["salvage_date"],
        out["new_systemic_therapy_date"],
        out["death_date"],
        out["first_infusion_date"],
        strict=True,
    ):
        rows = staged_by.get(str(pid))
        own = rules.config(pid)
        rule = response_visit_rule(own)
        responding = {"CR", "PR"} if own.response_rules == "paper" else {"CR", "VGPR", "PR"}
        salvage = salvage_start(
            [("salvage", _date(salvage_date))],
            [("new_systemic_therapy", _date(therapy_date))],
        )
        post = _post_baseline_assessments(rows, rdate, pd.NaT if salvage is None else
                                          pd.Timestamp(salvage))  # fmt: skip
        dated = _dated_assessments(rows)
        for visit in own.response_visits:
            key = visit.lower()
            result = visit_response(
                rule,
                visit,
                randomization_date=_date(rdate),
                first_infusion_date=_date(first_date),
                assessments=dated,
                death_date=_date(death_date),
                salvage_date=salvage,
            )
            results.setdefault(f"resp_{key}", []).append(result.response)
            results.setdefault(f"resp_{key}_basis", []).append(result.basis)
            results.setdefault(f"resp_{key}_day", []).append(
                None if result.response is None else result.day
            )
            results.setdefault(f"orr_{key}", []).append(result.response in responding)
            results.setdefault(f"cr_{key}", []).append(result.response == "CR")
        first_day = _days(first_date, rdate)
        first = 0 if pd.isna(first_day) else int(first_day)
        results.setdefault("dcr", []).append(
            durable_complete_response(
                post,
                first,
                min_duration_days=own.dcr_min_duration_days,
                within_days=own.dcr_within_days,
            )
            if baseline is not None
            else None
        )
        origin = first if own.response_time_origin == "first_infusion" else 0
        results.setdefault("time_to_response_days", []).append(
            time_to_first_response(baseline, post, origin_day=origin, rules=own.response_rules)
            if baseline is not None
            else None
        )
    orr_cr = {n: v for n, v in results.items() if n.startswith(("orr_", "cr_"))}
    for name, values in results.items():
        if name not in orr_cr:
            out[name] = values
    for visit in rules.trial_wide.response_visits:
        for name in (f"orr_{visit.lower()}", f"cr_{visit.lower()}"):
            out[name] = pd.Series(orr_cr.get(name, []), index=out.index, dtype=bool)
    out["dcr"] = out["dcr"].astype(bool)
    out["time_to_response_days"] = pd.array(out["time_to_response_days"], dtype="Int64")
    return out


def derive_time_to_event(adsl: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """Time-to-event endpoints from randomization, in months (days / ``days_per_month``).

    Status codes as cmprsk: 0 censored, 1 event of interest, 2 competing event.

    - OS: death (1) or censored at last follow-up;
    - relapse: relapse (1), death without relapse (2);
    - NRM: death without prior relapse (1), relapse (2);
    - cGVHD: chronic GVHD onset before relapse and death (1), relapse or death first (2);
    - cGVHD_mod_sev: moderate or severe chronic GVHD (NIH 2014) as cGVHD, relapse or death
      first (2); a mild cGVHD neither ends follow-up nor competes;
    - FFS: failure (1) = relapse, non-relapse death, or new systemic therapy for aGVHD (first
      salvage agent, or a ``new_systemic_therapy`` event); chronic GVHD onset before failure is
      competing (2) when ``config.ffs_cgvhd_competing`` (the paper's choice).
    """
    out = adsl.copy()
    month = config.days_per_month
    inf = math.inf
    rows: dict[str, list[float]] = {}
    for rec in out.to_dict("records"):
        r = rec["randomization_date"]
        fu = _days(rec["last_followup_date"], r)
        dead = bool(rec["dead"])
        rel = _days(rec["relapse_date"], r)
        rel = rel if not math.isnan(rel) and rel <= fu else inf
        cg = _days(rec["cgvhd_date"], r)
        cg = cg if not math.isnan(cg) and cg <= fu else inf
        severe = rec["cgvhd_severity"] in ("moderate", "severe")
        death = fu if dead else inf
        ends: dict[str, tuple[float, int]] = {"OS": (fu, 1 if dead else 0)}
        if rel < inf:
            ends["relapse"], ends["NRM"] = (rel, 1), (rel, 2)
        elif dead:
            ends["relapse"], ends["NRM"] = (fu, 2), (fu, 1)
        else:
            ends["relapse"], ends["NRM"] = (fu, 0), (fu, 0)
        first_competing = min(rel, death)
        for name, counts in (("cGVHD", cg < inf), ("cGVHD_mod_sev", cg < inf and severe)):
            if counts and cg <= first_competing:
                ends[name] = (cg, 1)
            elif first_competing < inf:
                ends[name] = (first_competing, 2)
            else:
                ends[name] = (fu, 0)
        therapy = [
            _days(rec["salvage_date"], r),
            _days(rec["new_systemic_therapy_date"], r),
        ]
        therapy_day = min([d for d in therapy if not math.isnan(d)], default=inf)
        nrm_death = death if rel == inf else inf
        fail = min(therapy_day, rel, nrm_death)
        fail = fail if fail <= fu else inf
        if config.ffs_cgvhd_competing and cg < inf and cg < fail:
            ends["FFS"] = (cg, 2)
        elif fail < inf:
            ends["FFS"] = (fail, 1)
        else:
            ends["FFS"] = (fu, 0)
        for name, (days, status) in ends.items():
            rows.setdefault(f"{name}_months", []).append(days / month)
            rows.setdefault(f"{name}_status", []).append(status)
        rows.setdefault("followup_months", []).append(fu / month)
    for name, values in rows.items():
        out[name] = values
        if name.endswith("_status"):
            out[name] = out[name].astype(int)
    return out


def derive_grade_iv_story(adsl: pd.DataFrame) -> pd.DataFrame:
    """Day of death (study day) for the grade IV stories and listings."""
    out = adsl.copy()
    out["death_day"] = [
        _days(d, r) for d, r in zip(out["death_date"], out["randomization_date"], strict=True)
    ]
    return out


# ---------------------------------------------------------------------------------------------
# Screening (CONSORT): every screened patient through the eligibility engine
# ---------------------------------------------------------------------------------------------


def screen_patients(
    patients: pd.DataFrame,
    steroid_doses: pd.DataFrame,
    staged: pd.DataFrame,
    config: AnalysisConfig | Interpretation,
    eligibility: EligibilityRules | None = None,
) -> pd.DataFrame:
    """Eligibility of every screened patient (:func:`gvhdtrial.protocol.screen`, under the
    trial definition's ``eligibility`` rules; default the phase 2 trial's; with ``config`` an
    :class:`Interpretation`, the criteria and refractoriness definition of the version each
    patient falls under).

    Refractoriness as of the screening date and the grade of the last assessment on or before
    it. Returns ``patient_id, eligible, failure_codes, failure_reasons, assessable``;
    ``assessable`` is False when the data to re-check screening are not entered (no consent or
    screening date, no assessment up to the end of screening, or no steroid doses), so stages
    or refractoriness at screening are unknown: such a patient's criteria are not judged
    failed, they are missing data (issue 11).
    """
    rules = Interpretation.of(config, eligibility)
    doses_by = _by_patient(steroid_doses)
    staged_by = _by_patient(staged)
    records = []
    for rec in patients.sort_values("patient_id").to_dict("records"):
        pid = str(rec["patient_id"])
        as_of = _date(rec["screening_date"])
        rows = staged_by.get(pid)
        # Assessments up to the end of screening (consent or screening date).
        end = rec["consent_date"] if pd.notna(rec["consent_date"]) else rec["screening_date"]
        # Without consent and screening dates (baseline form not entered) there is no end of
        # screening to stage and judge refractoriness at: both stay unknown (missing data).
        known = pd.notna(end)
        upto = None if rows is None or not known else rows[rows["assessment_date"] <= end]
        stages = upto.iloc[-1]["stages"] if upto is not None and len(upto) else None
        refractory = False
        course = None
        if known:
            course, _ = _steroid_course(
                doses_by.get(pid), rows, float(rec["weight_kg"]), _date(end) or as_of
            )
        if course is not None:
            refractory = steroid_refractory_category(
                course,
                definition=rules.config(pid).refractoriness_definition,
                as_of=_date(end),
            ).refractory
        candidate = Candidate(
            age_years=int(rec["age_years"]),
            steroid_refractory=refractory,
            consent_signed=bool(pd.notna(rec["consent_date"])),
            stages=stages,
            days_enrolment_to_first_infusion=int(rec["days_enrolment_to_first_infusion"]),
            nyha_class=None if pd.isna(rec["nyha_class"]) else int(rec["nyha_class"]),
            creatinine_clearance_ml_min=(
                None
                if pd.isna(rec["creatinine_clearance_ml_min"])
                else float(rec["creatinine_clearance_ml_min"])
            ),
            **{f: bool(rec[f]) for f in SCREENING_FLAGS},
        )
        result = screen(candidate, rules.eligibility_for(pid))
        records.append(
            {
                "patient_id": pid,
                "eligible": result.eligible,
                "failure_codes": ";".join(result.codes),
                "failure_reasons": "; ".join(str(f) for f in result.failures),
                "assessable": bool(known and stages is not None and course is not None),
            }
        )
    return pd.DataFrame.from_records(
        records,
        columns=["patient_id", "eligible", "failure_codes", "failure_reasons", "assessable"],
    )


# ---------------------------------------------------------------------------------------------
# Adverse events (ADAE)
# ---------------------------------------------------------------------------------------------

_GROUP_OF_LABEL: Final = {p.display: p.group for p in ctcae.TABLE3_TERMS}
TABLE3_ORDER: Final = tuple(p.display for p in ctcae.TABLE3_TERMS)


def derive_adverse_events(
    adverse_events: pd.DataFrame, adsl: pd.DataFrame, config: AnalysisConfig
) -> pd.DataFrame:
    """The AE analysis dataset: each AE of a safety-set patient with its Table 3 label.

    ``label`` is the paper's Table 3 row (:func:`gvhdtrial.data.ctcae.table3_label`), else the
    verbatim ``term_specify`` or the CTCAE term; ``in_window``: onset within
    ``config.ae_window_days`` of randomization (or the first infusion); ``infusion_toxicity``:
    an infusion-related AE with onset from the first infusion to 14 days after the last.
    """
    keep = [
        "patient_id",
        "arm_received",
        "safety",
        "randomization_date",
        "first_infusion_date",
        "last_infusion_date",
    ]
    ae = adverse_events.merge(adsl[keep], on="patient_id", how="inner")
    ae = ae[ae["safety"]].copy()
    anchor = (
        ae["randomization_date"]
        if config.ae_anchor == "randomization"
        else ae["first_infusion_date"]
    )
    ae["onset_day"] = (ae["onset_date"] - anchor).dt.days
    ae["in_window"] = ae["onset_day"] <= config.ae_window_days
    labels = []
    for term, specify in zip(ae["term"], ae["term_specify"], strict=True):
        spec = None if pd.isna(specify) else str(specify)
        label = ctcae.table3_label(str(term), spec)
        labels.append(label if label is not None else (spec or str(term)))
    ae["label"] = labels
    ae["group"] = [_GROUP_OF_LABEL.get(lab, "") for lab in labels]
    limit = ae["last_infusion_date"] + pd.Timedelta(days=config.infusion_toxicity_days)
    ae["infusion_toxicity"] = (
        ae["infusion_related"].astype(bool)
        & (ae["onset_date"] >= ae["first_infusion_date"])
        & (ae["onset_date"] <= limit)
    )
    return ae.sort_values(["patient_id", "ae_id"]).reset_index(drop=True)
