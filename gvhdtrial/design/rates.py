"""Sample size and power for rates in a group-sequential design, as rpact's
``getSampleSizeRates`` / ``getPowerRates`` (normal approximation; for one group also rpact's
exact binomial size).

With allocation ratio r = n1 / n2, total N, difference Delta = pi1 - pi2, the pooled rate
pi0 = (r pi1 + pi2) / (1 + r) and the per-subject standard deviations of the difference
under H0 and H1

    s0 = sqrt(pi0 (1 - pi0) (1 + r)^2 / r),
    s1 = sqrt((1 + r) (pi1 (1 - pi1) / r + pi2 (1 - pi2))),

the fixed-sample size is (Fleiss, Tytun & Ury, Biometrics 1980;36:343-6; Machin et al.,
Sample Size Tables for Clinical Studies, 3rd ed., ch. 3)

    n_fixed = (z_{1 - alpha / sided} s0 + z_{1 - beta} s1)^2 / Delta^2

and the group-sequential maximum is n_fixed times the design's inflation factor. For the
power at a given N the design is evaluated at the drift that makes the same formula hold,

    theta = (sqrt(N) |Delta| - z_{1 - alpha / sided} s0) / s1 + z_{1 - alpha / sided},

which is what rpact does (checked against rpact 3.3.4 to 1e-6, tests/design/test_rates.py).

Two further cases, as rpact: **one group** (``groups=1``: H0 pi1 = theta_h0, s0 =
sqrt(theta_h0 (1 - theta_h0)), s1 = sqrt(pi1 (1 - pi1)), Delta = pi1 - theta_h0) and **a margin**
(``groups=2``, H0: pi1 - pi2 = theta_h0 != 0, e.g. non-inferiority): s0 is taken at the rates
that maximise the likelihood under H0 given (pi1, pi2), the closed-form root of the cubic of
Farrington & Manning (Stat Med 1990;9:1447-54; Miettinen & Nurminen, Stat Med 1985;4:213-26),
and Delta = pi1 - pi2 - theta_h0. With theta_h0 = 0 that root is the pooled rate, the formula
above.

**Exact binomial size for one group** (``normal_approximation=False, groups=1``, one-sided, as
rpact). The test at size n is the exact binomial test of H0 pi = theta_h0 at level alpha: for
pi1 > theta_h0 it rejects when X > q, q the smallest count with P_H0(X > q) <= alpha; for
pi1 < theta_h0 when X <= c, c the largest count with P_H0(X <= c) < alpha (strictly: a tie
P_H0 = alpha counts as level alpha above and not below, as R's ``qbinom`` has it). Its power
P_pi1(reject) is a saw-tooth in n (Chernick & Liu, Am Stat 2002;56:149-55), so "the n where
the power reaches 1 - beta" is not one number. rpact 3.3.4 takes the one a search finds:
n = 2, 4, 8, ... doubled until the power is >= 1 - beta, then an integer bisection between 2
and that n (midpoint (lo + hi) / 2 rounded half to even; hi kept where the power is
>= 1 - beta, lo where not) until hi - lo <= 1; the size is hi. It is a size with power >=
1 - beta whose predecessor has less, not always the smallest such size (pi1 = 0.4 against
0.2, alpha 0.025, power 0.8: 44, where 41 already has power 0.822 and 42, 43 have less). This
rule was found from rpact as a black box (its source was not read): it gives rpact's size on
all 5,969 cases of a probe grid (alpha 0.01-0.1, beta 0.1-0.3, 23 rates each way, sizes 2 to
8,232), and the sequence of sizes at which rpact asks for the binomial power (observed by
tracing ``stats::pbinom``) on 300 of them. rpact reports that size as ``nFixed``; with several
looks the maximum is it times the inflation factor, and the per-look sizes and expected
sizes follow from the design as in the normal case (the exact test is not carried into the
looks). The fixtures hold 79 rpact cases (tests/design/test_rates.py): 20 rate pairs at
alpha / beta 0.025 / 0.2, 0.05 / 0.1 and 0.01 / 0.3, four ties, five group-sequential designs.

``normal_approximation=False`` is refused otherwise, as rpact refuses it, with the reason: rpact
has no exact power (``getPowerRates``) and no exact size for two groups or two-sided designs.
The exact operating characteristics at a chosen size are :mod:`gvhdtrial.design.simulation`'s
``exact_rates`` (group-sequential z-test) and :mod:`gvhdtrial.design.exact`'s ``sap_power``
(the analysis plan's own test rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import binom

from gvhdtrial.design.group_sequential import TrialDesign, group_sequential


@dataclass(frozen=True)
class RatesPlan:
    """Result of :func:`sample_size_rates` / :func:`power_rates` (rpact's names; ``pi2`` is
    nan with one group)."""

    design: TrialDesign
    pi1: float
    pi2: float
    allocation_ratio_planned: float
    n_fixed: float
    max_number_of_subjects: float
    number_of_subjects: np.ndarray  # cumulative, per look
    expected_number_of_subjects_h0: float
    expected_number_of_subjects_h01: float
    expected_number_of_subjects_h1: float
    expected_number_of_subjects: float  # at (pi1, pi2)
    overall_reject: float
    reject_per_stage: np.ndarray
    futility_per_stage: np.ndarray  # looks 1..K-1
    early_stop: float
    groups: int = 2
    theta_h0: float = 0.0

    @property
    def max_number_of_subjects1(self) -> float:
        r = self.allocation_ratio_planned
        return self.max_number_of_subjects * r / (1 + r)

    @property
    def max_number_of_subjects2(self) -> float:
        return self.max_number_of_subjects / (1 + self.allocation_ratio_planned)

    def summary(self) -> str:
        d = self.design
        what = (
            f"One rate: pi1 = {self.pi1:g} against H0 pi1 = {self.theta_h0:g}"
            if self.groups == 1
            else f"Two rates: pi1 = {self.pi1:g}, pi2 = {self.pi2:g}, allocation "
            f"{self.allocation_ratio_planned:g}:1"
            + (f", H0 pi1 - pi2 = {self.theta_h0:g}" if self.theta_h0 else "")
        )
        lines = [
            f"{what}, {d.type_of_design}, K = {d.k_max}",
            f"fixed-sample N = {self.n_fixed:.2f}; maximum N = {self.max_number_of_subjects:.2f}",
            f"cumulative N per look: {', '.join(f'{n:.1f}' for n in self.number_of_subjects)}",
            f"power {self.overall_reject:.4f}; expected N under H0 "
            f"{self.expected_number_of_subjects_h0:.1f}, under H1 "
            f"{self.expected_number_of_subjects_h1:.1f}",
        ]
        return "\n".join(lines)


def _sds(pi1: float, pi2: float, r: float) -> tuple[float, float]:
    pi0 = (r * pi1 + pi2) / (1 + r)
    s0 = math.sqrt(pi0 * (1 - pi0) * (1 + r) ** 2 / r)
    s1 = math.sqrt((1 + r) * (pi1 * (1 - pi1) / r + pi2 * (1 - pi2)))
    return s0, s1


def restricted_rates(pi1: float, pi2: float, theta_h0: float, r: float) -> tuple[float, float]:
    """The rates (p1, p2), p1 - p2 = theta_h0, that maximise the binomial likelihood of
    observed rates (pi1, pi2) with n1 / n2 = r: the root of Farrington & Manning's cubic
    (Stat Med 1990;9:1447-54, closed form of Miettinen & Nurminen 1985)."""
    th = 1.0 / r  # n2 / n1
    a = 1.0 + th
    b = -(1.0 + th + pi1 + th * pi2 + theta_h0 * (th + 2.0))
    c = theta_h0**2 + theta_h0 * (2.0 * pi1 + th + 1.0) + pi1 + th * pi2
    d = -pi1 * theta_h0 * (1.0 + theta_h0)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a**2) + d / (2.0 * a)
    u = math.copysign(math.sqrt(b**2 / (9.0 * a**2) - c / (3.0 * a)), v)
    w = (math.pi + math.acos(max(-1.0, min(1.0, v / u**3)))) / 3.0
    p1 = 2.0 * u * math.cos(w) - b / (3.0 * a)
    return p1, p1 - theta_h0


def _moments(
    pi1: float, pi2: float | None, r: float, theta_h0: float, groups: int
) -> tuple[float, float, float]:
    """(s0, s1, Delta): per-subject SDs under H0 and H1 and the difference from H0."""
    if groups == 1:
        s0 = math.sqrt(theta_h0 * (1 - theta_h0))
        return s0, math.sqrt(pi1 * (1 - pi1)), pi1 - theta_h0
    assert pi2 is not None
    if theta_h0 == 0:
        s0, s1 = _sds(pi1, pi2, r)
        return s0, s1, pi1 - pi2
    q1, q2 = restricted_rates(pi1, pi2, theta_h0, r)
    s0 = math.sqrt((1 + r) * (q1 * (1 - q1) / r + q2 * (1 - q2)))
    s1 = math.sqrt((1 + r) * (pi1 * (1 - pi1) / r + pi2 * (1 - pi2)))
    return s0, s1, pi1 - pi2 - theta_h0


def _margin_one_sided(design: TrialDesign, theta_h0: float, groups: int) -> None:
    if groups == 2 and theta_h0 != 0 and design.sided == 2:
        raise ValueError(
            f"theta_h0 = {theta_h0} with a two-sided design: as rpact, a margin (H0 pi1 - pi2 = "
            "theta_h0 != 0) is for one-sided designs only (sided=1)"
        )


def _check(
    pi1: float,
    pi2: float | None,
    r: float,
    normal_approximation: bool,
    theta_h0: float,
    groups: int,
) -> None:
    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 or 2, got {groups!r}")
    if not 0 < pi1 < 1:
        raise ValueError(f"pi1 must be in (0, 1), got {pi1}")
    if groups == 1:
        if pi2 is not None:
            raise ValueError("pi2 is for two groups; with groups=1 H0 is pi1 = theta_h0")
        if not 0 < theta_h0 < 1:
            raise ValueError(f"theta_h0 must be in (0, 1) with one group, got {theta_h0}")
        if pi1 == theta_h0:
            raise ValueError(f"pi1 must differ from theta_h0 (both {pi1})")
        return
    if pi2 is None or not 0 < pi2 < 1:
        raise ValueError(f"pi2 must be in (0, 1), got {pi2}")
    if not -1 < theta_h0 < 1:
        raise ValueError(f"theta_h0 (H0 pi1 - pi2) must be in (-1, 1), got {theta_h0}")
    if pi1 - pi2 == theta_h0:
        raise ValueError(
            f"pi1 - pi2 must differ from theta_h0 (pi1 = {pi1}, pi2 = {pi2}, theta_h0 = {theta_h0})"
        )
    if not r > 0:
        raise ValueError(f"allocation_ratio_planned must be > 0, got {r}")


def _refuse_exact(design: TrialDesign, groups: int, power: bool) -> None:
    """normal_approximation=False: refuse what rpact refuses, saying what is accepted (module
    doc); one group with a one-sided design passes (rpact's exact binomial size)."""
    if power:
        raise ValueError(
            "normal_approximation=False: power_rates is the normal approximation only, as "
            "rpact's getPowerRates (which has no such argument); accepted: "
            "normal_approximation=True. Exact power: gvhdtrial.design.exact_rates (the "
            "group-sequential z-test, every count enumerated) or sap_power (the analysis "
            "plan's test)"
        )
    if groups == 2:
        raise ValueError(
            "normal_approximation=False with groups=2: as rpact ('only normal approximation "
            "case is implemented for two groups'), accepted: normal_approximation=True"
        )
    if design.sided == 2:
        raise ValueError(
            "normal_approximation=False with a two-sided design: as rpact ('exact sample size "
            "calculation not available for two-sided testing'), accepted: sided=1 or "
            "normal_approximation=True"
        )


# ties P_H0 = alpha, computed in floating point, are decided as R's qbinom decides them
_TIE = 1e-9


def exact_binomial_power(n: int, pi1: float, theta_h0: float, alpha: float) -> float:
    """Power at pi1 of the one-sided exact binomial test of H0 pi = theta_h0 at level alpha
    with n subjects, in the direction of pi1 (module doc). The critical count is found from
    scipy's quantile and then stepped to the exact boundary (a few tail probabilities)."""
    if pi1 > theta_h0:  # reject X > q, q the smallest with P_H0(X > q) <= alpha

        def level(q: float) -> bool:
            return q >= n or float(binom.sf(q, n, theta_h0)) <= alpha * (1 + _TIE)

        q = min(max(float(binom.isf(alpha, n, theta_h0)), -1.0), float(n))
        while q > -1 and level(q - 1):
            q -= 1
        while not level(q):
            q += 1
        return float(binom.sf(q, n, pi1))

    # reject X <= c, c the largest with P_H0(X <= c) < alpha (-1: never)
    def below(c: float) -> bool:
        return c < 0 or float(binom.cdf(c, n, theta_h0)) < alpha * (1 - _TIE)

    c = min(max(float(binom.ppf(alpha, n, theta_h0)), -1.0), float(n))
    while c < n and below(c + 1):
        c += 1
    while not below(c):
        c -= 1
    return float(binom.cdf(c, n, pi1)) if c >= 0 else 0.0


def exact_binomial_size(pi1: float, theta_h0: float, alpha: float, beta: float) -> int:
    """rpact's exact one-group size (``normalApproximation = FALSE``): n doubled from 2 until
    the exact power reaches 1 - beta, then bisected between 2 and there, midpoints rounded half
    to even, keeping the end with enough power (module doc)."""

    def enough(n: int) -> bool:
        return exact_binomial_power(n, pi1, theta_h0, alpha) >= 1 - beta

    hi = 2
    while not enough(hi):
        hi *= 2
    lo = 2
    while hi - lo > 1:
        mid = round((lo + hi) / 2)  # Python's round is half to even, as R's
        if enough(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _stopping(
    design: TrialDesign, theta: float, both_sides: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look rejection (upper side, or both if two_sided_power) and all stops."""
    up, low, inner = design.exits(theta)
    if design.sided == 2:
        reject = up + low if (design.two_sided_power or both_sides) else up
        return reject, up + low + inner
    return up, up + low


def _expected_n(design: TrialDesign, n_max: float, theta: float) -> float:
    _, stop = _stopping(design, theta)
    t = design.information_rates
    p_stop = np.append(stop[:-1], 1.0 - stop[:-1].sum())
    return float(n_max * np.dot(t, p_stop))


def _plan(
    design: TrialDesign,
    pi1: float,
    pi2: float | None,
    r: float,
    n_max: float,
    theta: float,
    n_fixed: float,
    both_sides: bool = False,
    groups: int = 2,
    theta_h0: float = 0.0,
) -> RatesPlan:
    theta_design = math.sqrt(design.shift)
    reject, _ = _stopping(design, theta, both_sides)
    up, low, inner = design.exits(theta)
    futility = low[:-1] if design.sided == 1 else inner[:-1]
    early = float(up[:-1].sum() + low[:-1].sum() + inner[:-1].sum())
    return RatesPlan(
        design=design,
        pi1=float(pi1),
        pi2=float("nan") if pi2 is None else float(pi2),
        allocation_ratio_planned=float(r),
        n_fixed=float(n_fixed),
        max_number_of_subjects=float(n_max),
        number_of_subjects=n_max * design.information_rates,
        expected_number_of_subjects_h0=_expected_n(design, n_max, 0.0),
        expected_number_of_subjects_h01=_expected_n(design, n_max, theta_design / 2),
        expected_number_of_subjects_h1=_expected_n(design, n_max, theta_design),
        expected_number_of_subjects=_expected_n(design, n_max, theta),
        overall_reject=float(reject.sum()),
        reject_per_stage=reject,
        futility_per_stage=futility,
        early_stop=early,
        groups=groups,
        theta_h0=float(theta_h0),
    )


def sample_size_rates(
    design: TrialDesign | None = None,
    *,
    pi1: float,
    pi2: float | None = None,
    allocation_ratio_planned: float = 1.0,
    normal_approximation: bool = True,
    theta_h0: float = 0.0,
    groups: int = 2,
) -> RatesPlan:
    """Maximum total sample size (rpact's ``getSampleSizeRates``, normal approximation): two
    groups, H0 pi1 - pi2 = ``theta_h0`` (0, or a margin), or one group (``groups=1``, H0 pi1 =
    ``theta_h0``). With one group and a one-sided design, ``normal_approximation=False`` gives
    rpact's exact binomial size (module doc). ``design`` defaults to a fixed one-sided design
    at alpha 0.025, power 0.8."""
    design = design or group_sequential(k_max=1)
    r = float(allocation_ratio_planned)
    _check(pi1, pi2, r, normal_approximation, theta_h0, groups)
    _margin_one_sided(design, theta_h0, groups)
    if normal_approximation is not True:
        _refuse_exact(design, groups, power=False)
        n_fixed = float(exact_binomial_size(pi1, theta_h0, design.alpha, design.beta))
    else:
        s0, s1, delta = _moments(pi1, pi2, r, theta_h0, groups)
        z_a = float(ndtri(1 - design.alpha / design.sided))
        z_b = float(ndtri(1 - design.beta))
        n_fixed = (z_a * s0 + z_b * s1) ** 2 / delta**2
    # one look: the fixed size itself (the inflation factor is 1 up to rounding)
    n_max = n_fixed if design.k_max == 1 else n_fixed * design.inflation_factor
    return _plan(
        design, pi1, pi2, r, n_max, math.sqrt(design.shift), n_fixed,
        groups=groups, theta_h0=theta_h0,
    )  # fmt: skip


def power_rates(
    design: TrialDesign | None = None,
    *,
    pi1: float,
    pi2: float | None = None,
    max_number_of_subjects: float,
    allocation_ratio_planned: float = 1.0,
    normal_approximation: bool = True,
    theta_h0: float = 0.0,
    groups: int = 2,
) -> RatesPlan:
    """Power and expected sample size at a given maximum total N (rpact's ``getPowerRates``;
    the cases of :func:`sample_size_rates`)."""
    design = design or group_sequential(k_max=1)
    r = float(allocation_ratio_planned)
    _check(pi1, pi2, r, normal_approximation, theta_h0, groups)
    _margin_one_sided(design, theta_h0, groups)
    if normal_approximation is not True:
        _refuse_exact(design, groups, power=True)
    if not max_number_of_subjects > 0:
        raise ValueError(f"max_number_of_subjects must be > 0, got {max_number_of_subjects}")
    s0, s1, delta = _moments(pi1, pi2, r, theta_h0, groups)
    z_a = float(ndtri(1 - design.alpha / design.sided))
    z_b = float(ndtri(1 - design.beta))
    delta = abs(delta)
    theta = (math.sqrt(max_number_of_subjects) * delta - z_a * s0) / s1 + z_a
    n_fixed = (z_a * s0 + z_b * s1) ** 2 / delta**2
    # rpact's power counts a rejection on either side of a two-sided design
    return _plan(
        design, pi1, pi2, r, float(max_number_of_subjects), theta, n_fixed, True,
        groups=groups, theta_h0=theta_h0,
    )  # fmt: skip
