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
from itertools import pairwise

import numpy as np

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


def censoring_group(time: FloatArray, censored: np.ndarray, presorted: bool = False) -> CensGroup:
    if presorted:
        t, c = time, censored
    else:
        order = np.argsort(time, kind="stable")
        t = time[order]
        c = censored[order]
    n = t.size
    if presorted:
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
    comp_x: tuple[FloatArray, ...]  # their covariates
    inv_g_group: tuple[FloatArray, ...]  # inv_g on the group's rows, 0 elsewhere
    sum_z_events: FloatArray  # sum of Z over the block's events of interest


@dataclass(frozen=True)
class Design:
    time: FloatArray  # sorted (by stratum, then time)
    x: FloatArray
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
    xs = np.ascontiguousarray(x[order])
    h = strata[order]
    g = group[order]
    is_cens = st == cencode
    is_event = st == cause
    is_comp = ~is_cens & ~is_event
    m = int(group.max()) + 1
    if m == 1 and single:
        groups = (censoring_group(t, is_cens, presorted=True),)
        grp0 = groups[0]
        # G(T_j-) of each sorted row: the value at its own distinct time
        g_subject = np.repeat(grp0.g_before, np.diff(np.r_[np.searchsorted(t, grp0.times), t.size]))
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
        n_le = np.cumsum(has)[np.cumsum(starts) - 1]
        g_event = np.column_stack([grp.left_limit(et) for grp in groups])
        gb = g[a:b]
        comp_b = is_comp[a:b]
        cpos = [np.flatnonzero(comp_b & (gb == k)) for k in range(m)]
        fidx, hidx = [], []
        for grp in groups:
            u = grp.cens_times
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
                grp_n_le=tuple(
                    np.searchsorted(grp.cens_times, tb[gb == k], side="right")
                    for k, grp in enumerate(groups)
                ),
                comp_groups=tuple(int(k) for k in np.unique(gb[comp_b])),
                comp_pos=tuple(cpos),
                comp_before=tuple(np.searchsorted(cp, first[has], side="left") for cp in cpos),
                comp_x=tuple(xs[a:b][cp] for cp in cpos),
                inv_g_group=tuple(
                    inv_g[a:b] if m == 1 else np.where(gb == k, inv_g[a:b], 0.0) for k in range(m)
                ),
                sum_z_events=xs[a:b][ev].sum(axis=0),
            )
        )
    des = Design(
        time=t,
        x=xs,
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
    e: list[FloatArray]
    dl: list[FloatArray]
    r: FloatArray
    beta: FloatArray


# ---------------------------------------------------------------- fast engine


def _group_tail(blk: Block, v: FloatArray, k: int) -> FloatArray:
    """tail over event times of G_k(s-) * v (first axis K)."""
    gk = blk.g_event[:, k]
    return _backward(v * (gk if v.ndim == 1 else gk[:, None]))


def evaluate(des: Design, beta: FloatArray) -> Fit:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if des.cov2 is None:
            return _evaluate_fast(des, beta)
        return _evaluate_dense(des, beta)


def _evaluate_fast(des: Design, beta: FloatArray) -> Fit:
    lin = des.x @ beta
    r = np.exp(lin)
    p = beta.size
    loglik = 0.0
    score = np.zeros(p)
    info = np.zeros((p, p))
    s0s, es, dls = [], [], []
    for blk in des.blocks:
        a, b = blk.rows[0], blk.rows[-1] + 1
        rb = r[a:b]
        xb = des.x[a:b]
        idx = blk.first_at_risk
        rc = rb * blk.inv_g
        s0 = _tail_at(rb, idx)
        s1 = _tail_at(rb[:, None] * xb, idx)
        for k in blk.comp_groups:
            # competing rows of group k only (a third of the rows or so)
            cp, cb = blk.comp_pos[k], blk.comp_before[k]
            rck = rc[cp]
            gk = blk.g_event[:, k]
            s0 = s0 + gk * _forward(rck)[cb]
            s1 = s1 + gk[:, None] * _forward(rck[:, None] * blk.comp_x[k])[cb]
        e = s1 / s0[:, None]
        dl = blk.d / s0
        loglik += float(blk.sum_z_events @ beta - np.sum(blk.d * np.log(s0)))
        score += blk.sum_z_events - (blk.d[:, None] * e).sum(axis=0)
        # sum_k d_k S2_k / S0_k = sum_j r_j a_j Z_j Z_j'
        av = _forward(dl)[blk.n_le]
        for k in blk.comp_groups:
            tail = _group_tail(blk, dl, k)[blk.n_le]
            av = av + blk.inv_g_group[k] * tail
        wx = xb * (rb * av)[:, None]
        info += xb.T @ wx - (e * blk.d[:, None]).T @ e
        s0s.append(s0)
        es.append(e)
        dls.append(dl)
    return Fit(loglik, score, info, s0s, es, dls, r, beta)


def influence(des: Design, fit: Fit) -> FloatArray:
    """Per-subject score influence eta_i + psi_i (n x p, sorted order)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if des.cov2 is None:
            eta, q = _influence_fast(des, fit)
        else:
            eta, q = _influence_dense(des, fit)
    return eta + _psi(des, q)


def _psi(des: Design, q: list[list[FloatArray]]) -> FloatArray:
    """psi_i = [i censored] Q(T_i) / pi_g(T_i) - sum_{u <= T_i} Q(u) c_g(u) / pi_g(u)^2.

    q[h][g] holds Q for the subjects of stratum h in censoring group g at the group's
    censoring times u (pi_g, c_g: at risk and censored in group g).
    """
    p = q[0][0].shape[1] if q and q[0] else des.p
    psi = np.zeros((des.time.size, p))
    for blk, qb in zip(des.blocks, q, strict=True):
        for k, grp in enumerate(des.groups):
            rows = blk.grp_rows[k]
            if grp.cens_times.size == 0 or rows.size == 0:
                continue
            qk = qb[k]
            pi = grp.cens_at_risk
            comp_term = _forward(qk * (grp.cens_count / pi**2)[:, None])
            n_le = blk.grp_n_le[k]
            glob = blk.rows[rows]
            psi[glob] -= comp_term[n_le]
            cz = des.is_censored[glob]
            k_u = n_le[cz] - 1
            psi[glob[cz]] += qk[k_u] / pi[k_u, None]
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
    p = des.p
    eta = np.zeros((des.time.size, p))
    q = []
    f0 = comp_forward(des, fit.r, None)
    f1 = comp_forward(des, fit.r, des.x)
    m_groups = len(des.groups)
    for bi, blk in enumerate(des.blocks):
        a, b = blk.rows[0], blk.rows[-1] + 1
        x = des.x[a:b]
        r = fit.r[a:b]
        e, dl = fit.e[bi], fit.dl[bi]
        m = blk.n_le
        a1 = _forward(dl)[m]
        a2 = _forward(e * dl[:, None])[m]
        inner = x * a1[:, None] - a2
        h1 = [_group_tail(blk, dl, k) for k in range(m_groups)]
        h2 = [_group_tail(blk, e * dl[:, None], k) for k in range(m_groups)]
        for k in blk.comp_groups:
            invk = np.where(blk.group == k, blk.inv_g, 0.0)
            inner += invk[:, None] * (x * h1[k][m][:, None] - h2[k][m])
        eb = -r[:, None] * inner
        ev = blk.is_event
        eb[ev] += x[ev] - e[blk.event_index[ev]]
        eta[a:b] = eb
        if m_groups > 1:
            h1, h2 = group_tails(blk, dl), group_tails(blk, e * dl[:, None])
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
        es.append(e)
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
