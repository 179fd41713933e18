"""Statistics engine of the analysis plan, validated against R (survival, cmprsk).

The public API is listed here; everything else in this package is private.
"""

# --- proportions, Table 1 tests, survival, Cox, logistic, selection; competing risks ---
from gvhdtrial.stats.cause_specific import cause_specific_cox
from gvhdtrial.stats.competing_risks import (
    CumincCurve,
    CumincPoints,
    CumincResult,
    GrayTestBatch,
    GrayTestResult,
    cuminc,
    gray_test,
    gray_test_batch,
)
from gvhdtrial.stats.cox import ConvergenceWarning, CoxResult, CoxZphResult, cox, cox_zph
from gvhdtrial.stats.fine_gray import (
    FineGrayPrediction,
    FineGrayResult,
    MonotoneLikelihoodError,
    fine_gray,
)
from gvhdtrial.stats.group_comparisons import TestResult, cmh_test, t_test, wilcoxon_rank_sum
from gvhdtrial.stats.proportions import ProportionComparison, compare_proportions, fisher_test
from gvhdtrial.stats.regression import LogisticResult, PerfectSeparationError, logistic
from gvhdtrial.stats.selection import SelectionResult, univariable_then_multivariable
from gvhdtrial.stats.survival import (
    KaplanMeier,
    KaplanMeierGroups,
    LogRank,
    SurvivalAt,
    kaplan_meier,
    logrank,
)

__all__: list[str] = []
__all__ += [
    "CumincCurve",
    "CumincPoints",
    "CumincResult",
    "FineGrayPrediction",
    "FineGrayResult",
    "GrayTestBatch",
    "GrayTestResult",
    "MonotoneLikelihoodError",
    "cause_specific_cox",
    "cuminc",
    "fine_gray",
    "gray_test",
    "gray_test_batch",
]
__all__ += [
    "ConvergenceWarning",
    "CoxResult",
    "CoxZphResult",
    "KaplanMeier",
    "KaplanMeierGroups",
    "LogRank",
    "LogisticResult",
    "PerfectSeparationError",
    "ProportionComparison",
    "SelectionResult",
    "SurvivalAt",
    "TestResult",
    "cmh_test",
    "compare_proportions",
    "cox",
    "cox_zph",
    "fisher_test",
    "kaplan_meier",
    "logistic",
    "logrank",
    "t_test",
    "univariable_then_multivariable",
    "wilcoxon_rank_sum",
]
