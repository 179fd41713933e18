"""Exit probabilities of a group-sequential test by recursive numerical integration.

Armitage, McPherson & Rowe (J R Stat Soc A 1969;132:235-44) and Jennison & Turnbull
(Group Sequential Methods with Applications to Clinical Trials, 2000, ch. 19): with
information rates t_1 < ... < t_K (t_K = 1) and drift theta (the expected z-statistic at
full information), the z-statistics Z_k have the canonical joint distribution

    Z_k sqrt(t_k) = Z_{k-1} sqrt(t_{k-1}) + theta (t_k - t_{k-1}) + sqrt(t_k - t_{k-1}) e_k,

e_k independent N(0, 1). The trial continues past look k while l_k < Z_k < u_k. The
sub-density of Z_k on the continuation region, g_k, is carried from look to look on
composite Gauss-Legendre nodes; the probability of leaving across u_k (or l_k) at look k is a
one-dimensional integral of g_{k-1} against the normal tail. The grid of look k covers
(l_k, u_k) intersected with theta sqrt(t_k) +- 8 (the marginal sd is 1, so the part cut
off is below 1e-15) with panels no wider than half the standard deviation of the
look-to-look transition, and a panel count that changes only in steps, so that the
probabilities are smooth functions of the bounds (root finding converges cleanly).

This module is written from the papers; no code of rpact or gsDesign was read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

#: half-width of the grid around the mean of Z_k, in standard deviations
TAIL = 8.0
#: panel width of the composite Gauss-Legendre rule, as a fraction of the scale of the
#: integrand (the standard deviation of the look-to-look transition, at most 1)
PANEL = 0.5
_GL_X, _GL_W = np.polynomial.legendre.leggauss(6)

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


@dataclass(frozen=True)
class Grid:
    """Sub-density of Z_k on the continuation region of look k, times the Simpson weights."""

    z: np.ndarray
    wg: np.ndarray  # weight * density at each grid point
    t: float


def _nodes(lo: float, hi: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on [lo, hi], panels of width <= scale / 2.

    The integrands are Gaussian mixtures that vary on the scale ``scale``; 6 nodes on a panel
    of half that width integrate them to about 1e-12.
    """
    m = max(1, int(np.ceil((hi - lo) / (PANEL * scale))))
    edges = np.linspace(lo, hi, m + 1)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    z = (mid[:, None] + half[:, None] * _GL_X[None, :]).ravel()
    w = (half[:, None] * _GL_W[None, :]).ravel()
    return z, w


def _scale(t_prev: float, t: float, t_next: float | None) -> float:
    """Width on which the sub-density at look t and the next transition kernel vary."""
    s = 1.0
    if t_prev > 0:
        s = min(s, np.sqrt((t - t_prev) / t))
    if t_next is not None:
        s = min(s, np.sqrt((t_next - t) / t))
    return float(s)


def first_look(
    t1: float, lower: float, upper: float, theta: float, t_next: float | None = None
) -> tuple[float, float, Grid]:
    """Probabilities of crossing ``upper`` and ``lower`` at look 1 and the grid beyond it."""
    mean = theta * np.sqrt(t1)
    p_up = float(ndtr(mean - upper)) if np.isfinite(upper) else 0.0
    p_low = float(ndtr(lower - mean)) if np.isfinite(lower) else 0.0
    lo, hi = max(lower, mean - TAIL), min(upper, mean + TAIL)
    if hi <= lo:
        return p_up, p_low, Grid(np.zeros(0), np.zeros(0), t1)
    z, w = _nodes(lo, hi, _scale(0.0, t1, t_next))
    return p_up, p_low, Grid(z, w * _phi(z - mean), t1)


def crossing(prev: Grid, t: float, bound: float, theta: float, upper: bool) -> float:
    """P(continue to look k-1's grid, then Z_k >= bound) (or <= bound if not ``upper``)."""
    if prev.z.size == 0 or not np.isfinite(bound):
        if prev.z.size and ((upper and bound == -np.inf) or (not upper and bound == np.inf)):
            return float(prev.wg.sum())
        return 0.0
    dt = t - prev.t
    x = (bound * np.sqrt(t) - prev.z * np.sqrt(prev.t) - theta * dt) / np.sqrt(dt)
    tail = ndtr(-x) if upper else ndtr(x)
    return float(prev.wg @ tail)


def next_look(
    prev: Grid, t: float, lower: float, upper: float, theta: float, t_next: float | None = None
) -> Grid:
    """Carry the sub-density from look k-1 to the continuation region of look k."""
    mean = theta * np.sqrt(t)
    lo, hi = max(lower, mean - TAIL), min(upper, mean + TAIL)
    if prev.z.size == 0 or hi <= lo:
        return Grid(np.zeros(0), np.zeros(0), t)
    z, w = _nodes(lo, hi, _scale(prev.t, t, t_next))
    dt = t - prev.t
    sd = np.sqrt(dt)
    x = (z[:, None] * np.sqrt(t) - prev.z[None, :] * np.sqrt(prev.t) - theta * dt) / sd
    dens = (_phi(x) @ prev.wg) * (np.sqrt(t) / sd)
    return Grid(z, w * dens, t)


