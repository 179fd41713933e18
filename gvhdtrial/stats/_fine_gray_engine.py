"""Fine-Gray estimating equations and influence functions (private engine of fine_gray).

Written from Fine & Gray (JASA 1999;94:496-509), docs/fine_gray.md and, for the stratified
baseline, Zhou, Latouche, Rocha & Fine (Biometrics 2011;67:661-70): a separate baseline
subdistribution hazard per stratum h, i.e. the score is a sum over strata of the one-stratum
score with risk sets built from that stratum's subjects only. Censoring weights come from a
Kaplan-Meier estimate of the censoring distribution per censoring group g (crr's
``cengroup``; one group by default); a subject with a competing event at T_j stays in the
risk set of a later time s with weight G_g(s-) / G_g(T_j-) for its own group g.

Two engines compute the same quantities:

* ``fast``: time-fixed covariates. Every risk-set sum is a cumulative sum over the rows of a
  stratum sorted by time (the competing subjects' weight factors as G_g(s-) times
  1 / G_g(T_j-)), so a Newton step is O(n p^2).
* ``dense``: covariates that vary with time as crr's ``cov2 * tf(t)``. The linear predictor
  of subject j at event time s_k no longer factors, so the sums are formed over
  (subject, event time) pairs in chunks of event times: O(n K p^2), as crr itself.

Influence functions (per subject, score scale): eta (the known-weights martingale part) plus
psi (the part from estimating G), docs/fine_gray.md "Variance". With censoring groups the
psi of a subject uses its own group's censoring martingale and q_g(u), which sums only the
competing subjects of group g. No code of cmprsk or mets was used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
from scipy import sparse

FloatArray = np.ndarray


def _backward(v: FloatArray) -> FloatArray:
    """B[i] = sum_{j >= i} v[j], with B[n] = 0 (first axis)."""
    out = np.zeros((v.shape[0] + 1, *v.shape[1:]))
    out[:-1] = np.cumsum(v[::-1], axis=0)[::-1]
    return out


def _forward(v: FloatArray) -> FloatArray:
    """F[i] = sum_{j < i} v[j], with F[0] = 0 (first axis)."""
    out = np.zeros((v.shape[0] + 1, *v.shape[1:]))
    np.cumsum(v, axis=0, out=out[1:])
    return out


def _forward_last(v: FloatArray) -> FloatArray:
    """F[..., i] = sum_{j < i} v[..., j], with F[..., 0] = 0 (last axis, contiguous rows)."""
    out = np.zeros((*v.shape[:-1], v.shape[-1] + 1))
    np.cumsum(v, axis=-1, out=out[..., 1:])
    return out


def _backward_last(v: FloatArray) -> FloatArray:
    """B[..., i] = sum_{j >= i} v[..., j], with B[..., n] = 0 (last axis)."""
    out = np.zeros((*v.shape[:-1], v.shape[-1] + 1))
    np.cumsum(v[..., ::-1], axis=-1, out=out[..., -2::-1])
    return out


def _tail_at_last(v: FloatArray, idx: np.ndarray) -> FloatArray:
    """sum_{j >= idx_k} v[..., j] for strictly increasing idx (last axis): segment sums
    between the indices, summed from the end."""
    if idx.size == 0:
        return np.zeros((*v.shape[:-1], 0))
    seg = np.add.reduceat(v, idx, axis=-1)
    return np.cumsum(seg[..., ::-1], axis=-1)[..., ::-1]


def _tail_at(v: FloatArray, idx: np.ndarray) -> FloatArray:
    """sum_{j >= idx_k} v[j] for strictly increasing idx (first axis), without forming the
    n-long cumulative sum: segment sums between the indices, summed from the end."""
    if idx.size == 0:
        return np.zeros((0, *v.shape[1:]))
    seg = np.add.reduceat(v, idx, axis=0)
    return np.cumsum(seg[::-1], axis=0)[::-1]


@dataclass(frozen=True)
class CensGroup:
    """Kaplan-Meier of the censoring distribution within one censoring group."""

    times: FloatArray  # distinct times of the group's subjects
    g_before: FloatArray  # G(u-) at each of those times
    cens_times: FloatArray  # distinct censoring times u
    cens_count: FloatArray  # c(u)
    cens_at_risk: FloatArray  # pi(u): subjects of the group with T >= u

    def left_limit(self, s: FloatArray) -> FloatArray:
        """G(s-); 0 after the group's last time (crr's convention for censoring groups)."""
        # G(s-) = G(u_i-) for the first time u_i >= s; past the last time, 0
        idx = np.searchsorted(self.times, s, side="left")
        return np.concatenate((self.g_before, [0.0]))[idx]


def censoring_group(
    time: FloatArray,
    censored: np.ndarray,
    presorted: bool = False,
    first: np.ndarray | None = None,
) -> CensGroup:
    """``first``: for sorted times, the index of each distinct time's first row."""
    if presorted:
        t, c = time, censored
    else:
        order = np.argsort(time, kind="stable")
        t = time[order]
        c = censored[order]
    n = t.size
    if presorted:
        if first is None:
            first = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        uniq = t[first]
    else:
        uniq, first = np.unique(t, return_index=True)
    at_risk = (n - first).astype(float)
    c_u = np.add.reduceat(c.astype(float), first)
    g_after = np.cumprod(1.0 - c_u / at_risk)
    g_before = np.concatenate(([1.0], g_after[:-1]))
    has = c_u > 0
    return CensGroup(uniq, g_before, uniq[has], c_u[has], at_risk[has])


