"""Eligibility screening (paper, Methods: Patients; docs/protocol.md section 2).

``screen`` checks every inclusion and exclusion criterion and returns every one that fails,
with its code and a readable reason, not only the first. The criteria are one table,
``ELIGIBILITY_CRITERIA``, in the paper's order; each row's check returns the reason it failed
or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Final, NamedTuple

from gvhdtrial.protocol._validation import require_bool, require_int, require_non_negative
from gvhdtrial.protocol.grading import ROMAN_GRADE, overall_grade
from gvhdtrial.protocol.staging import OrganStages

# Thresholds of the paper's criteria (Methods: Patients).
MIN_AGE_YEARS: Final = 13
MAX_AGE_YEARS: Final = 70
MIN_MAGIC_GRADE: Final = 2  # "SR-aGVHD above grade II" = grade II-IV (docs/protocol.md section 2)
MAX_DAYS_ENROLMENT_TO_FIRST_INFUSION: Final = 3
MIN_CREATININE_CLEARANCE_ML_MIN: Final = 30.0  # < 30 mL/min excludes
SEVERE_HEART_FAILURE_NYHA: Final = (3, 4)


@dataclass(frozen=True)
class Candidate:
    """What screening needs to know about a candidate (paper, Methods: Patients).

    Inclusion: ``age_years``, ``haematologic_malignancy``, ``first_allo_hsct``,
    ``steroid_refractory`` (e.g. ``steroid_refractory_category(...).refractory``), the aGVHD
    grade as MAGIC organ ``stages`` (preferred: the grade is derived) or ``agvhd_grade``,
    ``days_enrolment_to_first_infusion`` and ``consent_signed``. ``agvhd_after_dli`` marks aGVHD
    that began after a donor lymphocyte infusion; it is allowed and noted in the result.

    Exclusion (within the 6 months before enrolment for group 1): each item is a bool, except
    ``nyha_class`` (1-4, or None if no heart failure) and ``creatinine_clearance_ml_min``
    (None if not measured; < 30 mL/min excludes).
    """

    age_years: int
    haematologic_malignancy: bool
    first_allo_hsct: bool
    steroid_refractory: bool
    consent_signed: bool
    stages: OrganStages | None = None
    agvhd_grade: int | None = None
    agvhd_after_dli: bool = False
    days_enrolment_to_first_infusion: int = 0
    # Exclusion group 1: life-threatening or interfering conditions in the last 6 months.
    uncontrolled_infection: bool = False
    pulmonary_arterial_hypertension: bool = False
    nyha_class: int | None = None
    acute_myocardial_infarction: bool = False
    refractory_hypertension: bool = False
    creatinine_clearance_ml_min: float | None = None
    severe_vod_sos: bool = False
    other_life_threatening_condition: bool = False
    # Exclusion group 2.
    gut_ta_tma: bool = False
    gi_infection: bool = False
    # Exclusion groups 3-5.
    active_solid_tumour_within_5_years: bool = False
    severe_allergy_to_blood_products: bool = False
    mental_or_neurological_disorder: bool = False

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.type == "bool":
                require_bool(field.name, getattr(self, field.name))
        for name in ("age_years", "days_enrolment_to_first_infusion"):
            value = require_int(name, getattr(self, name), "a whole number >= 0")
            if value < 0:
                raise ValueError(f"{name}: {value!r} is negative; expected a whole number >= 0")
        if self.nyha_class is not None and self.nyha_class not in (1, 2, 3, 4):
            raise ValueError(f"nyha_class: {self.nyha_class!r} is not a NYHA class 1-4 or None")
        if self.creatinine_clearance_ml_min is not None:
            require_non_negative(
                "creatinine_clearance_ml_min",
                self.creatinine_clearance_ml_min,
                "a creatinine clearance >= 0 mL/min",
            )
        if self.stages is not None and not isinstance(self.stages, OrganStages):
            raise ValueError(f"stages: {self.stages!r} is not an OrganStages")
        if self.agvhd_grade is not None and self.agvhd_grade not in (0, 1, 2, 3, 4):
            raise ValueError(f"agvhd_grade: {self.agvhd_grade!r} is not a grade 0-4")
        if self.stages is not None and self.agvhd_grade is not None:
            derived = overall_grade(self.stages)
            if derived != self.agvhd_grade:
                raise ValueError(
                    f"agvhd_grade: {self.agvhd_grade!r} disagrees with MAGIC grade {derived} "
                    f"from stages {self.stages.as_dict()}; expected the derived grade or None"
                )

    @property
    def magic_grade(self) -> int | None:
        """MAGIC grade from the stages if given, else the recorded grade."""
        return overall_grade(self.stages) if self.stages is not None else self.agvhd_grade


class Criterion(NamedTuple):
    """One row of the eligibility table: code, what it requires, and its check."""

    code: str
    description: str
    failure_reason: Callable[[Candidate], str | None]


def _grade_failure(candidate: Candidate) -> str | None:
    grade = candidate.magic_grade
    if grade is None:
        return "aGVHD grade not recorded (give organ stages or the MAGIC grade)"
    if grade < MIN_MAGIC_GRADE:
        return f"MAGIC grade {ROMAN_GRADE[grade]}; grade II-IV required"
    return None


def _creatinine_clearance_failure(candidate: Candidate) -> str | None:
    clearance = candidate.creatinine_clearance_ml_min
    if clearance is None or clearance >= MIN_CREATININE_CLEARANCE_ML_MIN:
        return None
    minimum = MIN_CREATININE_CLEARANCE_ML_MIN
    return f"creatinine clearance {clearance:g} mL/min; >= {minimum:g} mL/min required"


def _when(condition: bool, reason: str) -> str | None:
    return reason if condition else None


# Inclusion (I) and exclusion (E) criteria in the paper's order (Methods: Patients).
# The yes/no facts recorded at screening, by their Candidate names. Refractoriness and consent
# are not among them: they are derived (from the steroid course, from the consent record).
_DERIVED_FLAGS: Final = ("steroid_refractory", "consent_signed")
SCREENING_FLAGS: Final[tuple[str, ...]] = tuple(
    f.name for f in fields(Candidate) if f.type == "bool" and f.name not in _DERIVED_FLAGS
)

ELIGIBILITY_CRITERIA: Final = (
    Criterion(
        "I1",
        "age 13-70",
        lambda c: _when(
            not MIN_AGE_YEARS <= c.age_years <= MAX_AGE_YEARS,
            f"age {c.age_years}; {MIN_AGE_YEARS}-{MAX_AGE_YEARS} years required",
        ),
    ),
    Criterion(
        "I2a",
        "haematologic malignancy",
        lambda c: _when(not c.haematologic_malignancy, "no haematologic malignancy"),
    ),
    Criterion(
        "I2b",
        "first allogeneic HSCT",
        lambda c: _when(not c.first_allo_hsct, "not the first allogeneic HSCT"),
    ),
    Criterion(
        "I2c",
        "steroid-refractory aGVHD",
        lambda c: _when(not c.steroid_refractory, "aGVHD is not steroid-refractory"),
    ),
    Criterion("I2d", "aGVHD grade II-IV", _grade_failure),
    Criterion(
        "I3",
        "trial agent within 3 days of enrolment",
        lambda c: _when(
            c.days_enrolment_to_first_infusion > MAX_DAYS_ENROLMENT_TO_FIRST_INFUSION,
            f"first infusion planned {c.days_enrolment_to_first_infusion} days after enrolment; "
            f"at most {MAX_DAYS_ENROLMENT_TO_FIRST_INFUSION} allowed",
        ),
    ),
    Criterion(
        "I4",
        "written informed consent",
        lambda c: _when(not c.consent_signed, "written informed consent not signed"),
    ),
    Criterion(
        "E1a",
        "uncontrolled infection",
        lambda c: _when(c.uncontrolled_infection, "uncontrolled infection in the last 6 months"),
    ),
    Criterion(
        "E1b",
        "pulmonary arterial hypertension",
        lambda c: _when(c.pulmonary_arterial_hypertension, "pulmonary arterial hypertension"),
    ),
    Criterion(
        "E1c",
        "heart failure NYHA III-IV",
        lambda c: _when(
            c.nyha_class in SEVERE_HEART_FAILURE_NYHA,
            f"heart failure NYHA class {c.nyha_class}",
        ),
    ),
    Criterion(
        "E1d",
        "acute myocardial infarction",
        lambda c: _when(c.acute_myocardial_infarction, "acute myocardial infarction"),
    ),
    Criterion(
        "E1e",
        "refractory hypertension",
        lambda c: _when(c.refractory_hypertension, "refractory hypertension"),
    ),
    Criterion(
        "E1f",
        "creatinine clearance < 30 mL/min",
        _creatinine_clearance_failure,
    ),
    Criterion(
        "E1g",
        "severe hepatic VOD/SOS",
        lambda c: _when(c.severe_vod_sos, "severe veno-occlusive disease / SOS"),
    ),
    Criterion(
        "E1h",
        "other life-threatening or interfering condition",
        lambda c: _when(
            c.other_life_threatening_condition,
            "other life-threatening condition or one interfering with trial evaluation",
        ),
    ),
    Criterion(
        "E2a",
        "gut transplant-associated thrombotic microangiopathy",
        lambda c: _when(c.gut_ta_tma, "gut TA-TMA"),
    ),
    Criterion(
        "E2b",
        "gastrointestinal infection",
        lambda c: _when(c.gi_infection, "gastrointestinal infection"),
    ),
    Criterion(
        "E3",
        "active malignant solid tumour within 5 years",
        lambda c: _when(
            c.active_solid_tumour_within_5_years,
            "active malignant solid tumour within the last 5 years",
        ),
    ),
    Criterion(
        "E4",
        "severe allergy to blood products or allogeneic proteins",
        lambda c: _when(
            c.severe_allergy_to_blood_products,
            "history of severe allergy to blood products or allogeneic proteins",
        ),
    ),
    Criterion(
        "E5",
        "mental or neurological disorder",
        lambda c: _when(c.mental_or_neurological_disorder, "mental or neurological disorder"),
    ),
)


@dataclass(frozen=True)
class EligibilityFailure:
    """A failed criterion: its code (e.g. "E1b"), what it requires and why it failed."""

    code: str
    criterion: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code} {self.criterion}: {self.reason}"


@dataclass(frozen=True)
class Eligibility:
    """Screening result: every failed criterion, plus notes that do not exclude."""

    failures: tuple[EligibilityFailure, ...]
    notes: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """True when no criterion failed."""
        return not self.failures

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes of the failed criteria, in table order."""
        return tuple(failure.code for failure in self.failures)


def screen(candidate: Candidate) -> Eligibility:
    """Check every inclusion and exclusion criterion (paper, Methods: Patients).

    Returns every failed criterion, in the order of ``ELIGIBILITY_CRITERIA``, not only the first.
    """
    if not isinstance(candidate, Candidate):
        raise ValueError(f"candidate: {candidate!r} is not a Candidate")
    failures = []
    for criterion in ELIGIBILITY_CRITERIA:
        reason = criterion.failure_reason(candidate)
        if reason is not None:
            failures.append(EligibilityFailure(criterion.code, criterion.description, reason))
    notes = (
        ("I2: aGVHD after donor lymphocyte infusion, allowed by the protocol",)
        if candidate.agvhd_after_dli
        else ()
    )
    return Eligibility(tuple(failures), notes)
