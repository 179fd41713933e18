"""Continuous baseline values whose median AND range match Table 1 exactly, per arm, ITT and PP.

For each variable and arm a small integer program (HiGHS via ``scipy.optimize.milp``) chooses how
many patients of each *class* take each value of a grid. A class is (per-protocol?, restriction),
e.g. (PP, age < 18) or (non-PP, SR category 3); the restriction limits its values (age < 18 ->
13-17 years; SR category 3 -> aGVHD onset at least 14 days before randomization).

Order statistics are linear in the counts: with ``LE(v)`` the number of values <= v and ``L(v)``
the number < v in a population of even size n = 2h, the median is (a + b) / 2 with
``v_h = a`` and ``v_(h+1) = b`` exactly when ``L(a) <= h - 1``, ``LE(a) = h``, ``L(b) = h`` and
``LE(b) >= h + 1`` (for a = b: ``L(a) <= h - 1`` and ``LE(a) >= h + 1``). One binary per
candidate pair (a, b) with a + b = 2 x median selects the pair (big-M rows). Min and max: every
value within the range, each end taken at least once. The objective prefers a log-normal shape
around the median (plus seeded noise), so the values look like a real cohort.

The counts are then dealt to the patients of each class in a seeded order.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

__all__ = ["ValueClass", "median_range", "solve_values"]


@dataclass(frozen=True)
class ValueClass:
    """Patients that share per-protocol membership and a restriction on their values."""

    key: Hashable
    pp: bool
    size: int
    allowed: frozenset[int]  # grid values (integers) this class may take


def median_range(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max); the median of an even count is the mean of the two middle values."""
    return float(np.median(values)), float(min(values)), float(max(values))


def solve_values(
    name: str,
    classes: Sequence[ValueClass],
    grid: Sequence[int],
    targets: dict[str, tuple[float, float, float]],
    seed: int,
) -> dict[Hashable, list[int]]:
    """Values (grid integers) per class so that ITT and PP median and range are ``targets``.

    ``targets["ITT"]`` and ``targets["PP"]`` are (median, min, max) in grid units. Raises
    ``ValueError`` naming ``name`` if no assignment exists.
    """
    grid = sorted(set(grid))
    pops = {"ITT": [c for c in classes], "PP": [c for c in classes if c.pp]}
    col: dict[tuple[int, int], int] = {}
    names: list[str] = []
    for k, c in enumerate(classes):
        lo, hi = targets["ITT"][1], targets["ITT"][2]
        if c.pp:
            lo, hi = max(lo, targets["PP"][1]), min(hi, targets["PP"][2])
        for v in grid:
            if v in c.allowed and lo <= v <= hi:
                col[(k, v)] = len(names)
                names.append(f"n[{c.key}, {v}]")
    n_count = len(names)
    integrality = [1] * n_count
    upper = [float(classes[k].size) for (k, _v) in col]
    rows: list[tuple[dict[int, float], float, float]] = []

    for k, c in enumerate(classes):
        rows.append(({j: 1.0 for (kk, _v), j in col.items() if kk == k}, c.size, c.size))

    pair_cols: list[tuple[str, int, int, int]] = []
    for pop, members in pops.items():
        median, lo, hi = targets[pop]
        idx = {classes.index(c) for c in members}
        n = sum(c.size for c in members)

        def count(pred, idx=idx) -> dict[int, float]:
            return {j: 1.0 for (k, v), j in col.items() if k in idx and pred(v)}

        rows.append((count(lambda v, lo=lo: v == lo), 1, np.inf))
        rows.append((count(lambda v, hi=hi: v == hi), 1, np.inf))
        if n % 2:
            m = round(median)
            rows.append((count(lambda v, m=m: v < m), -np.inf, (n - 1) // 2))
            rows.append((count(lambda v, m=m: v <= m), (n + 1) // 2, np.inf))
            continue
        h = n // 2
        twice = round(2 * median)
        pairs = [(a, twice - a) for a in grid if 2 * a <= twice and twice - a in grid]
        pairs.sort(key=lambda p: p[1] - p[0])
        pairs = pairs[:8]
        if not pairs:
            raise ValueError(f"{name} {pop}: no pair of grid values has median {median}")
        zs = []
        for a, b in pairs:
            z = n_count + len(pair_cols)
            pair_cols.append((pop, a, b, z))
            zs.append(z)
            big = float(n + 1)

            def row(pred, bound: float, sense: str, z=z, big=big) -> None:
                coefs = count(pred)
                if sense == "<=":
                    coefs[z] = big  # count + big*z <= bound + big
                    rows.append((coefs, -np.inf, bound + big))
                else:
                    coefs[z] = -big  # count - big*z >= bound - big
                    rows.append((coefs, bound - big, np.inf))

            row(lambda v, a=a: v < a, h - 1, "<=")
            if a == b:
                row(lambda v, a=a: v <= a, h + 1, ">=")
            else:
                row(lambda v, a=a: v <= a, h, ">=")
                row(lambda v, a=a: v <= a, h, "<=")
                row(lambda v, b=b: v < b, h, "<=")
                row(lambda v, b=b: v <= b, h + 1, ">=")
        rows.append(({z: 1.0 for z in zs}, 1, 1))

    n_cols = n_count + len(pair_cols)
    integrality += [1] * len(pair_cols)
    upper += [1.0] * len(pair_cols)
    median_itt, lo_itt, hi_itt = targets["ITT"]
    sigma = max((math.log(hi_itt) - math.log(max(lo_itt, 1e-9))) / 4.0, 0.1)
    rng = np.random.default_rng(seed)
    cost = np.zeros(n_cols)
    noise = rng.random(n_cols)
    for (_k, v), j in col.items():
        z = (math.log(v) - math.log(median_itt)) / sigma
        cost[j] = 0.5 * z * z + 0.3 * noise[j]
    data, r_idx, c_idx = [], [], []
    lbs, ubs = [], []
    for r, (coefs, lb, ub) in enumerate(rows):
        for j, v in coefs.items():
            data.append(v)
            r_idx.append(r)
            c_idx.append(j)
        lbs.append(lb)
        ubs.append(ub)
    a = csr_array((data, (r_idx, c_idx)), shape=(len(rows), n_cols))
    res = milp(
        c=cost,
        integrality=np.array(integrality),
        bounds=Bounds(np.zeros(n_cols), np.array(upper)),
        constraints=LinearConstraint(a, np.array(lbs), np.array(ubs)),
        options={"disp": False, "mip_rel_gap": 0.02},
    )
    if res.status != 0 or res.x is None:
        raise ValueError(f"{name}: no values with the published median and range ({res.message})")
    x = np.round(res.x).astype(int)
    out: dict[Hashable, list[int]] = {}
    for k, c in enumerate(classes):
        values = [v for (kk, v), j in col.items() if kk == k for _ in range(x[j])]
        out[c.key] = [values[i] for i in rng.permutation(len(values))]
    for pop, members in pops.items():
        vals = [v for c in members for v in out[c.key]]
        got = median_range(vals)
        if got != tuple(float(t) for t in targets[pop]):
            raise AssertionError(f"{name} {pop}: {got} != target {targets[pop]}")
    return out
