"""Time-to-event outcomes of the synthetic reference trial (events table rows).

SYNTHETIC reconstruction: these are not the trial's patients.

``generate_outcomes(attributes, rng)`` adds, to the facts fixed by the efficacy story
(randomization date, discontinuation, salvage = new systemic therapy, the fixed deaths), the
long-term outcomes: relapse, deaths (cause, relapse-related or not), chronic GVHD onset with
NIH 2014 global severity, and the last contact of every survivor. Time zero is randomization.

How: a seeded simulated-annealing search over the per-patient outcome times, scored by how
close the estimates are to the paper's published numbers (``TARGETS``): first the 2-year
estimates (cumulative incidence by Aalen-Johansen, survival by Kaplan-Meier; with n = 32 / 30 a
step is ~3 %), then, with those held, the hazard ratios and p-values. The estimators used during
the search are the small ones of :mod:`reference._outcome_stats`; the result was checked with R
(survival, cmprsk) during development (see the report of issue 5).

Modelling choices (documented here because the paper leaves them open):
- FFS failure = relapse, death without relapse, or new systemic therapy (``salvage_day``);
  chronic GVHD onset before failure is a competing event (paper, Statistical analysis).
- Moderate-severe cGVHD: one ``cgvhd_onset`` row per patient carries the NIH global severity;
  the moderate-severe endpoint counts onsets with severity moderate/severe (competing: relapse,
  death first); mild cGVHD does not end follow-up for that endpoint.
- Withdrawal of consent (``discontinuation_reason == 'consent_withdrawn'``) stops the study
  treatment only; survival and GVHD follow-up continue (the paper's ITT estimates count these
  patients). One of them is lost to follow-up at 100 days: the 3.3-month minimum follow-up.
- Follow-up (median 22.3, range 3.3-39.2 months) is computed over patients alive at their last
  contact (deaths before day 28 rule out anything else), months = days / 30.4375.
- Deaths within 180 days are exactly the grade 5 AE patients of Table 3 (7 MSC, 6 control);
  no death falls within 10 days of day 180 and no event within 15 days of 2 years, so that
  window and horizon conventions (730 vs 730.5 days, first infusion vs randomization) agree.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reference import _outcome_stats as st

__all__ = [
    "CUTOFF",
    "DEATH_TERMS",
    "HORIZON",
    "TARGETS",
    "compute_estimates",
    "death_primary_term",
    "generate_outcomes",
    "outcome_table",
]

CUTOFF = dt.date(2024, 2, 29)
MONTH = 365.25 / 12
HORIZON = 730.5  # 2 years, days
INF = math.inf

# Fatal (grade 5) Table 3 terms that are the *primary* cause of each death within 180 days,
# beyond the deaths fixed by the efficacy story. The remaining grade 5 terms of Table 3 (MSC:
# TMA; control: pneumonia, sepsis, VOD) are second grade 5 terms of some of these deaths and
# are placed by reference.safety.
DEATH_TERMS: dict[str, list[str]] = {
    "MSC": ["Pneumonia", "Gastrointestinal bleeding", "Arrhythmia", "Death not else classified"],
    "control": ["Cerebral hemorrhage", "Cerebral hemorrhage", "Cerebral hemorrhage"],
}
_FIXED_TERM = {
    "septic shock": "Sepsis",
    "sepsis": "Sepsis",
    "heart failure": "Heart failure",
    "pneumonia": "Pneumonia",
}
# Table 3 term -> events.death_cause code
CAUSE_OF_TERM = {
    "Sepsis": "septic_shock",
    "Pneumonia": "pneumonia",
    "Heart failure": "heart_failure",
    "Gastrointestinal bleeding": "haemorrhage",
    "Cerebral hemorrhage": "haemorrhage",
    "TMA": "tma",
    "Veno-occlusive liver disease": "vod_sos",
    "Arrhythmia": "other",
    "Death not else classified": "other",
}
_LATE_CAUSES = [("infection", "Infection"), ("pneumonia", "Pneumonia"), ("gvhd", "Chronic GVHD")]
_PRIMARY_PREFIX = "grade 5 AE: "

# name -> (arm, population, endpoint, published value)
TARGETS: dict[str, float] = {
    "PP OS MSC": 0.711,
    "PP OS control": 0.682,
    "PP NRM MSC": 0.289,
    "PP NRM control": 0.324,
    "PP relapse MSC": 0.0,
    "PP relapse control": 0.036,
    "PP cGVHD MSC": 0.483,
    "PP cGVHD control": 0.642,
    "PP msGVHD MSC": 0.165,
    "PP msGVHD control": 0.467,
    "PP FFS MSC": 0.625,
    "PP FFS control": 0.464,
    "ITT msGVHD MSC": 0.138,
    "ITT msGVHD control": 0.398,
    "ITT FFS MSC": 0.525,
    "ITT FFS control": 0.444,
}
HR_TARGETS = {"cGVHD": 0.76, "msGVHD": 0.37, "NRM": 0.97, "FFS": 0.64, "OS": 0.99}
HR_CI_TARGETS = {
    "cGVHD": (0.38, 1.49),
    "msGVHD": (0.13, 1.02),
    "NRM": (0.40, 2.38),
    "FFS": (0.34, 1.21),
    "OS": (0.41, 2.43),
}
P_TARGETS = {
    "PP cGVHD": 0.42,
    "PP msGVHD": 0.056,
    "PP NRM": 0.95,
    "PP FFS": 0.17,
    "PP OS": 0.99,
    "ITT msGVHD": 0.067,
    "ITT FFS": 0.43,
}
FOLLOW_UP_MONTHS = (22.3, 3.3, 39.2)  # median, min, max (survivors)

_DEATH_GAP = (170.0, 190.0)  # no death here (day-180 AE window)
_HORIZON_GAP = (715.0, 746.0)  # no event or censoring here (2-year horizon)
_CG_RANGE = (60, 540)
_REL_RANGE = (90, 700)
_MIN_FU = 100  # 3.3 months
_MAX_FU = 1193  # 39.2 months


@dataclass
class _State:
    death: list[float]
    rel: list[float]
    cg: list[float]
    sev: list[int]
    cens: list[float]
    extra: dict[str, object] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(
            self.death[:], self.rel[:], self.cg[:], self.sev[:], self.cens[:], dict(self.extra)
        )


@dataclass(frozen=True)
class _Patients:
    ids: list[str]
    msc: list[int]
    pp: list[bool]
    sal: list[float]
    death_lo: list[float]  # earliest day a (non-fixed) death may fall
    potential: list[float]  # days from randomization to the cut-off
    fixed_death: list[float]  # INF when not fixed
    fixed_term: list[str | None]
    no_death: list[bool]  # designated survivors (min / max follow-up)
    cens_fixed: list[float]  # NaN when free


def _none(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT


def _patients(attributes: pd.DataFrame) -> _Patients:
    a = attributes.reset_index(drop=True)
    n = len(a)
    ids = [str(x) for x in a["patient_id"]]
    msc = [1 if x == "MSC" else 0 for x in a["arm"]]
    pp = [bool(x) for x in a["in_pp"]]
    sal = [INF if _none(x) else float(x) for x in a["salvage_day"]]
    fixed = [INF if _none(x) else float(x) for x in a["fixed_death_day"]]
    fterm: list[str | None] = []
    for x in a["fixed_death_cause"]:
        fterm.append(None if _none(x) else _FIXED_TERM.get(str(x).lower(), str(x)))
    pot = [float((CUTOFF - d).days) for d in a["randomization_date"]]
    lo = []
    for i in range(n):
        cands = [29.0, float(a.loc[i, "last_infusion_day"]) + 1]
        for col in ("discontinuation_day", "salvage_day"):
            v = a.loc[i, col]
            if not _none(v):
                cands.append(float(v) + 1)
        lo.append(max(cands))
    no_death = [False] * n
    cens_fixed = [math.nan] * n
    # the 3.3-month minimum: a consent-withdrawn patient lost to follow-up at day 100
    withdrawn = [
        i
        for i in range(n)
        if a.loc[i, "discontinuation_reason"] == "consent_withdrawn" and fixed[i] == INF
    ]
    free = [i for i in range(n) if fixed[i] == INF]
    if withdrawn:
        j = withdrawn[0]
        no_death[j] = True
        cens_fixed[j] = float(_MIN_FU)
    # the 39.2-month maximum: the earliest randomized free patient (if follow-up allows)
    rest = [i for i in free if not no_death[i]]
    if rest:
        j = max(rest, key=lambda i: (pot[i], -i))
        no_death[j] = True
        cens_fixed[j] = float(min(_MAX_FU, pot[j]))
    return _Patients(ids, msc, pp, sal, lo, pot, fixed, fterm, no_death, cens_fixed)


# ---------------------------------------------------------------------------------------------
# endpoints from a state
# ---------------------------------------------------------------------------------------------


def _endpoint_rows(p: _Patients, s: _State, i: int) -> dict[str, tuple[float, int]]:
    """(time, status) of patient i for each endpoint (status 0/1/2 as in cmprsk)."""
    death = s.death[i]
    fu = death if death < INF else s.cens[i]
    dead = death < INF
    rel = s.rel[i] if s.rel[i] <= fu else INF
    cg = s.cg[i] if s.cg[i] <= fu else INF
    out: dict[str, tuple[float, int]] = {}
    out["OS"] = (fu, 1 if dead else 0)
    # relapse / NRM
    if rel < INF:
        out["relapse"] = (rel, 1)
        out["NRM"] = (rel, 2)
    elif dead:
        out["relapse"] = (fu, 2)
        out["NRM"] = (fu, 1)
    else:
        out["relapse"] = (fu, 0)
        out["NRM"] = (fu, 0)
    # cGVHD (competing: relapse, death without cGVHD)
    first_comp = min(rel, death)
    if cg < INF and cg <= first_comp:
        out["cGVHD"] = (cg, 1)
    elif first_comp < INF:
        out["cGVHD"] = (first_comp, 2)
    else:
        out["cGVHD"] = (fu, 0)
    if cg < INF and s.sev[i] and cg <= first_comp:
        out["msGVHD"] = (cg, 1)
    elif first_comp < INF:
        out["msGVHD"] = (first_comp, 2)
    else:
        out["msGVHD"] = (fu, 0)
    # FFS: failure = relapse, NRM death, new systemic therapy; competing: cGVHD onset first
    nrm_death = death if (dead and rel == INF) else INF
    fail = min(p.sal[i], rel, nrm_death)
    if fail > fu:
        fail = INF
    if cg < INF and cg < fail:
        out["FFS"] = (cg, 2)
    elif fail < INF:
        out["FFS"] = (fail, 1)
    else:
        out["FFS"] = (fu, 0)
    return out


_ENDPOINTS = ("OS", "relapse", "NRM", "cGVHD", "msGVHD", "FFS")


def _collect(p: _Patients, s: _State) -> dict[str, dict[str, tuple[list[float], list[int]]]]:
    """population -> endpoint -> (times, statuses) for the MSC (first) and control patients."""
    res: dict[str, dict[str, tuple[list[float], list[int], list[int]]]] = {}
    for pop in ("ITT", "PP"):
        res[pop] = {e: ([], [], []) for e in _ENDPOINTS}
    for i in range(len(p.ids)):
        rows = _endpoint_rows(p, s, i)
        for pop in ("ITT", "PP") if p.pp[i] else ("ITT",):
            for e, (t, stt) in rows.items():
                res[pop][e][0].append(t)
                res[pop][e][1].append(stt)
                res[pop][e][2].append(p.msc[i])
    return res  # type: ignore[return-value]


def _two_year(e: str, times: list[float], status: list[int]) -> float:
    if e == "OS":
        return st.km_at(times, status, HORIZON)
    if e == "FFS":
        return 1.0 - st.cif_at(times, status, HORIZON)
    return st.cif_at(times, status, HORIZON)


def _split(data: tuple[list[float], list[int], list[int]], g: int) -> tuple[list[float], list[int]]:
    t, s, grp = data
    return [x for x, k in zip(t, grp, strict=True) if k == g], [
        x for x, k in zip(s, grp, strict=True) if k == g
    ]


def _estimates(p: _Patients, s: _State, with_tests: bool) -> dict[str, float]:
    res = _collect(p, s)
    est: dict[str, float] = {}
    for name in TARGETS:
        pop, e, arm = name.split(" ")
        g = 1 if arm == "MSC" else 0
        t, stt = _split(res[pop][e], g)  # type: ignore[arg-type]
        est[name] = _two_year(e, t, stt)
    if with_tests:
        for e in HR_TARGETS:
            t, stt, grp = res["PP"][e]  # type: ignore[misc]
            if e == "OS":
                b, se, pv = st.cox_binary(t, stt, grp)
            else:
                b, se, pv = st.fine_gray_binary(t, stt, grp)
            est[f"HR {e}"] = math.exp(b)
            est[f"HR {e} lo"] = math.exp(b - 1.96 * se)
            est[f"HR {e} hi"] = math.exp(b + 1.96 * se)
            est[f"p PP {e}"] = pv
        for name in ("ITT msGVHD", "ITT FFS"):
            e = name.split(" ")[1]
            t, stt, grp = res["ITT"][e]  # type: ignore[misc]
            est[f"p {name}"] = st.fine_gray_binary(t, stt, grp)[2]
        est["p PP OS logrank"] = st.logrank(*res["PP"]["OS"])  # type: ignore[arg-type]
    # follow-up of survivors, months
    fus = sorted(s.cens[i] for i in range(len(p.ids)) if s.death[i] == INF)
    if fus:
        est["FU median"] = float(np.median(fus)) / MONTH
        est["FU min"] = fus[0] / MONTH
        est["FU max"] = fus[-1] / MONTH
    est["relapses"] = sum(1 for x in s.rel if x < INF)
    # deaths within 180 days
    for arm, g in (("MSC", 1), ("control", 0)):
        est[f"deaths180 {arm}"] = sum(
            1 for i in range(len(p.ids)) if p.msc[i] == g and s.death[i] <= 180
        )
    return est


def _z(pv: float) -> float:
    from scipy.stats import norm

    return float(norm.isf(min(max(pv, 1e-12), 1.0) / 2))


_Z_TARGET = {k: _z(v) for k, v in P_TARGETS.items()}


def _loss(est: dict[str, float], with_tests: bool) -> float:
    loss = 0.0
    for name, tgt in TARGETS.items():
        # published values are rounded to 0.1 %: no penalty inside the rounding interval
        d = max(0.0, abs(est[name] - tgt) - 0.0005)
        loss += (d / 0.004) ** 2
    # relapses are rare here: only the one of the control PP estimate is needed
    loss += 2.0 * max(0.0, est["relapses"] - 1)
    loss += 400.0 * (abs(est["deaths180 MSC"] - 7) + abs(est["deaths180 control"] - 6))
    if "FU median" in est:
        loss += (max(0.0, abs(est["FU median"] - FOLLOW_UP_MONTHS[0]) - 0.04) / 0.05) ** 2
    if with_tests:
        for e, tgt in HR_TARGETS.items():
            loss += 0.5 * ((math.log(max(est[f"HR {e}"], 1e-6)) - math.log(tgt)) / 0.05) ** 2
            lo, hi = HR_CI_TARGETS[e]
            width = math.log(est[f"HR {e} hi"] / est[f"HR {e} lo"])
            loss += 0.5 * ((width - math.log(hi / lo)) / 0.1) ** 2
        for k, zt in _Z_TARGET.items():
            pop, e = k.split(" ")
            pv = est[f"p {pop} {e}"]
            loss += 0.5 * ((_z(pv) - zt) / 0.1) ** 2
    return loss


# ---------------------------------------------------------------------------------------------
# the search
# ---------------------------------------------------------------------------------------------


def _in_gap(x: float, gap: tuple[float, float]) -> bool:
    return gap[0] <= x <= gap[1]


def _rand_day(rng: np.random.Generator, lo: float, hi: float, gaps: Sequence[tuple]) -> float:
    if hi < lo:
        return INF
    for _ in range(50):
        x = float(rng.integers(int(lo), int(hi) + 1))
        if not any(_in_gap(x, g) for g in gaps):
            return x
    return INF


def _fu(s: _State, i: int) -> float:
    return s.death[i] if s.death[i] < INF else s.cens[i]


def _repair(p: _Patients, s: _State, i: int) -> None:
    """Drop cGVHD/relapse that would fall on/after the end of follow-up."""
    fu = _fu(s, i)
    if s.cg[i] >= fu:
        s.cg[i] = INF
    if s.rel[i] >= fu:
        s.rel[i] = INF


def _move(p: _Patients, s: _State, rng: np.random.Generator) -> _State:
    n = len(p.ids)
    t = s.copy()
    i = int(rng.integers(0, n))
    kind = int(rng.integers(0, 5))
    if kind == 0 and p.fixed_death[i] == INF and not p.no_death[i]:
        if t.death[i] < INF and rng.random() < 0.4:
            t.death[i] = INF
        else:
            hi = p.potential[i] - 1
            lo = p.death_lo[i]
            if t.death[i] < INF and rng.random() < 0.6:  # local move
                lo = max(lo, t.death[i] - 90)
                hi = min(hi, t.death[i] + 90)
            t.death[i] = _rand_day(rng, lo, hi, (_DEATH_GAP, _HORIZON_GAP))
        _repair(p, t, i)
    elif kind == 1:
        fu = _fu(t, i)
        if t.cg[i] < INF and rng.random() < 0.3:
            t.cg[i] = INF
        elif t.cg[i] < INF and rng.random() < 0.3:
            t.sev[i] = 1 - t.sev[i]
        else:
            lo, hi = _CG_RANGE
            if t.cg[i] < INF and rng.random() < 0.6:
                lo = max(lo, int(t.cg[i]) - 40)
                hi = min(hi, int(t.cg[i]) + 40)
            hi = int(min(hi, fu - 1))
            t.cg[i] = _rand_day(rng, lo, hi, (_HORIZON_GAP,))
            if t.cg[i] < INF and rng.random() < 0.3:
                t.sev[i] = int(rng.integers(0, 2))
    elif kind == 2 and math.isnan(p.cens_fixed[i]):
        lo = 300.0
        hi = min(p.potential[i], _MAX_FU)
        if rng.random() < 0.6:
            lo = max(lo, t.cens[i] - 120)
            hi = min(hi, t.cens[i] + 120)
        c = _rand_day(rng, lo, hi, (_HORIZON_GAP,))
        if c < INF:
            t.cens[i] = c
            _repair(p, t, i)
    elif kind == 3 and p.msc[i] == 0:  # relapse: control arm only (MSC: none in 2 years)
        if t.rel[i] < INF:
            t.rel[i] = INF
        else:
            hi = min(_REL_RANGE[1], _fu(t, i) - 1)
            t.rel[i] = _rand_day(rng, _REL_RANGE[0], hi, (_HORIZON_GAP,))
    elif kind == 4:  # swap a death time between two patients of the same arm
        j = int(rng.integers(0, n))
        ok = (
            p.msc[i] == p.msc[j]
            and p.fixed_death[i] == INF
            and p.fixed_death[j] == INF
            and not p.no_death[i]
            and not p.no_death[j]
        )
        if ok and t.death[i] < INF and t.death[j] == INF:
            d = t.death[i]
            if d >= p.death_lo[j] and d < p.potential[j]:
                t.death[j], t.death[i] = d, INF
                _repair(p, t, j)
    return t


def _initial(p: _Patients, rng: np.random.Generator) -> _State:
    n = len(p.ids)
    death = [p.fixed_death[i] for i in range(n)]
    cens = []
    for i in range(n):
        if not math.isnan(p.cens_fixed[i]):
            cens.append(p.cens_fixed[i])
        else:
            cens.append(_rand_day(rng, 300, min(p.potential[i], _MAX_FU), (_HORIZON_GAP,)))
    return _State(death, [INF] * n, [INF] * n, [0] * n, cens)


def _anneal(
    p: _Patients,
    s: _State,
    rng: np.random.Generator,
    iters: int,
    with_tests: bool,
    temp0: float,
) -> tuple[_State, float]:
    cur = s
    cur_loss = _loss(_estimates(p, cur, with_tests), with_tests)
    best, best_loss = cur, cur_loss
    for k in range(iters):
        temp = temp0 * (1.0 - k / iters) + 1e-3
        cand = _move(p, cur, rng)
        loss = _loss(_estimates(p, cand, with_tests), with_tests)
        if loss <= cur_loss or rng.random() < math.exp(-(loss - cur_loss) / temp):
            cur, cur_loss = cand, loss
            if loss < best_loss:
                best, best_loss = cand, loss
    return best, best_loss


def _search(
    attributes: pd.DataFrame, rng: np.random.Generator, effort: float
) -> tuple[_Patients, _State]:
    p = _patients(attributes)
    s = _initial(p, rng)
    s, _ = _anneal(p, s, rng, int(15000 * effort), with_tests=False, temp0=30.0)
    s, _ = _anneal(p, s, rng, int(10000 * effort), with_tests=True, temp0=5.0)
    s, _ = _anneal(p, s, rng, int(3000 * effort), with_tests=True, temp0=0.5)
    return p, s


# ---------------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------------


def death_primary_term(row: dict[str, object]) -> str | None:
    """The Table 3 term (display label) of the primary grade 5 AE of a death row, if any."""
    details = str(row.get("details") or "")
    if details.startswith(_PRIMARY_PREFIX):
        return details[len(_PRIMARY_PREFIX) :].split(";")[0].strip()
    return None


def _rows(
    attributes: pd.DataFrame, p: _Patients, s: _State, rng: np.random.Generator
) -> list[dict[str, object]]:
    a = attributes.reset_index(drop=True)
    n = len(p.ids)
    # primary terms of the non-fixed deaths within 180 days
    early: dict[str, list[int]] = {"MSC": [], "control": []}
    for i in range(n):
        if s.death[i] <= 180 and p.fixed_death[i] == INF:
            early["MSC" if p.msc[i] else "control"].append(i)
    term_of: dict[int, str] = {}
    for arm, idx in early.items():
        pool = list(DEATH_TERMS[arm])
        order = rng.permutation(len(pool))
        pool = [pool[k] for k in order]
        for k, i in enumerate(sorted(idx, key=lambda j: s.death[j])):
            term_of[i] = pool[k % len(pool)]
    rows: list[dict[str, object]] = []
    for i in range(n):
        day0: dt.date = a.loc[i, "randomization_date"]
        evs: list[tuple[float, dict[str, object]]] = []

        def ev(day: float, etype: str, **kw: object) -> None:
            evs.append((day, {"event_type": etype, **kw}))  # noqa: B023

        reason = a.loc[i, "discontinuation_reason"]
        if bool(a.loc[i, "discontinued_before_d28"]) and not _none(reason):
            ev(
                float(a.loc[i, "discontinuation_day"]),
                "discontinuation",
                discontinuation_reason=str(reason),
            )
        if p.sal[i] < INF:
            agents = list(a.loc[i, "salvage_agents"] or [])
            ev(p.sal[i], "new_systemic_therapy", details="salvage: " + ", ".join(agents))
        if s.rel[i] < INF:
            ev(s.rel[i], "relapse")
        if s.cg[i] < INF:
            sev = ("severe" if rng.random() < 0.3 else "moderate") if s.sev[i] else "mild"
            ev(s.cg[i], "cgvhd_onset", cgvhd_nih_severity=sev)
        if s.death[i] < INF:
            d = s.death[i]
            if p.fixed_death[i] < INF:
                term = p.fixed_term[i] or "Death not else classified"
                cause = CAUSE_OF_TERM.get(term, "other")
                details = _PRIMARY_PREFIX + term
            elif d <= 180:
                term = term_of[i]
                cause = CAUSE_OF_TERM[term]
                details = _PRIMARY_PREFIX + term
                if term == "Death not else classified":
                    details += "; died at home after discharge, family declined details"
            elif s.rel[i] < INF:
                cause, details = "relapse", "death after relapse of the haematologic disease"
            else:
                cause, details = _LATE_CAUSES[int(rng.integers(0, len(_LATE_CAUSES)))]
            ev(
                d,
                "death",
                death_cause=cause,
                death_relapse_related=bool(s.rel[i] < INF),
                details=details,
            )
        else:
            if p.cens_fixed[i] == _MIN_FU:
                ev(s.cens[i], "lost_to_follow_up", details="no contact after day 100")
            else:
                ev(s.cens[i], "last_contact")
        order = {"discontinuation": 0, "new_systemic_therapy": 1, "relapse": 2, "cgvhd_onset": 3}
        evs.sort(key=lambda x: (x[0], order.get(str(x[1]["event_type"]), 9)))
        for k, (day, e) in enumerate(evs, start=1):
            row: dict[str, object] = {
                "patient_id": p.ids[i],
                "event_id": k,
                "event_type": e["event_type"],
                "event_date": day0 + dt.timedelta(days=int(day)),
                "death_cause": e.get("death_cause"),
                "death_relapse_related": e.get("death_relapse_related"),
                "cgvhd_nih_severity": e.get("cgvhd_nih_severity"),
                "discontinuation_reason": e.get("discontinuation_reason"),
                "details": e.get("details"),
            }
            rows.append(row)
    return rows


def generate_outcomes(
    attributes: pd.DataFrame, rng: np.random.Generator, effort: float = 1.0
) -> list[dict]:
    """Events rows (relapse, death, cGVHD onset, new systemic therapy, discontinuation,
    loss to follow-up, last contact) for every randomized patient. Deterministic for a given
    ``rng`` state. ``effort`` scales the number of search iterations (1.0: the reference)."""
    p, s = _search(attributes, rng, effort)
    return _rows(attributes, p, s, rng)


# ---------------------------------------------------------------------------------------------
# reading rows back (used by the tests and the development report)
# ---------------------------------------------------------------------------------------------


def outcome_table(attributes: pd.DataFrame, events: list[dict]) -> pd.DataFrame:
    """One row per patient: day of death, relapse, cGVHD (and severity), salvage, last FU."""
    a = attributes.reset_index(drop=True)
    by: dict[str, dict[str, object]] = {str(pid): {} for pid in a["patient_id"]}
    day0 = dict(zip(a["patient_id"].astype(str), a["randomization_date"], strict=True))
    for e in events:
        pid = str(e["patient_id"])
        d = (e["event_date"] - day0[pid]).days  # type: ignore[operator]
        rec = by[pid]
        et = e["event_type"]
        if et == "death":
            rec["death"] = d
        elif et == "relapse":
            rec["relapse"] = min(d, rec.get("relapse", INF))  # type: ignore[type-var]
        elif et == "cgvhd_onset":
            rec["cgvhd"] = d
            rec["cgvhd_severity"] = e["cgvhd_nih_severity"]
        elif et in ("last_contact", "lost_to_follow_up", "withdrawal"):
            rec["last_fu"] = d
    rows = []
    for i in range(len(a)):
        pid = str(a.loc[i, "patient_id"])
        r = by[pid]
        sal = a.loc[i, "salvage_day"]
        rows.append(
            {
                "patient_id": pid,
                "arm": a.loc[i, "arm"],
                "in_pp": bool(a.loc[i, "in_pp"]),
                "salvage": INF if _none(sal) else float(sal),
                "death": float(r.get("death", INF)),  # type: ignore[arg-type]
                "relapse": float(r.get("relapse", INF)),  # type: ignore[arg-type]
                "cgvhd": float(r.get("cgvhd", INF)),  # type: ignore[arg-type]
                "ms": r.get("cgvhd_severity") in ("moderate", "severe"),
                "last_fu": float(r.get("last_fu", r.get("death", INF))),  # type: ignore[arg-type]
            }
        )
    return pd.DataFrame(rows)


def compute_estimates(attributes: pd.DataFrame, events: list[dict]) -> dict[str, float]:
    """The 2-year estimates, HRs and p-value proxies recomputed from the event rows."""
    tab = outcome_table(attributes, events)
    p = _patients(attributes)
    s = _State(
        death=list(tab["death"]),
        rel=list(tab["relapse"]),
        cg=list(tab["cgvhd"]),
        sev=[int(x) for x in tab["ms"]],
        cens=[x if x < INF else 0.0 for x in tab["last_fu"]],
    )
    return _estimates(p, s, with_tests=True)