@dataclass(frozen=True)
class Block:
    """The rows of one stratum, sorted by time, with their event-time index."""

    rows: np.ndarray  # positions in the globally sorted data
    time: FloatArray
    is_event: np.ndarray
    is_competing: np.ndarray
    group: np.ndarray  # censoring-group code of each row
    inv_g: FloatArray  # 1 / G_g(T_j-) for competing rows, else 0
    event_times: FloatArray
    d: FloatArray
    d_frac: FloatArray  # K x m: share of the d_k events at s_k that are in group g
    g_event: FloatArray  # K x m: G_g(s_k-)
    first_at_risk: np.ndarray
    n_le: np.ndarray
    event_index: np.ndarray
    # per censoring group g, at the group's censoring times u (see q_stratum):
    cens_fidx: tuple[np.ndarray, ...]  # competing rows (time order, all strata) counted in F
    cens_hidx: tuple[np.ndarray, ...]  # event times of the block left out of H
    # per censoring group g: the block's rows of the group and their count of u <= T_i
    grp_rows: tuple[np.ndarray, ...]
    grp_n_le: tuple[np.ndarray, ...]
    comp_groups: tuple[int, ...]  # groups with competing rows in this block
    # per censoring group: the block's competing rows of the group, and how many of them
    # lie before each event time's first at-risk row
    comp_pos: tuple[np.ndarray, ...]
    comp_before: tuple[np.ndarray, ...]
    comp_xt: tuple[FloatArray, ...]  # their covariates, p x (rows of the group)
    comp_inv_g: tuple[FloatArray, ...]  # their 1 / G_g(T_j-)
    event_rows: np.ndarray  # the block's rows with an event of interest
    # segment sums as one sparse product per Newton step: row k of the at-risk matrix sums
    # the rows j >= risk_start with first_at_risk[k] <= j < first_at_risk[k + 1] (those at
    # risk at s_k and not at s_{k+1}); row k of the competing matrix of group g sums the
    # competing rows of g (comp_seg_rows, block positions) with s_{k-1} <= T_j < s_k.
    risk_start: int
    risk_indptr: np.ndarray
    comp_seg_rows: tuple[np.ndarray, ...]
    comp_seg_indptr: tuple[np.ndarray, ...]
    comp_seg_x1: tuple[FloatArray, ...]  # [1, Z] of those rows, C order
    comp_seg_inv_g: tuple[FloatArray, ...]
    inv_g_group: tuple[FloatArray, ...]  # inv_g on the group's rows, 0 elsewhere
    sum_z_events: FloatArray  # sum of Z over the block's events of interest


