"""The analysis choices: the paper's by default, every alternative named and recorded.

docs/protocol.md marks several rules *configurable*; so are the places where the paper is silent
(which assessment is "the d28 visit", what a missing visit counts as). An
:class:`AnalysisConfig` holds them all; :meth:`AnalysisConfig.as_dict` is written into the
results (``AnalysisResults.config``) so that every table says how it was made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from gvhdtrial.protocol.response import DCR_MIN_DURATION_DAYS, DCR_ONSET_WITHIN_DAYS
from gvhdtrial.protocol.treatment import PLANNED_INFUSIONS

PerProtocolReading = Literal["literal", "strict"]
ResponseOrigin = Literal["randomization", "first_infusion"]
BinaryPosthocModel = Literal["logistic", "cox"]
ContinuousTest = Literal["wilcoxon", "t"]
KmConfType = Literal["log", "log-log", "plain"]
AeAnchor = Literal["randomization", "first_infusion"]


@dataclass(frozen=True)
class AnalysisConfig:
    """Every choice the analysis makes (defaults = the paper's, see each comment)."""

    # Protocol engine rule sets (docs/protocol.md sections 1, 3, 5).
    grading_system: Literal["magic", "glucksberg"] = "magic"
    lower_gi_rule: Literal["volume_first", "episodes_first", "worst"] = "volume_first"
    refractoriness_definition: Literal["paper", "ebmt_nih_cibmtr_2018", "reach"] = "paper"
    response_rules: Literal["paper", "cibmtr"] = "paper"

    # Response visits: the assessment nearest the target study day (d0 = randomization) within
    # +/- window days (docs/protocol.md section 4: +/- 3 days for scheduled visits); on a tie the
    # earlier assessment. No assessment in the window -> non-responder (NR) imputation.
    response_visits: dict[str, int] = field(default_factory=lambda: {"D28": 28, "D56": 56})
    response_window_days: int = 3

    # Durable CR (paper, Methods: Endpoints): CR >= 28 days reached within 100 days of the
    # first infusion.
    dcr_min_duration_days: int = DCR_MIN_DURATION_DAYS
    dcr_within_days: int = DCR_ONSET_WITHIN_DAYS

    # Time to first response is counted from randomization (d0) by default.
    response_time_origin: ResponseOrigin = "randomization"

    # Per-protocol set (docs/protocol.md section 10): "literal" = ITT minus those who received < 8
    # infusions (a patient with 8 infusions who then left before d28 stays in, as a
    # non-responder); "strict" = also minus everyone who discontinued before d28.
    per_protocol: PerProtocolReading = "literal"
    pp_min_infusions: int = PLANNED_INFUSIONS

    # Time to event: time zero = randomization; months = days / 30.4375 (365.25 / 12).
    days_per_month: float = 30.4375
    horizon_months: float = 24.0
    at_risk_months: tuple[int, ...] = (0, 6, 12, 18, 24, 30, 36)
    km_conf_type: KmConfType = "log-log"  # EZR/survfit option used for the paper's OS CIs
    conf_level: float = 0.95
    # FFS: the paper treats chronic GVHD onset (before failure) as a competing event.
    ffs_cgvhd_competing: bool = True

    # Safety: AEs with onset within 180 days of randomization (paper, Methods: Endpoints);
    # infusion toxicity within 14 days of the last infusion.
    ae_window_days: int = 180
    ae_anchor: AeAnchor = "randomization"
    infusion_toxicity_days: int = 14

    # Table 1 p-values: continuous variables by Wilcoxon rank-sum (or t-test); categorical by
    # the SAP's chi-square/Fisher rule; ordered categories (grade, number of organs) by
    # Wilcoxon rank-sum.
    table1_continuous_test: ContinuousTest = "wilcoxon"

    # Post-hoc selection (Tables S1/S3, S5/S6): univariable screen at p < 0.1, then one
    # multivariable model. The paper says Cox regression for the binary response endpoints;
    # the default here is logistic regression (a response is not a time to event).
    posthoc_threshold: float = 0.1
    posthoc_binary_model: BinaryPosthocModel = "logistic"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every choice (tuples as lists)."""
        out = asdict(self)
        out["at_risk_months"] = list(self.at_risk_months)
        out["response_visits"] = dict(self.response_visits)
        return out


DEFAULT_CONFIG = AnalysisConfig()