def _union_grid(
    intervals: list[tuple[float, float]], mean: float, scale: float, t: float
) -> tuple[np.ndarray, np.ndarray]:
    zs, ws = [], []
    for lo, hi in intervals:
        lo, hi = max(lo, mean - TAIL), min(hi, mean + TAIL)
        if hi > lo:
            z, w = _nodes(lo, hi, scale)
            zs.append(z)
            ws.append(w)
    if not zs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(zs), np.concatenate(ws)


def wedge_intervals(crit: float, fut: float) -> list[tuple[float, float]]:
    """Continuation region of a two-sided look with an inner futility wedge:
    (-crit, -fut) and (fut, crit), or (-crit, crit) when there is no wedge (fut <= 0)."""
    if not fut > 0:
        return [(-crit, crit)]
    return [(-crit, -fut), (fut, crit)]


def first_look_union(
    t1: float, intervals: list[tuple[float, float]], theta: float, t_next: float | None = None
) -> Grid:
    """The grid beyond look 1 when the continuation region is a union of intervals."""
    mean = theta * np.sqrt(t1)
    z, w = _union_grid(intervals, mean, _scale(0.0, t1, t_next), t1)
    return Grid(z, w * _phi(z - mean), t1)


def next_look_union(
    prev: Grid,
    t: float,
    intervals: list[tuple[float, float]],
    theta: float,
    t_next: float | None = None,
) -> Grid:
    """:func:`next_look` for a continuation region that is a union of intervals."""
    mean = theta * np.sqrt(t)
    if prev.z.size == 0:
        return Grid(np.zeros(0), np.zeros(0), t)
    z, w = _union_grid(intervals, mean, _scale(prev.t, t, t_next), t)
    if z.size == 0:
        return Grid(z, w, t)
    dt = t - prev.t
    sd = np.sqrt(dt)
    x = (z[:, None] * np.sqrt(t) - prev.z[None, :] * np.sqrt(prev.t) - theta * dt) / sd
    dens = (_phi(x) @ prev.wg) * (np.sqrt(t) / sd)
    return Grid(z, w * dens, t)


def between(prev: Grid | None, t: float, lo: float, hi: float, theta: float) -> float:
    """P(continue to the grid's look, then lo < Z_k < hi); ``prev`` None at the first look."""
    if hi <= lo:
        return 0.0
    if prev is None:
        mean = theta * np.sqrt(t)
        return float(ndtr(hi - mean) - ndtr(lo - mean))
    return crossing(prev, t, hi, theta, upper=False) - crossing(prev, t, lo, theta, upper=False)


def exit_probabilities_wedge(
    t: np.ndarray, crit: np.ndarray, fut: np.ndarray, theta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided test with an inner futility wedge: per-look probabilities of Z_k >= c_k,
    Z_k <= -c_k and |Z_k| < f_k (f_k <= 0 or -inf: no wedge; at the last look f_K = c_K, so
    the third array's last entry is the probability of ending without rejecting)."""
    k_max = len(t)
    p_up, p_low, p_in = np.zeros(k_max), np.zeros(k_max), np.zeros(k_max)
    grid: Grid | None = None
    for k in range(k_max):
        tk = float(t[k])
        c = float(crit[k])
        f = c if k == k_max - 1 else float(fut[k])
        if grid is None:
            mean = theta * np.sqrt(tk)
            p_up[k] = float(ndtr(mean - c)) if np.isfinite(c) else 0.0
            p_low[k] = float(ndtr(-c - mean)) if np.isfinite(c) else 0.0
        else:
            p_up[k] = crossing(grid, tk, c, theta, upper=True)
            p_low[k] = crossing(grid, tk, -c, theta, upper=False)
        p_in[k] = between(grid, tk, -f, f, theta) if f > 0 else 0.0
        if k < k_max - 1:
            tn = float(t[k + 1])
            iv = wedge_intervals(c, f)
            grid = (
                first_look_union(tk, iv, theta, tn)
                if grid is None
                else next_look_union(grid, tk, iv, theta, tn)
            )
    return p_up, p_low, p_in


def exit_probabilities(
    t: np.ndarray, lower: np.ndarray, upper: np.ndarray, theta: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of leaving across the upper and the lower bound.

    ``lower`` may be -inf and ``upper`` +inf. Returns two arrays of length K.
    """
    k_max = len(t)
    p_up = np.zeros(k_max)
    p_low = np.zeros(k_max)
    t_next = [float(x) for x in t[1:]] + [None]
    p_up[0], p_low[0], grid = first_look(
        float(t[0]), float(lower[0]), float(upper[0]), theta, t_next[0]
    )
    for k in range(1, k_max):
        tk = float(t[k])
        p_up[k] = crossing(grid, tk, float(upper[k]), theta, upper=True)
        p_low[k] = crossing(grid, tk, float(lower[k]), theta, upper=False)
        if k < k_max - 1:
            grid = next_look(grid, tk, float(lower[k]), float(upper[k]), theta, t_next[k])
    return p_up, p_low