@dataclass(frozen=True)
class Design:
    time: FloatArray  # sorted (by stratum, then time)
    x: FloatArray  # n x p, a view of xt
    xt: FloatArray  # p x n, each covariate contiguous
    x1: FloatArray  # n x (p + 1): [1, Z], C order (segment sums of r and r Z in one product)
    cov2: FloatArray | None
    tf_values: FloatArray | None  # tf at the global distinct event times, K_all x p2
    all_event_times: FloatArray
    is_event: np.ndarray
    is_competing: np.ndarray
    is_censored: np.ndarray
    group: np.ndarray
    groups: tuple[CensGroup, ...]
    blocks: tuple[Block, ...]
    comp_rows: np.ndarray  # competing rows in time order (all strata)

    @property
    def p(self) -> int:
        p2 = 0 if self.cov2 is None else self.cov2.shape[1]
        return self.x.shape[1] + p2


def build(
    time: FloatArray,
    status: FloatArray,
    x: FloatArray,
    cause: float,
    cencode: float,
    strata: np.ndarray,
    group: np.ndarray,
    cov2: FloatArray | None = None,
    tf: Callable[[FloatArray], FloatArray] | None = None,
) -> tuple[Design, np.ndarray]:
    """Sort by (stratum, time) once and precompute every index the sums need."""
    single = bool(np.all(strata == strata[0]))
    order = np.argsort(time) if single else np.lexsort((time, strata))
    t = time[order]
    st = status[order]
    # one covariate per contiguous row: the gathers and sums below run along rows
    xt = np.take(np.ascontiguousarray(x.T), order, axis=1)
    xs = xt.T
    x1 = np.empty((t.size, xt.shape[0] + 1))
    x1[:, 0] = 1.0
    x1[:, 1:] = xs
    m = int(group.max()) + 1
    # codes of one stratum / one group need no gather
    h = np.zeros(t.size, dtype=np.int64) if single else strata[order]
    g = np.zeros(t.size, dtype=np.int64) if m == 1 else group[order]
    is_cens = st == cencode
    is_event = st == cause
    is_comp = ~is_cens & ~is_event
    plain = m == 1 and single  # one block whose distinct times are the group's times
    if plain:
        first_all = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
        groups = (censoring_group(t, is_cens, presorted=True, first=first_all),)
        # G(T_j-) of each sorted row: the value at its own distinct time
        g_subject = np.repeat(groups[0].g_before, np.diff(np.r_[first_all, t.size]))
    else:
        groups = tuple(censoring_group(t[g == k], is_cens[g == k]) for k in range(m))
        g_subject = np.ones(t.size)
        for k in range(m):
            sel = g == k
            g_subject[sel] = groups[k].left_limit(t[sel])
    inv_g = np.where(is_comp, 1.0 / np.where(is_comp, g_subject, 1.0), 0.0)

    all_event_times = np.unique(t[is_event])
    tf_values = None
    c2 = None
    if cov2 is not None:
        c2 = np.ascontiguousarray(cov2[order])
        assert tf is not None
        tf_values = np.asarray(tf(all_event_times.copy()), dtype=float)
        if tf_values.ndim == 1:
            tf_values = tf_values[:, None]
        if tf_values.shape != (all_event_times.size, c2.shape[1]):
            raise ValueError(
                f"tf must return a matrix with one row per event time ({all_event_times.size}) "
                f"and one column per cov2 column ({c2.shape[1]}); it returned shape "
                f"{tf_values.shape}"
            )
        if not np.all(np.isfinite(tf_values)):
            raise ValueError("tf returned a missing or infinite value")

    comp_rows = np.flatnonzero(is_comp)
    if not single:
        comp_rows = comp_rows[np.argsort(t[comp_rows], kind="stable")]
    comp_times = t[comp_rows]
    bounds = np.flatnonzero(np.r_[True, h[1:] != h[:-1], True])
    blocks = []
    for a, b in pairwise(bounds):
        tb = t[a:b]
        ev = is_event[a:b]
        starts = np.r_[True, tb[1:] != tb[:-1]]  # rows are sorted by time
        first = np.flatnonzero(starts)
        uniq = tb[first]
        e_mask = np.add.reduceat(ev.astype(float), first)
        has = e_mask > 0
        et = uniq[has]
        # number of event times <= T_j: events counted up to the row's distinct time
        didx = np.cumsum(starts) - 1  # each row's distinct-time index
        n_le = np.cumsum(has)[didx]
        if plain:
            g_event = groups[0].g_before[has][:, None]
        else:
            g_event = np.column_stack([grp.left_limit(et) for grp in groups])
        gb = g[a:b]
        comp_b = is_comp[a:b]
        if m > 1:
            cpos = [np.flatnonzero(comp_b & (gb == k)) for k in range(m)]
        else:
            cpos = [np.flatnonzero(comp_b)]
        # competing rows of each group before each event time's first at-risk row
        cbefore = [
            np.concatenate(([0], np.cumsum(comp_b & (gb == k) if m > 1 else comp_b)))[first[has]]
            for k in range(m)
        ]
        fidx, hidx = [], []
        for grp in groups:
            u = grp.cens_times
            if single:
                # one block: every censoring time is a time of the block, tau_h(u) = u
                tau = u
                own = np.ones(u.size, dtype=bool)
            else:
                # tau_h(u): the block's last time at or before u (its first time when none)
                pos = np.searchsorted(tb, u, side="right") - 1
                tau = tb[np.maximum(pos, 0)]
                own = tau == u
            fidx.append(
                np.where(
                    own,
                    np.searchsorted(comp_times, u, side="left"),
                    np.searchsorted(comp_times, tau, side="right"),
                )
            )
            hidx.append(
                np.where(
                    tau > u,
                    np.searchsorted(et, tau, side="right"),
                    np.searchsorted(et, u, side="left"),
                )
            )
        n_le_b = n_le
        if plain:
            # censoring times at or before each row: counted over the distinct times
            cens_has = np.add.reduceat(is_cens[a:b].astype(np.int64), first) > 0
            grp_n_le: tuple[np.ndarray, ...] = (np.cumsum(cens_has)[didx],)
        else:
            grp_n_le = tuple(
                np.searchsorted(grp.cens_times, tb if m == 1 else tb[gb == k], side="right")
                for k, grp in enumerate(groups)
            )
        risk_start = int(first[has][0]) if has.any() else tb.size
        seg_rows, seg_ptr = [], []
        for cp in cpos:
            g_of = n_le_b[cp]  # competing row j adds to s_k > T_j: k >= n_le[j]
            keep = cp[g_of < et.size]
            seg_rows.append(keep)
            seg_ptr.append(np.searchsorted(n_le_b[keep], np.arange(et.size + 1), side="left"))
        blocks.append(
            Block(
                rows=np.arange(a, b),
                time=tb,
                is_event=ev,
                is_competing=comp_b,
                group=gb,
                inv_g=inv_g[a:b],
                event_times=et,
                d=e_mask[has],
                d_frac=np.column_stack(
                    [np.add.reduceat((ev & (gb == k)).astype(float), first)[has] for k in range(m)]
                )
                / e_mask[has][:, None],
                g_event=g_event,
                first_at_risk=first[has],
                n_le=n_le,
                event_index=np.where(ev, n_le - 1, -1),
                cens_fidx=tuple(fidx),
                cens_hidx=tuple(hidx),
                grp_rows=tuple(np.flatnonzero(gb == k) for k in range(m)),
                grp_n_le=grp_n_le,
                comp_groups=tuple(int(k) for k in np.unique(gb[comp_b])),
                comp_pos=tuple(cpos),
                comp_before=tuple(cbefore),
                comp_xt=tuple(np.take(xt[:, a:b], cp, axis=1) for cp in cpos),
                comp_inv_g=tuple(inv_g[a:b][cp] for cp in cpos),
                event_rows=np.flatnonzero(ev),
                risk_start=risk_start,
                risk_indptr=np.r_[first[has], tb.size] - risk_start,
                comp_seg_rows=tuple(seg_rows),
                comp_seg_indptr=tuple(seg_ptr),
                comp_seg_x1=tuple(np.take(x1[a:b], k, axis=0) for k in seg_rows),
                comp_seg_inv_g=tuple(inv_g[a:b][k] for k in seg_rows),
                inv_g_group=tuple(
                    inv_g[a:b] if m == 1 else np.where(gb == k, inv_g[a:b], 0.0) for k in range(m)
                ),
                sum_z_events=xt[:, a:b] @ ev.astype(float),
            )
        )
    des = Design(
        time=t,
        x=xs,
        xt=xt,
        x1=x1,
        cov2=c2,
        tf_values=tf_values,
        all_event_times=all_event_times,
        is_event=is_event,
        is_competing=is_comp,
        is_censored=is_cens,
        group=g,
        groups=groups,
        blocks=tuple(blocks),
        comp_rows=comp_rows,
    )
    return des, order


