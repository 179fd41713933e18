"""Sample size and power for comparing two rates in a group-sequential design, as rpact's
``getSampleSizeRates`` / ``getPowerRates`` (normal approximation, H0: pi1 = pi2).

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
The exact power of the analysis plan's own test rule is in ``gvhdtrial.design.exact``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from gvhdtrial.design._integration import exit_probabilities
from gvhdtrial.design.group_sequential import TrialDesign, group_sequential


@dataclass(frozen=True)
class RatesPlan:
    """Result of :func:`sample_size_rates` / :func:`power_rates` (rpact's names)."""

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

    @property
    def max_number_of_subjects1(self) -> float:
        r = self.allocation_ratio_planned
        return self.max_number_of_subjects * r / (1 + r)

    @property
    def max_number_of_subjects2(self) -> float:
        return self.max_number_of_subjects / (1 + self.allocation_ratio_planned)

    def summary(self) -> str:
        d = self.design
        lines = [
            f"Two rates: pi1 = {self.pi1:g}, pi2 = {self.pi2:g}, allocation "
            f"{self.allocation_ratio_planned:g}:1, {d.type_of_design}, K = {d.k_max}",
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


def _supported(normal_approximation: bool, theta_h0: float, groups: int) -> None:
    if normal_approximation is not True:
        raise ValueError("normal_approximation=False is not implemented (use exact_rates)")
    if theta_h0 != 0:
        raise ValueError(f"theta_h0 = {theta_h0}: only H0 pi1 - pi2 = 0 is implemented")
    if groups != 2:
        raise ValueError(f"groups = {groups}: only two groups are implemented")


def _check(pi1, pi2, r):
    for name, p in (("pi1", pi1), ("pi2", pi2)):
        if not 0 < p < 1:
            raise ValueError(f"{name} must be in (0, 1), got {p}")
    if pi1 == pi2:
        raise ValueError(f"pi1 and pi2 must differ (both {pi1})")
    if not r > 0:
        raise ValueError(f"allocation_ratio_planned must be > 0, got {r}")


def _stopping(
    design: TrialDesign, theta: float, both_sides: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look rejection (upper side, or both if two_sided_power) and all stops."""
    t = design.information_rates
    up, low = exit_probabilities(t, design.lower_bounds, design.critical_values, theta)
    if design.sided == 2:
        reject = up + low if (design.two_sided_power or both_sides) else up
        stop = up + low
        return reject, stop
    return up, up + low


def _expected_n(design: TrialDesign, n_max: float, theta: float) -> float:
    _, stop = _stopping(design, theta)
    t = design.information_rates
    p_stop = np.append(stop[:-1], 1.0 - stop[:-1].sum())
    return float(n_max * np.dot(t, p_stop))


def _plan(design, pi1, pi2, r, n_max, theta, n_fixed, both_sides=False) -> RatesPlan:
    theta_design = math.sqrt(design.shift)
    reject, _ = _stopping(design, theta, both_sides)
    up, low = exit_probabilities(
        design.information_rates, design.lower_bounds, design.critical_values, theta
    )
    futility = low[:-1] if design.sided == 1 else np.zeros(design.k_max - 1)
    early = float(up[:-1].sum() + low[:-1].sum())
    return RatesPlan(
        design=design,
        pi1=float(pi1),
        pi2=float(pi2),
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
    )


def sample_size_rates(
    design: TrialDesign | None = None,
    *,
    pi1: float,
    pi2: float,
    allocation_ratio_planned: float = 1.0,
    normal_approximation: bool = True,
    theta_h0: float = 0.0,
    groups: int = 2,
) -> RatesPlan:
    """Maximum total sample size for pi1 vs pi2 (rpact's ``getSampleSizeRates``, groups=2,
    normal approximation, theta_h0 = 0). ``design`` defaults to a fixed one-sided design
    at alpha 0.025, power 0.8. Other ``normal_approximation``, ``theta_h0`` and ``groups``
    than the defaults are refused (not implemented)."""
    _supported(normal_approximation, theta_h0, groups)
    design = design or group_sequential(k_max=1)
    r = float(allocation_ratio_planned)
    _check(pi1, pi2, r)
    s0, s1 = _sds(pi1, pi2, r)
    z_a = float(ndtri(1 - design.alpha / design.sided))
    z_b = float(ndtri(1 - design.beta))
    delta = abs(pi1 - pi2)
    n_fixed = (z_a * s0 + z_b * s1) ** 2 / delta**2
    n_max = n_fixed * design.inflation_factor
    return _plan(design, pi1, pi2, r, n_max, math.sqrt(design.shift), n_fixed)


def power_rates(
    design: TrialDesign | None = None,
    *,
    pi1: float,
    pi2: float,
    max_number_of_subjects: float,
    allocation_ratio_planned: float = 1.0,
    normal_approximation: bool = True,
    theta_h0: float = 0.0,
    groups: int = 2,
) -> RatesPlan:
    """Power and expected sample size at a given maximum total N (rpact's ``getPowerRates``)."""
    _supported(normal_approximation, theta_h0, groups)
    design = design or group_sequential(k_max=1)
    r = float(allocation_ratio_planned)
    _check(pi1, pi2, r)
    if not max_number_of_subjects > 0:
        raise ValueError(f"max_number_of_subjects must be > 0, got {max_number_of_subjects}")
    s0, s1 = _sds(pi1, pi2, r)
    z_a = float(ndtri(1 - design.alpha / design.sided))
    z_b = float(ndtri(1 - design.beta))
    delta = abs(pi1 - pi2)
    theta = (math.sqrt(max_number_of_subjects) * delta - z_a * s0) / s1 + z_a
    n_fixed = (z_a * s0 + z_b * s1) ** 2 / delta**2
    # rpact's power counts a rejection on either side of a two-sided design
    return _plan(design, pi1, pi2, r, float(max_number_of_subjects), theta, n_fixed, True)
