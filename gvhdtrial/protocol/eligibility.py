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

from gvhdtrial.i18n import N_
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


@dataclass(frozen=True)
class EligibilityRules:
    """Which criteria a trial applies and their thresholds (the trial definition's
    ``[eligibility]``; the defaults are the phase 2 trial's, paper, Methods: Patients).

    ``required_organs``: organs of which at least one must be involved at screening (criterion
    I2e; e.g. ``("gut",)`` for a gut-involvement trial; upper or lower GI counts as gut).
    """

    criteria: tuple[str, ...] = (
        "I1", "I2a", "I2b", "I2c", "I2d", "I3", "I4", "E1a", "E1b", "E1c", "E1d", "E1e",
        "E1f", "E1g", "E1h", "E2a", "E2b", "E3", "E4", "E5",
    )  # fmt: skip
    min_age_years: int = MIN_AGE_YEARS
    max_age_years: int = MAX_AGE_YEARS
    min_grade: int = MIN_MAGIC_GRADE
    max_days_enrolment_to_first_infusion: int = MAX_DAYS_ENROLMENT_TO_FIRST_INFUSION
    min_creatinine_clearance_ml_min: float = MIN_CREATININE_CLEARANCE_ML_MIN
    excluded_nyha_classes: tuple[int, ...] = SEVERE_HEART_FAILURE_NYHA
    required_organs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        known = {c.code for c in ELIGIBILITY_CRITERIA}
        unknown = [c for c in self.criteria if c not in known]
        if unknown:
            raise ValueError(f"criteria: {unknown} unknown; expected codes of {sorted(known)}")
        if self.min_age_years > self.max_age_years:
            raise ValueError(
                f"min_age_years: {self.min_age_years} > max_age_years {self.max_age_years}"
            )
        if self.min_grade not in (1, 2, 3, 4):
            raise ValueError(f"min_grade: {self.min_grade!r}; expected a grade 1-4")
        bad = [o for o in self.required_organs if o not in ("skin", "liver", "gut")]
        if bad:
            raise ValueError(f"required_organs: {bad}; expected some of skin, liver, gut")
        if self.required_organs and "I2e" not in self.criteria:
            raise ValueError("required_organs needs criterion I2e in criteria")

    def describe(self, template: str) -> str:
        """A criterion's description with this trial's thresholds filled in."""
        return template.format(
            min_age=self.min_age_years,
            max_age=self.max_age_years,
            min_grade=ROMAN_GRADE[self.min_grade],
            max_days=self.max_days_enrolment_to_first_infusion,
            min_crcl=f"{self.min_creatinine_clearance_ml_min:g}",
            nyha="-".join(ROMAN_GRADE[n] for n in sorted(self.excluded_nyha_classes)) or "none",
            organs=" or ".join(self.required_organs) or "any organ",
        )


class Criterion(NamedTuple):
    """One row of the eligibility table: code, what it requires (a template filled in by
    :meth:`EligibilityRules.describe`), and its check."""

    code: str
    description: str
    failure_reason: Callable[[Candidate, EligibilityRules], str | None]


def _grade_failure(candidate: Candidate, rules: EligibilityRules) -> str | None:
    grade = candidate.magic_grade
    if grade is None:
        return N_("aGVHD grade not recorded (give organ stages or the MAGIC grade)")
    if grade < rules.min_grade:
        return N_("MAGIC grade %(grade)s; grade %(min)s-IV required") % {
            "grade": ROMAN_GRADE[grade],
            "min": ROMAN_GRADE[rules.min_grade],
        }
    return None


def _creatinine_clearance_failure(candidate: Candidate, rules: EligibilityRules) -> str | None:
    clearance = candidate.creatinine_clearance_ml_min
    minimum = rules.min_creatinine_clearance_ml_min
    if clearance is None or clearance >= minimum:
        return None
    return N_("creatinine clearance %(crcl)s mL/min; >= %(min)s mL/min required") % {
        "crcl": f"{clearance:g}",
        "min": f"{minimum:g}",
    }


