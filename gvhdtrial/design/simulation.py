"""Simulated and exact operating characteristics of a group-sequential trial of two rates.

``simulate_rates`` is rpact's ``getSimulationRates`` for a group-sequential design:
at each look k the cumulative responses of the two arms are compared by the z-test with
pooled variance,

    Z_k = (p1 - p2) / sqrt(p (1 - p) (1 / n1 + 1 / n2)),   p the pooled rate,

rejecting H0 when Z_k >= critical_values[k] (|Z_k| for two-sided designs) and stopping for
futility when Z_k < futility_bounds[k]. Trials are simulated in blocks of ``BLOCK`` trials,
block b drawing from the b-th child of ``SeedSequence(seed)``, vectorised with numpy: the
result depends on the seed and the number of iterations only, never on how the blocks are
shared out (``gvhdtrial.design.sweep`` runs them on Dask).

``exact_rates`` gives the same probabilities without simulation error, by enumerating every
count (x1, x2) at every look: the distribution of the counts among trials still running is
carried from look to look by the binomial laws of the two arms' new patients (separable, so
each look is two matrix products).

``conditional_power`` and ``predictive_power`` at an interim look use the canonical joint
distribution (Jennison & Turnbull 2000, ch. 10; Spiegelhalter, Freedman & Blackburn,
Control Clin Trials 1986;7:8-17): conditional on Z_k = z the remaining increments are
Brownian with the drift theta, and the predictive version averages over the posterior
theta ~ N(z / sqrt(t_k), 1 / t_k) of a flat prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import roots_hermitenorm
from scipy.stats import binom

from gvhdtrial.design._integration import exit_probabilities
from gvhdtrial.design.group_sequential import TrialDesign

#: trials per simulation block (one child seed each)
BLOCK = 100_000


@dataclass(frozen=True)
class RatesSimulation:
    """Operating characteristics of :func:`simulate_rates` / :func:`exact_rates`."""

    design: TrialDesign
    pi1: float
    pi2: float
    planned_subjects: np.ndarray  # cumulative total per look
    iterations: int  # 0 for the exact computation
    reject_per_stage: np.ndarray
    futility_per_stage: np.ndarray  # looks 1..K-1
    expected_number_of_subjects: float

    @property
    def overall_reject(self) -> float:
        return float(self.reject_per_stage.sum())

    @property
    def early_stop(self) -> float:
        return float(self.reject_per_stage[:-1].sum() + self.futility_per_stage.sum())

    @property
    def overall_reject_se(self) -> float:
        """Monte Carlo standard error of ``overall_reject`` (0 when exact)."""
        if self.iterations == 0:
            return 0.0
        p = self.overall_reject
        return math.sqrt(p * (1 - p) / self.iterations)


def _arm_sizes(planned_subjects, k_max: int, allocation_ratio_planned: float):
    n = np.asarray(planned_subjects, dtype=float)
    if n.shape != (k_max,) or np.any(np.diff(n) <= 0) or n[0] <= 0:
        raise ValueError(
            f"planned_subjects must be {k_max} increasing cumulative totals, got "
            f"{np.atleast_1d(n).tolist()}"
        )
    r = allocation_ratio_planned
    n1 = np.round(n * r / (1 + r)).astype(np.int64)
    n2 = np.round(n).astype(np.int64) - n1
    if np.any(n1 <= 0) or np.any(n2 <= 0) or np.any(np.diff(n1) < 0) or np.any(np.diff(n2) < 0):
        raise ValueError(f"planned_subjects {n.tolist()} leave an arm empty at a look")
    return n1, n2


def _z(x1, x2, n1, n2):
    """Pooled-variance z statistic; 0 where the pooled rate is 0 or 1 (no information)."""
    p1 = x1 / n1
    p2 = x2 / n2
    p = (x1 + x2) / (n1 + n2)
    v = p * (1 - p) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(v)
    return np.where(v > 0, z, 0.0)


def _decision_tables(design: TrialDesign, n1, n2) -> list[np.ndarray]:
    """For each look, a table over (x1, x2): 0 go on, 1 reject H0, 2 stop for futility (at
    the last look every table that does not reject is 2)."""
    tables = []
    k_max = design.k_max
    for k in range(k_max):
        x1, x2 = np.meshgrid(np.arange(n1[k] + 1), np.arange(n2[k] + 1), indexing="ij")
        z = _z(x1, x2, n1[k], n2[k])
        c = design.critical_values[k]
        rej = (np.abs(z) >= c) if design.sided == 2 else (z >= c)
        code = np.where(rej, 1, 0).astype(np.int8)
        if k == k_max - 1:
            code[~rej] = 2
        elif design.sided == 1:
            code[~rej & (z < design.futility_bounds[k])] = 2
        else:  # two-sided: futility inside the wedge |Z| < f (none where f <= 0)
            code[~rej & (np.abs(z) < design.futility_bounds[k])] = 2
        tables.append(code)
    return tables


class _BinomialSampler:
    """Exact inversion of the binomial CDF with a guide table (Chen & Asau, J Chin Inst Eng
    1974; Devroye, Non-Uniform Random Variate Generation, 1986, sec. III.2.4): one uniform
    per draw, a table look-up and on average less than one correction step."""

    def __init__(self, n: int, p: float):
        self.cdf = binom.cdf(np.arange(n + 1), n, p)
        self.cdf[-1] = 1.0
        self.m = max(4096, 16 * (n + 1))
        guide = np.searchsorted(self.cdf, np.arange(self.m) / self.m, side="right")
        self.guide = np.minimum(guide, n).astype(np.intp)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        x = self.guide[(u * self.m).astype(np.intp)]
        idx = np.flatnonzero(self.cdf[x] <= u)  # few: buckets that hold a CDF jump
        while idx.size:
            x[idx] += 1
            idx = idx[self.cdf[x[idx]] <= u[idx]]
        return x


def _simulate_block(design, n1, n2, pi1, pi2, size, seed_seq, tables=None):
    """Counts of (reject at look k, stop without rejecting at look k) among ``size`` trials."""
    rng = np.random.default_rng(seed_seq)
    k_max = design.k_max
    tables = tables or _decision_tables(design, n1, n2)
    d1 = np.diff(np.concatenate([[0], n1]))
    d2 = np.diff(np.concatenate([[0], n2]))
    u = rng.random((2 * k_max, size))
    codes = np.empty((k_max, size), dtype=np.int8)
    x1 = np.zeros(size, dtype=np.intp)
    x2 = np.zeros(size, dtype=np.intp)
    for k in range(k_max):
        x1 += _BinomialSampler(int(d1[k]), pi1)(u[2 * k])
        x2 += _BinomialSampler(int(d2[k]), pi2)(u[2 * k + 1])
        codes[k] = tables[k].ravel()[x1 * (n2[k] + 1) + x2]
    first = (codes != 0).argmax(axis=0)
    outcome = codes[first, np.arange(size)]
    reject_counts = np.bincount(first[outcome == 1], minlength=k_max)
    futility_counts = np.bincount(first[outcome == 2], minlength=k_max)
    return reject_counts, futility_counts


def block_plan(
    max_number_of_iterations: int, seed: int
) -> list[tuple[int, np.random.SeedSequence]]:
    """(size, child seed) of each block; the same list whatever runs the blocks."""
    if max_number_of_iterations <= 0:
        raise ValueError(f"max_number_of_iterations must be > 0, got {max_number_of_iterations}")
    n_blocks = -(-max_number_of_iterations // BLOCK)
    children = np.random.SeedSequence(seed).spawn(n_blocks)
    sizes = [BLOCK] * (n_blocks - 1) + [max_number_of_iterations - BLOCK * (n_blocks - 1)]
    return list(zip(sizes, children, strict=True))


def _result(design, pi1, pi2, n1, n2, iterations, reject, futility_all):
    total = n1 + n2
    stop = reject + futility_all
    return RatesSimulation(
        design=design,
        pi1=float(pi1),
        pi2=float(pi2),
        planned_subjects=total.astype(float),
        iterations=iterations,
        reject_per_stage=reject,
        futility_per_stage=futility_all[:-1],
        expected_number_of_subjects=float(np.dot(total, stop)),
    )


def simulate_rates(
    design: TrialDesign,
    *,
    pi1: float,
    pi2: float,
    planned_subjects,
    max_number_of_iterations: int = 1000,
    seed: int = 20240101,
    allocation_ratio_planned: float = 1.0,
    blocks=None,
) -> RatesSimulation:
    """Simulated rejection and futility probabilities per look (module docstring).

    ``blocks`` (a subset of :func:`block_plan`'s indices) is for the sweep runner.
    """
    for name, p in (("pi1", pi1), ("pi2", pi2)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be in [0, 1], got {p}")
    n1, n2 = _arm_sizes(planned_subjects, design.k_max, allocation_ratio_planned)
    plan = block_plan(max_number_of_iterations, seed)
    reject = np.zeros(design.k_max, dtype=np.int64)
    futility = np.zeros(design.k_max, dtype=np.int64)
    tables = _decision_tables(design, n1, n2)
    for b in range(len(plan)) if blocks is None else blocks:
        size, child = plan[b]
        r, f = _simulate_block(design, n1, n2, pi1, pi2, size, child, tables)
        reject += r
        futility += f
    n = max_number_of_iterations
    return _result(design, pi1, pi2, n1, n2, n, reject / n, futility / n)


def exact_rates(
    design: TrialDesign,
    *,
    pi1: float,
    pi2: float,
    planned_subjects,
    allocation_ratio_planned: float = 1.0,
) -> RatesSimulation:
    """The probabilities :func:`simulate_rates` estimates, by enumerating the counts."""
    n1, n2 = _arm_sizes(planned_subjects, design.k_max, allocation_ratio_planned)
    k_max = design.k_max
    reject = np.zeros(k_max)
    futility = np.zeros(k_max)
    tables = _decision_tables(design, n1, n2)
    prob = np.ones((1, 1))  # P(x1, x2 and still running) at the previous look
    prev1 = prev2 = 0
    for k in range(k_max):
        # transition matrices: T[i, j] = P(j responders by now | i before) for each arm
        m1 = binom.pmf(
            np.arange(n1[k] + 1)[None, :] - np.arange(prev1 + 1)[:, None], n1[k] - prev1, pi1
        )
        m2 = binom.pmf(
            np.arange(n2[k] + 1)[None, :] - np.arange(prev2 + 1)[:, None], n2[k] - prev2, pi2
        )
        prob = m1.T @ prob @ m2
        code = tables[k]
        reject[k] = prob[code == 1].sum()
        futility[k] = prob[code == 2].sum()
        prob = np.where(code == 0, prob, 0.0)
        prev1, prev2 = n1[k], n2[k]
    return _result(design, pi1, pi2, n1, n2, 0, reject, futility)


# --- interim decisions --------------------------------------------------------------------


def conditional_power(design: TrialDesign, stage: int, z: float, theta: float | None = None):
    """P(rejecting H0 at a later look | Z_stage = z), at drift ``theta`` (the expected
    z-statistic at full information; default the observed trend z / sqrt(t_stage)).

    ``stage`` is 1-based and must be an interim look. Rejection on the upper side.
    """
    k_max = design.k_max
    if not 1 <= stage < k_max:
        raise ValueError(f"stage must be an interim look 1..{k_max - 1}, got {stage}")
    t = design.information_rates
    tk = t[stage - 1]
    if theta is None:
        theta = z / math.sqrt(tk)
    rest = t[stage:]
    s = (rest - tk) / (1 - tk)  # information rates of the remaining increments
    scale = math.sqrt(1 - tk) * np.sqrt(s)

    def to_w(bound):
        return (bound * np.sqrt(rest) - z * math.sqrt(tk)) / scale

    if design.has_wedge:
        raise ValueError(
            "conditional power of a two-sided design with a futility wedge (beta spending or "
            "PT, sided=2) is not implemented"
        )
    upper = to_w(design.critical_values[stage:])
    if design.sided == 2:
        lower = to_w(-design.critical_values[stage:])
    else:
        lower = to_w(np.append(design.futility_bounds, -np.inf)[stage:])
    up, _ = exit_probabilities(s, lower, upper, theta * math.sqrt(1 - tk))
    return float(up.sum())


def predictive_power(design: TrialDesign, stage: int, z: float, nodes: int = 40) -> float:
    """Conditional power averaged over theta ~ N(z / sqrt(t), 1 / t) (flat prior)."""
    tk = design.information_rates[stage - 1]
    x, w = roots_hermitenorm(nodes)
    w = w / w.sum()
    mean, sd = z / math.sqrt(tk), 1 / math.sqrt(tk)
    return float(
        sum(
            wi * conditional_power(design, stage, z, mean + sd * xi)
            for xi, wi in zip(x, w, strict=True)
        )
    )