@dataclass
class Fit:
    """Quantities at one beta: log partial likelihood, score, information and, per block,
    the risk-set sums needed by the variance and the baseline."""

    loglik: float
    score: FloatArray
    info: FloatArray
    s0: list[FloatArray]
    s1: list[FloatArray]  # K x p per block
    dl: list[FloatArray]
    r: FloatArray
    beta: FloatArray

    @cached_property
    def e(self) -> list[FloatArray]:
        """E_k = S1_k / S0_k per block (needed only for the variance, at the estimate)."""
        return [s1 / s0[:, None] for s0, s1 in zip(self.s0, self.s1, strict=True)]


# ---------------------------------------------------------------- fast engine


def _group_tail(blk: Block, v: FloatArray, k: int) -> FloatArray:
    """tail over event times of G_k(s-) * v (first axis K)."""
    gk = blk.g_event[:, k]
    return _backward(v * (gk if v.ndim == 1 else gk[:, None]))


def evaluate(des: Design, beta: FloatArray, loglik_only: bool = False) -> Fit:
    """Log partial likelihood, score and information at beta (``loglik_only``: the first
    alone, for the null model; score and information are then zeros)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if des.cov2 is None:
            return _evaluate_fast(des, beta, loglik_only)
        return _evaluate_dense(des, beta)


def _evaluate_fast(des: Design, beta: FloatArray, loglik_only: bool = False) -> Fit:
    # Covariates are held p x n (one contiguous row each), so that every product, segment
    # sum and cumulative sum below runs along contiguous memory.
    r = np.exp(beta @ des.xt)
    p = beta.size
    loglik = 0.0
    score = np.zeros(p)
    info = np.zeros((p, p))
    s0s, es, dls = [], [], []
    for blk in des.blocks:
        a, b = blk.rows[0], blk.rows[-1] + 1
        rb = r[a:b]
        xtb = des.xt[:, a:b]
        n_k = blk.event_times.size
        if loglik_only:
            s0 = _tail_at_last(rb, blk.first_at_risk)
            for k in blk.comp_groups:
                rck = rb[blk.comp_pos[k]] * blk.comp_inv_g[k]
                s0 += blk.g_event[:, k] * _forward_last(rck)[blk.comp_before[k]]
            s0s.append(s0)
            dls.append(blk.d / s0)
            loglik += float(blk.sum_z_events @ beta - np.sum(blk.d * np.log(s0)))
            continue
        # [S0, S1] at the event times: sums of r [1, Z] over the rows at risk (a sparse
        # product over segments, then a sum from the last segment), plus for each censoring
        # group G_g(s_k-) times the sums of r [1, Z] / G_g(T_j-) over the earlier
        # competing rows of g
        j0 = blk.risk_start
        seg = (
            sparse.csr_array(
                (rb[j0:], np.arange(rb.size - j0), blk.risk_indptr), shape=(n_k, rb.size - j0)
            )
            @ des.x1[a + j0 : b]
        )
        s01 = seg
        np.cumsum(seg[::-1], axis=0, out=s01[::-1])
        for k in blk.comp_groups:
            rows = blk.comp_seg_rows[k]
            cseg = (
                sparse.csr_array(
                    (
                        rb[rows] * blk.comp_seg_inv_g[k],
                        np.arange(rows.size),
                        blk.comp_seg_indptr[k],
                    ),
                    shape=(n_k, rows.size),
                )
                @ blk.comp_seg_x1[k]
            )
            np.cumsum(cseg, axis=0, out=cseg)
            cseg *= blk.g_event[:, k : k + 1]
            s01 += cseg
        s0 = s01[:, 0]
        dl = blk.d / s0
        loglik += float(blk.sum_z_events @ beta - np.sum(blk.d * np.log(s0)))
        # sum_k d_k E_k and sum_k d_k E_k E_k' from [S0, S1] (K x (p + 1))
        moments = (s01 * (dl / s0)[:, None]).T @ s01
        score += blk.sum_z_events - moments[1:, 0]
        # sum_k d_k S2_k / S0_k = sum_j r_j a_j Z_j Z_j'
        av = _forward_last(dl)[blk.n_le]
        for k in blk.comp_groups:
            cp = blk.comp_pos[k]
            tail = _backward_last(dl * blk.g_event[:, k])[blk.n_le[cp]]
            av[cp] += blk.comp_inv_g[k] * tail
        av *= rb
        info += (xtb * av) @ xtb.T - moments[1:, 1:]
        s0s.append(s0)
        es.append(s01[:, 1:])
        dls.append(dl)
    return Fit(loglik, score, info, s0s, es, dls, r, beta)


def influence(des: Design, fit: Fit) -> FloatArray:
    """Per-subject score influence eta_i + psi_i (n x p, sorted order; a view of a p x n
    array, so each covariate's column is contiguous)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if des.cov2 is None:
            eta_t, q = _influence_fast(des, fit)
        else:
            eta, q = _influence_dense(des, fit)
            eta_t = np.ascontiguousarray(eta.T)
    return _psi(des, q, out=eta_t).T


def _psi(des: Design, q: list[list[FloatArray]], out: FloatArray | None = None) -> FloatArray:
    """psi_i = [i censored] Q(T_i) / pi_g(T_i) - sum_{u <= T_i} Q(u) c_g(u) / pi_g(u)^2,
    as a p x n array (added to ``out`` when given).

    q[h][g] holds Q for the subjects of stratum h in censoring group g at the group's
    censoring times u (pi_g, c_g: at risk and censored in group g), one row per u.
    """
    p = q[0][0].shape[1] if q and q[0] else des.p
    psi = np.zeros((p, des.time.size)) if out is None else out
    for blk, qb in zip(des.blocks, q, strict=True):
        a = int(blk.rows[0])
        for k, grp in enumerate(des.groups):
            rows = blk.grp_rows[k]
            if grp.cens_times.size == 0 or rows.size == 0:
                continue
            qt = np.ascontiguousarray(qb[k].T)  # p x (censoring times)
            pi = grp.cens_at_risk
            comp_term = _forward_last(qt * (grp.cens_count / pi**2))
            n_le = blk.grp_n_le[k]
            if rows.size == blk.time.size:  # every row of the block: a slice, no scatter
                glob: slice | np.ndarray = slice(a, a + rows.size)
                cz = np.flatnonzero(des.is_censored[glob])
                glob_cz = cz + a
            else:
                glob = blk.rows[rows]
                cz = np.flatnonzero(des.is_censored[glob])
                glob_cz = glob[cz]
            psi[:, glob] -= np.take(comp_term, n_le, axis=1)
            k_u = n_le[cz] - 1
            psi[:, glob_cz] += np.take(qt, k_u, axis=1) / pi[k_u]
    return psi


def comp_forward(des: Design, r: FloatArray, weights: FloatArray | None) -> list[FloatArray]:
    """Per censoring group g: forward sums over the competing rows (time order, all
    strata) of [g_j = g] r_j / G_j, times the columns of ``weights`` (None: the sum alone)."""
    rows = des.comp_rows
    inv_g = np.zeros(des.time.size)
    for blk in des.blocks:
        inv_g[blk.rows] = blk.inv_g
    rc = r[rows] * inv_g[rows]
    out = []
    for k in range(len(des.groups)):
        rck = np.where(des.group[rows] == k, rc, 0.0)
        if weights is None:
            out.append(_forward(rck))
        else:
            out.append(_forward(rck[:, None] * weights[rows]))
    return out


def q_stratum(
    des: Design,
    blk: Block,
    f0: list[FloatArray],
    f1: list[FloatArray] | None,
    h1: list[FloatArray],
    h2: list[FloatArray] | None,
) -> list[FloatArray]:
    """Q(u) at each censoring group's censoring times, for the subjects of stratum h.

    For group g: Q_g(u) = F1_g(tau) H1_g(u) - F0_g(tau) H2_g(u), where F sums r_j / G_g(T_j-)
    (times Z_j for F1) over the competing subjects of group g (all strata) counted at
    tau_h(u), the last time of stratum h at or before u (strictly before u when that is u
    itself; the first time of h when h has none), and H sums stratum h's event times after
    it: H1 = sum G_g(s_k-) dL_kg, H2 = sum G_g(s_k-) E_k dL_kg, with dL_kg = d_kg / S0_k
    counting group g's events at s_k (all events with one group). With one stratum and one
    group tau = u and this is crr's q(u); with censoring groups it is cmprsk 2.2-11's
    (competing subjects and events of the group only); with strata mets::cifreg's
    (competing subjects of every stratum, read at tau_h(u)). For the baseline hazard (f1
    and h2 None), Q = F0 H1.
    """
    out = []
    for k, grp in enumerate(des.groups):
        fi, hi = blk.cens_fidx[k], blk.cens_hidx[k]
        if f1 is None or h2 is None:
            out.append((f0[k][fi] * h1[k][hi])[:, None])
        else:
            out.append(f1[k][fi] * h1[k][hi][:, None] - f0[k][fi][:, None] * h2[k][hi])
        assert out[-1].shape[0] == grp.cens_times.size
    return out


def group_tails(blk: Block, v: FloatArray) -> list[FloatArray]:
    """Per censoring group g: tail over event times of G_g(s_k-) (d_kg / d_k) v_k."""
    return [
        _group_tail(blk, v * _bcast(blk.d_frac[:, k], v), k) for k in range(blk.d_frac.shape[1])
    ]


def _bcast(w: FloatArray, v: FloatArray) -> FloatArray:
    return w if v.ndim == 1 else w[:, None]


def _influence_fast(des: Design, fit: Fit) -> tuple[FloatArray, list[list[FloatArray]]]:
    """eta as a p x n array (each covariate contiguous), and Q for psi."""
    p = des.p
    eta = np.empty((p, des.time.size))
    q = []
    f0 = comp_forward(des, fit.r, None)
    f1 = comp_forward(des, fit.r, des.x)
    m_groups = len(des.groups)
    for bi, blk in enumerate(des.blocks):
        a, b = blk.rows[0], blk.rows[-1] + 1
        xt = des.xt[:, a:b]
        r = fit.r[a:b]
        e, dl = fit.e[bi], fit.dl[bi]
        m = blk.n_le
        edl = e.T * dl  # p x K
        inner = xt * _forward_last(dl)[m]
        inner -= np.take(_forward_last(edl), m, axis=1)
        h1 = [_backward_last(dl * blk.g_event[:, k]) for k in range(m_groups)]
        h2 = [_backward_last(edl * blk.g_event[:, k]) for k in range(m_groups)]
        for k in blk.comp_groups:
            # only competing rows of group k carry 1 / G_k(T_j-)
            cp = blk.comp_pos[k]
            mc = m[cp]
            inner[:, cp] += blk.comp_inv_g[k] * (
                blk.comp_xt[k] * h1[k][mc] - np.take(h2[k], mc, axis=1)
            )
        inner *= -r
        er = blk.event_rows
        inner[:, er] += xt[:, er] - e[blk.event_index[er]].T
        eta[:, a:b] = inner
        if m_groups > 1:
            h1, h2 = group_tails(blk, dl), group_tails(blk, e * dl[:, None])
        else:
            h2 = [v.T for v in h2]
        q.append(q_stratum(des, blk, f0, f1, h1, h2))
    return eta, q


# ---------------------------------------------------------------- dense engine (cov2)

_CHUNK_CELLS = 2_000_000


def _dense_chunks(des: Design, blk: Block):
    """Event-time chunks of a block: (k slice, w, Z) with w n_b x c and Z n_b x c x p."""
    n_b = blk.time.size
    p = des.p
    c = max(1, _CHUNK_CELLS // max(1, n_b * p))
    a, b = blk.rows[0], blk.rows[-1] + 1
    x1 = des.x[a:b]
    x2 = des.cov2[a:b]
    kglob = np.searchsorted(des.all_event_times, blk.event_times)
    for start in range(0, blk.event_times.size, c):
        ks = slice(start, min(start + c, blk.event_times.size))
        s = blk.event_times[ks]
        at_risk = blk.time[:, None] >= s[None, :]
        gsel = blk.g_event[ks][:, blk.group].T  # n_b x c: G_{g_j}(s_k-)
        comp = blk.is_competing[:, None] & ~at_risk
        w = at_risk + np.where(comp, gsel * blk.inv_g[:, None], 0.0)
        tfv = des.tf_values[kglob[ks]]  # c x p2
        z = np.empty((n_b, s.size, p))
        z[:, :, : x1.shape[1]] = x1[:, None, :]
        z[:, :, x1.shape[1] :] = x2[:, None, :] * tfv[None, :, :]
        yield ks, w, z


def _evaluate_dense(des: Design, beta: FloatArray) -> Fit:
    p = beta.size
    loglik = 0.0
    score = np.zeros(p)
    info = np.zeros((p, p))
    s0s, es, dls = [], [], []
    for blk in des.blocks:
        s0 = np.zeros(blk.event_times.size)
        e = np.zeros((blk.event_times.size, p))
        ev_rows = np.flatnonzero(blk.is_event)
        for ks, w, z in _dense_chunks(des, blk):
            lin = z @ beta
            wr = w * np.exp(lin)
            s0k = wr.sum(axis=0)
            s1k = np.einsum("jk,jkp->kp", wr, z)
            s2k = np.einsum("jk,jkp,jkq->kpq", wr, z, z)
            ek = s1k / s0k[:, None]
            dk = blk.d[ks]
            s0[ks] = s0k
            e[ks] = ek
            loglik -= float(np.sum(dk * np.log(s0k)))
            score -= (dk[:, None] * ek).sum(axis=0)
            info += np.einsum("k,kpq->pq", dk / s0k, s2k) - (ek * dk[:, None]).T @ ek
            # events of interest in this chunk: their own covariates at their own time
            kk = blk.event_index[ev_rows]
            inside = (kk >= ks.start) & (kk < ks.stop)
            rows = ev_rows[inside]
            zk = z[rows, kk[inside] - ks.start]
            loglik += float((zk @ beta).sum())
            score += zk.sum(axis=0)
        s0s.append(s0)
        es.append(e * s0[:, None])
        dls.append(blk.d / s0)
    lin0 = des.x @ beta[: des.x.shape[1]]
    return Fit(loglik, score, info, s0s, es, dls, np.exp(lin0), beta)


def _influence_dense(des: Design, fit: Fit) -> tuple[FloatArray, list[list[FloatArray]]]:
    p = des.p
    eta = np.zeros((des.time.size, p))
    q = [np.zeros((grp.cens_times.size, p)) for grp in des.groups]
    beta = fit.beta
    for bi, blk in enumerate(des.blocks):
        a = blk.rows[0]
        e, dl = fit.e[bi], fit.dl[bi]
        eb = np.zeros((blk.time.size, p))
        ev_rows = np.flatnonzero(blk.is_event)
        for ks, w, z in _dense_chunks(des, blk):
            zc = z - e[ks][None, :, :]
            wrd = w * np.exp(z @ beta) * dl[ks][None, :]
            contrib = wrd[:, :, None] * zc  # n_b x c x p
            eb -= contrib.sum(axis=1)
            kk = blk.event_index[ev_rows]
            inside = (kk >= ks.start) & (kk < ks.stop)
            rows = ev_rows[inside]
            eb[rows] += zc[rows, kk[inside] - ks.start]
            s = blk.event_times[ks]
            # crr's q_g(u): competing subjects of group g with T_j < u, group g's events
            # at s_k >= u (every event with one group)
            for k, grp in enumerate(des.groups):
                sel = np.flatnonzero(blk.is_competing & (blk.group == k))
                if grp.cens_times.size == 0 or sel.size == 0:
                    continue
                share = blk.d_frac[ks, k]
                cum = _forward(contrib[sel] * share[None, :, None])  # rows sorted by time
                j_of_u = np.searchsorted(blk.time[sel], grp.cens_times, side="left")
                later = s[None, :] >= grp.cens_times[:, None]  # n_u x c
                q[k] += np.einsum("uk,ukp->up", later, cum[j_of_u])
        eta[a : a + blk.time.size] = eb
    return eta, [q]