def _organ_failure(candidate: Candidate, rules: EligibilityRules) -> str | None:
    if not rules.required_organs:
        return None
    if candidate.stages is None:
        return N_("organ stages not recorded")
    stages = candidate.stages
    involved = {"skin": stages.skin > 0, "liver": stages.liver > 0, "gut": stages.gut > 0}
    if any(involved[o] for o in rules.required_organs):
        return None
    return N_("no %(organs)s involvement") % {"organs": " or ".join(rules.required_organs)}


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
        N_("age {min_age}-{max_age}"),
        lambda c, r: _when(
            not r.min_age_years <= c.age_years <= r.max_age_years,
            N_("age %(age)s; %(min)s-%(max)s years required")
            % {"age": c.age_years, "min": r.min_age_years, "max": r.max_age_years},
        ),
    ),
    Criterion(
        "I2a",
        N_("haematologic malignancy"),
        lambda c, r: _when(not c.haematologic_malignancy, N_("no haematologic malignancy")),
    ),
    Criterion(
        "I2b",
        N_("first allogeneic HSCT"),
        lambda c, r: _when(not c.first_allo_hsct, N_("not the first allogeneic HSCT")),
    ),
    Criterion(
        "I2c",
        N_("steroid-refractory aGVHD"),
        lambda c, r: _when(not c.steroid_refractory, N_("aGVHD is not steroid-refractory")),
    ),
    Criterion("I2d", N_("aGVHD grade {min_grade}-IV"), _grade_failure),
    Criterion("I2e", N_("{organs} involvement"), _organ_failure),
    Criterion(
        "I3",
        N_("trial agent within {max_days} days of enrolment"),
        lambda c, r: _when(
            c.days_enrolment_to_first_infusion > r.max_days_enrolment_to_first_infusion,
            N_("first infusion planned %(days)s days after enrolment; at most %(max)s allowed")
            % {
                "days": c.days_enrolment_to_first_infusion,
                "max": r.max_days_enrolment_to_first_infusion,
            },
        ),
    ),
    Criterion(
        "I4",
        N_("written informed consent"),
        lambda c, r: _when(not c.consent_signed, N_("written informed consent not signed")),
    ),
    Criterion(
        "E1a",
        N_("uncontrolled infection"),
        lambda c, r: _when(
            c.uncontrolled_infection, N_("uncontrolled infection in the last 6 months")
        ),
    ),
    Criterion(
        "E1b",
        N_("pulmonary arterial hypertension"),
        lambda c, r: _when(
            c.pulmonary_arterial_hypertension, N_("pulmonary arterial hypertension")
        ),
    ),
    Criterion(
        "E1c",
        N_("heart failure NYHA {nyha}"),
        lambda c, r: _when(
            c.nyha_class in r.excluded_nyha_classes,
            N_("heart failure NYHA class %(nyha)s") % {"nyha": c.nyha_class},
        ),
    ),
    Criterion(
        "E1d",
        N_("acute myocardial infarction"),
        lambda c, r: _when(c.acute_myocardial_infarction, N_("acute myocardial infarction")),
    ),
    Criterion(
        "E1e",
        N_("refractory hypertension"),
        lambda c, r: _when(c.refractory_hypertension, N_("refractory hypertension")),
    ),
    Criterion(
        "E1f",
        N_("creatinine clearance < {min_crcl} mL/min"),
        _creatinine_clearance_failure,
    ),
    Criterion(
        "E1g",
        N_("severe hepatic VOD/SOS"),
        lambda c, r: _when(c.severe_vod_sos, N_("severe veno-occlusive disease / SOS")),
    ),
    Criterion(
        "E1h",
        N_("other life-threatening or interfering condition"),
        lambda c, r: _when(
            c.other_life_threatening_condition,
            N_("other life-threatening condition or one interfering with trial evaluation"),
        ),
    ),
    Criterion(
        "E2a",
        N_("gut transplant-associated thrombotic microangiopathy"),
        lambda c, r: _when(c.gut_ta_tma, N_("gut TA-TMA")),
    ),
    Criterion(
        "E2b",
        N_("gastrointestinal infection"),
        lambda c, r: _when(c.gi_infection, N_("gastrointestinal infection")),
    ),
    Criterion(
        "E3",
        N_("active malignant solid tumour within 5 years"),
        lambda c, r: _when(
            c.active_solid_tumour_within_5_years,
            N_("active malignant solid tumour within the last 5 years"),
        ),
    ),
    Criterion(
        "E4",
        N_("severe allergy to blood products or allogeneic proteins"),
        lambda c, r: _when(
            c.severe_allergy_to_blood_products,
            N_("history of severe allergy to blood products or allogeneic proteins"),
        ),
    ),
    Criterion(
        "E5",
        N_("mental or neurological disorder"),
        lambda c, r: _when(
            c.mental_or_neurological_disorder, N_("mental or neurological disorder")
        ),
    ),
)


PHASE2_ELIGIBILITY: Final = EligibilityRules()


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


def screen(candidate: Candidate, rules: EligibilityRules | None = None) -> Eligibility:
    """Check every inclusion and exclusion criterion the trial applies (default: the phase 2
    trial's, paper, Methods: Patients).

    Returns every failed criterion, in the order of ``ELIGIBILITY_CRITERIA``, not only the first.
    """
    if not isinstance(candidate, Candidate):
        raise ValueError(f"candidate: {candidate!r} is not a Candidate")
    rules = PHASE2_ELIGIBILITY if rules is None else rules
    failures = []
    for criterion in ELIGIBILITY_CRITERIA:
        if criterion.code not in rules.criteria:
            continue
        reason = criterion.failure_reason(candidate, rules)
        if reason is not None:
            description = rules.describe(criterion.description)
            failures.append(EligibilityFailure(criterion.code, description, reason))
    notes = (
        ("I2: aGVHD after donor lymphocyte infusion, allowed by the protocol",)
        if candidate.agvhd_after_dli
        else ()
    )
    return Eligibility(tuple(failures), notes)
