"""Two proportions between arms: the analysis plan's test rule and the odds ratio.

The rule (docs/protocol.md section 8; the paper's "Statistical analysis": "the chi-square test,
or two-sided Fisher's exact test, was selected ... according to the total sample size and
minimum theoretical frequency"), in order, with N the total and E the smallest expected
cell count of the 2 x 2 table:

1. N >= 40 and E >= 5       -> Pearson chi-square without continuity correction;
2. N >= 40 and 1 <= E < 5   -> chi-square with Yates' continuity correction;
3. otherwise                -> Fisher's exact test, two-sided.

This reproduces every p-value of the paper's Table 2 (tests/stats/test_proportions.py).
The odds ratio has a Woolf (logit) 95 % confidence interval; a zero cell gets the
Haldane-Anscombe correction (0.5 added to every cell) for the odds ratio and its CI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from gvhdtrial.stats._exact_or import exact_odds_ratio
from gvhdtrial.stats._format import box, fmt_num, fmt_p
from gvhdtrial.stats.group_comparisons import TestResult

Test = Literal["pearson", "yates", "fisher"]

# The thresholds of the rule, in one place (docs/protocol.md section 8).
MIN_TOTAL_FOR_CHI_SQUARE = 40
MIN_EXPECTED_FOR_PEARSON = 5.0
MIN_EXPECTED_FOR_YATES = 1.0

_TEST_NAMES = {
    "pearson": "Pearson chi-square (no continuity correction)",
    "yates": "Chi-square with Yates' continuity correction",
    "fisher": "Fisher's exact test (two-sided)",
}


@dataclass(frozen=True)
class ProportionComparison:
    """Result of :func:`compare_proportions`. Group 1 is the experimental (MSC) arm."""

    x1: int
    n1: int
    x2: int
    n2: int
    test: Test
    rule_test: Test
    statistic: float
    p_value: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    conf_level: float
    haldane_corrected: bool
    min_expected: float

    @property
    def p1(self) -> float:
        return self.x1 / self.n1

    @property
    def p2(self) -> float:
        return self.x2 / self.n2

    @property
    def total(self) -> int:
        return self.n1 + self.n2

    def summary(self) -> str:
        pct = round(self.conf_level * 100)
        lines = [
            f"Group 1 (experimental): {self.x1}/{self.n1} = {100 * self.p1:.1f} %",
            f"Group 2 (control):      {self.x2}/{self.n2} = {100 * self.p2:.1f} %",
            f"N = {self.total}, smallest expected cell count = {self.min_expected:.2f}",
            f"Test: {_TEST_NAMES[self.test]}"
            + (
                ""
                if self.test == self.rule_test
                else f" (override; the rule gives {self.rule_test})"
            ),
        ]
        if self.test != "fisher":
            lines.append(f"Chi-square = {self.statistic:.4f}, df = 1, p = {fmt_p(self.p_value)}")
        else:
            lines.append(f"p = {fmt_p(self.p_value)}")
        lines.append(
            f"Odds ratio = {fmt_num(self.odds_ratio, 2)}, {pct} % CI (Woolf) "
            f"{fmt_num(self.ci_low, 2)} to {fmt_num(self.ci_high, 2)}"
        )
        if self.haldane_corrected:
            lines.append("Odds ratio and CI with Haldane-Anscombe correction (+0.5, a zero cell).")
        return box("Comparison of two proportions", lines)


def sap_rule(total: int, min_expected: float) -> Test:
    """The test the analysis plan prescribes for a 2 x 2 table (module docstring)."""
    if total >= MIN_TOTAL_FOR_CHI_SQUARE and min_expected >= MIN_EXPECTED_FOR_PEARSON:
        return "pearson"
    if total >= MIN_TOTAL_FOR_CHI_SQUARE and min_expected >= MIN_EXPECTED_FOR_YATES:
        return "yates"
    return "fisher"


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def compare_proportions(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    test: Test | None = None,
    conf_level: float = 0.95,
) -> ProportionComparison:
    """Compare x1/n1 (experimental arm) with x2/n2 (control) by the analysis plan's rule.

    ``test`` overrides the rule ("pearson", "yates" or "fisher"); the paper used Pearson
    once where the rule gives Fisher (grade III, ORR at day 28). The odds ratio is
    (x1/(n1-x1)) / (x2/(n2-x2)) with a Woolf (logit) CI.

    >>> res = compare_proportions(12, 20, 6, 20)
    >>> res.test, round(res.p_value, 4)
    ('pearson', 0.0565)
    """
    x1, n1, x2, n2 = (
        _check_count(k, v) for k, v in (("x1", x1), ("n1", n1), ("x2", x2), ("n2", n2))
    )
    for name, n in (("n1", n1), ("n2", n2)):
        if n <= 0:
            raise ValueError(f"{name} must be > 0, got {n}")
    for name, x, nname, n in (("x1", x1, "n1", n1), ("x2", x2, "n2", n2)):
        if not 0 <= x <= n:
            raise ValueError(f"{name} must satisfy 0 <= {name} <= {nname} = {n}, got {x}")
    if test is not None and test not in _TEST_NAMES:
        raise ValueError(f"test must be one of {sorted(_TEST_NAMES)} or None, got {test!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")

    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    total = n1 + n2
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    min_expected = float(expected.min())
    rule_test = sap_rule(total, min_expected)
    chosen: Test = test or rule_test

    if chosen == "fisher":
        statistic = math.nan
        p_value = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    elif min_expected == 0:
        # A whole row or column is empty: chi-square is undefined, and R returns NaN.
        raise ValueError(
            f"chi-square test undefined: a margin is zero ({x1}/{n1} vs {x2}/{n2}); "
            "use test='fisher'"
        )
    else:
        res = stats.chi2_contingency(table, correction=chosen == "yates")
        statistic, p_value = float(res.statistic), float(res.pvalue)

    a, b, c, d = table.ravel()
    haldane = bool((table == 0).any())
    if haldane:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    return ProportionComparison(
        x1=x1,
        n1=n1,
        x2=x2,
        n2=n2,
        test=chosen,
        rule_test=rule_test,
        statistic=statistic,
        p_value=p_value,
        odds_ratio=math.exp(log_or),
        ci_low=math.exp(log_or - z * se),
        ci_high=math.exp(log_or + z * se),
        conf_level=conf_level,
        haldane_corrected=haldane,
        min_expected=min_expected,
    )


def fisher_test(table: object, *, conf_level: float = 0.95) -> TestResult:
    """Fisher's exact test of a 2 x 2 table with the conditional maximum likelihood odds
    ratio and its exact confidence interval, as R's ``fisher.test(table)``.

    The odds ratio is (table[0, 0] table[1, 1]) / (table[0, 1] table[1, 0]) in direction;
    the estimate is the conditional MLE (not the sample odds ratio), the CI inverts the
    two one-sided exact tests (see ``gvhdtrial.stats._exact_or``).

    >>> res = fisher_test([[3, 1], [1, 3]])
    >>> round(res.p_value, 4), round(res.estimate, 4)
    (0.4857, 6.4083)
    """
    arr = np.asarray(table, dtype=float)
    if arr.shape != (2, 2):
        raise ValueError(f"table must be 2 x 2, got shape {arr.shape}")
    if (arr < 0).any() or not np.all(arr == np.round(arr)):
        raise ValueError("table must hold non-negative whole-number counts")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    est, low, high, p_value = exact_odds_ratio(arr[:, :, None], conf_level)
    return TestResult(
        method="Fisher's exact test (two-sided)",
        statistic=float(arr[0, 0]),
        p_value=p_value,
        estimate=est,
        ci_low=low,
        ci_high=high,
        conf_level=conf_level,
        statistic_name="x[1, 1]",
        note="Estimate: conditional maximum likelihood odds ratio, exact CI.",
    )
