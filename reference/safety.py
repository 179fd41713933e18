"""Adverse events of the synthetic reference trial, reproducing the paper's Table 3 exactly.

SYNTHETIC reconstruction: these are not the trial's patients.

``generate_adverse_events(attributes, events, rng)`` returns ``adverse_events`` rows (CTCAE
v5.0 terms of :mod:`gvhdtrial.data.ctcae`) such that, counting patients per arm in the safety
set (everyone randomized received >= 1 infusion, so safety set = ITT arms):

- every cell of Table 3 (patients with >= 1 event of the term of any grade, of grade 3-4, of
  grade 5) is reproduced exactly (``TABLE3``);
- any AE 40 / 37, any grade 3-4 34 / 31, grade 5 7 / 6 patients;
- SAEs 15 / 15 patients (every fatal AE is serious; none related to the study agent);
- investigational-product related AEs 10 / 9 patients (grade 1-2, not serious);
- no infusion-related toxicity;
- "filler" AEs (terms not printed in Table 3) stay below every listing threshold of Table 3 in
  both arms (< 10 % any grade, < 5 % grade 3-4, no grade 5), so the listing rule would not
  print them;
- grade 5 AEs belong exactly to the patients who died within 180 days; each death carries the
  grade 5 term of its cause (``reference.outcomes.death_primary_term``), some deaths a second
  one; a fatal AE starts on or before the death date and is "fatal" on it; no AE starts after
  death, after the patient's last contact, or after day 180.

The patient x term x grade-class assignment is one integer program (``scipy.optimize.milp``,
HiGHS) with seeded random costs to break ties; dates are then drawn from ``rng``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from gvhdtrial.data import ctcae
from reference.outcomes import CAUSE_OF_TERM, death_primary_term

__all__ = [
    "ARM_N",
    "FILLER_TERMS",
    "TABLE3",
    "TOTALS",
    "count_table3",
    "generate_adverse_events",
    "listed",
]

ARM_N = {"MSC": 40, "control": 38}
AE_WINDOW = 180

# Table 3 (published/table3.csv): display -> (MSC any, 3-4, 5, control any, 3-4, 5)
TABLE3: dict[str, tuple[int, int, int, int, int, int]] = {
    "Thrombocytopenia": (22, 19, 0, 20, 20, 0),
    "Leukopenia": (21, 16, 0, 22, 18, 0),
    "Anemia": (15, 10, 0, 20, 14, 0),
    "Neutropenia": (2, 1, 0, 4, 2, 0),
    "Leukocytosis": (2, 2, 0, 2, 0, 0),
    "Pneumonia": (13, 9, 2, 10, 8, 1),
    "Upper respiratory tract infection": (9, 1, 0, 6, 1, 0),
    "Gastrointestinal infection": (6, 5, 0, 7, 5, 0),
    "Urinary tract infection": (4, 2, 0, 6, 3, 0),
    "Sepsis": (4, 2, 2, 4, 3, 3),
    "Central nervous system infection": (1, 1, 0, 2, 2, 0),
    "Cytomegalovirus DNAemia": (17, 12, 0, 18, 16, 0),
    "Cytomegalovirus disease": (7, 4, 0, 10, 5, 0),
    "Fungal infection": (5, 3, 0, 2, 1, 0),
    "Epstein–Barr virus infection": (2, 0, 0, 3, 2, 0),
    "Other viral infection": (3, 2, 0, 1, 1, 0),
    "Bacterial infection": (1, 1, 0, 2, 2, 0),
    "Fever": (15, 2, 0, 11, 2, 0),
    "Hypokalemia": (12, 6, 0, 15, 7, 0),
    "Hypofibrinogenemia": (12, 2, 0, 13, 1, 0),
    "Hypoalbuminemia": (12, 0, 0, 10, 0, 0),
    "Weight loss": (9, 2, 0, 8, 2, 0),
    "Hypocalcemia": (8, 0, 0, 6, 1, 0),
    "Hemorrhagic cystitis": (7, 5, 0, 8, 7, 0),
    "Gastrointestinal bleeding": (7, 4, 1, 8, 5, 0),
    "Vomiting": (6, 0, 0, 0, 0, 0),
    "Coagulation abnormality": (5, 3, 0, 8, 6, 0),
    "Peripheral edema": (5, 0, 0, 4, 1, 0),
    "TMA": (5, 5, 1, 3, 3, 0),
    "Kidney injury": (5, 2, 0, 3, 2, 0),
    "Diarrhea": (5, 2, 0, 1, 0, 0),
    "Arrhythmia": (5, 0, 1, 1, 0, 0),
    "Oral mucositis": (5, 0, 0, 0, 0, 0),
    "Excessive phlegm": (5, 0, 0, 0, 0, 0),
    "Hypertension": (4, 0, 0, 7, 1, 0),
    "Hypomagnesemia": (4, 1, 0, 5, 0, 0),
    "Blood bilirubin increased": (4, 0, 0, 4, 2, 0),
    "Epilepsy": (4, 2, 0, 3, 3, 0),
    "Hypogammaglobulinemia": (4, 0, 0, 2, 1, 0),
    "Abdominal pain": (4, 2, 0, 1, 0, 0),
    "Insomnia": (4, 0, 0, 1, 0, 0),
    "Heart failure": (3, 2, 0, 7, 5, 1),
    "Hyponatremia": (3, 0, 0, 5, 0, 0),
    "Hypoglycemia": (3, 2, 0, 1, 0, 0),
    "Pleural effusion": (3, 2, 0, 1, 0, 0),
    "Hyperglycemia": (2, 0, 0, 5, 4, 0),
    "Drug-related liver injury": (2, 0, 0, 4, 2, 0),
    "Thyroid disorder": (2, 0, 0, 3, 2, 0),
    "Muscle weakness": (2, 2, 0, 2, 2, 0),
    "Anusitis": (2, 2, 0, 0, 0, 0),
    "Cerebral hemorrhage": (1, 1, 0, 3, 1, 3),
    "Respiratory alkalosis": (1, 0, 0, 2, 2, 0),
    "Cholecystitis": (1, 0, 0, 2, 2, 0),
    "Death not else classified": (1, 0, 1, 0, 0, 0),
    "Intestinal obstruction": (0, 0, 0, 4, 3, 0),
    "Hemorrhagic shock": (0, 0, 0, 3, 3, 0),
    "Cerebral infarction": (0, 0, 0, 2, 2, 0),
    "Veno-occlusive liver disease": (0, 0, 0, 1, 1, 1),
}
# Table 3 "Any adverse event" row and the Results text: patients per arm
TOTALS = {
    "MSC": {"any": 40, "grade3_4": 34, "grade5": 7, "sae": 15, "related": 10, "infusion": 0},
    "control": {"any": 37, "grade3_4": 31, "grade5": 6, "sae": 15, "related": 9, "infusion": 0},
}
# Unlisted CTCAE terms used to make the totals work; each must stay below the listing rule.
FILLER_TERMS: tuple[str, ...] = (
    "Nausea",
    "Fatigue",
    "Hypotension",
    "Rash maculo-papular",
    "Creatinine increased",
    "Alanine aminotransferase increased",
    "Hematuria",
    "Lymphocyte count decreased",
    "INR increased",
)
# grade-5 terms a death's cause code allows when the primary term is not named
_TERMS_OF_CAUSE: dict[str, tuple[str, ...]] = {
    "septic_shock": ("Sepsis",),
    "infection": ("Sepsis", "Pneumonia"),
    "pneumonia": ("Pneumonia",),
    "heart_failure": ("Heart failure",),
    "haemorrhage": ("Gastrointestinal bleeding", "Cerebral hemorrhage"),
    "tma": ("TMA",),
    "vod_sos": ("Veno-occlusive liver disease",),
    "other": ("Arrhythmia", "Death not else classified"),
}
# laboratory / haematology terms are usually found at a visit, not "treated" (short duration)
_ARMS = ("MSC", "control")


listed = ctcae.table3_listed  # Table 3's listing rule, gvhdtrial.data.ctcae (one place)
_filler_caps = ctcae.table3_largest_unlisted  # largest counts of a filler the rule leaves out


def _coding(display: str) -> tuple[str, str | None]:
    if display in TABLE3:
        p = ctcae.paper_term(display)
        return p.term, (p.specify or None)
    return display, None


# ---------------------------------------------------------------------------------------------
# the integer program
# ---------------------------------------------------------------------------------------------


def _solve(
    arms: list[str],
    death_terms: Mapping[int, tuple[tuple[str, ...], bool]],
    rng: np.random.Generator,
) -> dict[tuple[int, str], tuple[int, int, int]]:
    """(patient index, display term) -> (low, grade 3-4, grade 5) indicators, plus the
    per-patient SAE and related flags under the keys (i, "__sae__") and (i, "__rel__")."""
    terms = list(TABLE3) + list(FILLER_TERMS)
    g5_terms = [t for t in TABLE3 if TABLE3[t][2] or TABLE3[t][5]]
    n = len(arms)
    idx: dict[tuple, int] = {}

    def var(key: tuple) -> int:
        if key not in idx:
            idx[key] = len(idx)
        return idx[key]

    for i in range(n):
        for t in terms:
            var(("y", i, t))
            var(("a", i, t))
            var(("b", i, t))
        if i in death_terms:
            for t in g5_terms:
                var(("c", i, t))
        for k in ("z", "w", "s", "r"):
            var((k, i))
    nv = len(idx)
    rows: list[tuple[dict[int, float], float, float]] = []

    def con(coefs: dict[int, float], lo: float, hi: float) -> None:
        rows.append((coefs, lo, hi))

    ub = np.ones(nv)
    lb = np.zeros(nv)
    for i in range(n):
        arm = arms[i]
        dead = i in death_terms
        for t in terms:
            y, a, b = idx[("y", i, t)], idx[("a", i, t)], idx[("b", i, t)]
            c = idx.get(("c", i, t))
            # y = any grade: b <= y, c <= y, a <= y, y <= a + b + c
            con({b: 1, y: -1}, -np.inf, 0)
            con({a: 1, y: -1}, -np.inf, 0)
            lo_ = {y: 1.0, a: -1.0, b: -1.0}
            if c is not None:
                con({c: 1, y: -1}, -np.inf, 0)
                lo_[c] = -1.0
            con(lo_, -np.inf, 0)
            # z (any AE), w (any grade 3-4)
            con({y: 1, idx[("z", i)]: -1}, -np.inf, 0)
            con({b: 1, idx[("w", i)]: -1}, -np.inf, 0)
        con({idx[("z", i)]: 1, **{idx[("y", i, t)]: -1 for t in terms}}, -np.inf, 0)
        con({idx[("w", i)]: 1, **{idx[("b", i, t)]: -1 for t in terms}}, -np.inf, 0)
        # SAE: every death within 180 days; else needs a grade 3-4 event
        s, w, r = idx[("s", i)], idx[("w", i)], idx[("r", i)]
        if dead:
            lb[s] = 1
        else:
            con({s: 1, w: -1}, -np.inf, 0)
        # related: needs a grade 1-2 event (related AEs are mild and never serious)
        con({r: 1, **{idx[("a", i, t)]: -1 for t in terms}}, -np.inf, 0)
        if dead:
            allowed, exclusive = death_terms[i]
            cs = [idx[("c", i, t)] for t in g5_terms]
            con(dict.fromkeys(cs, 1.0), 1, 1 if exclusive else 2)
            con({idx[("c", i, t)]: 1 for t in allowed}, 1, np.inf)
            if exclusive:
                # "death NOS": nothing else known about the death
                for t in g5_terms:
                    if t not in allowed:
                        ub[idx[("c", i, t)]] = 0
        # fillers: never grade 5 (no c var); arm-level caps below
        _ = arm
    for arm in _ARMS:
        members = [i for i in range(n) if arms[i] == arm]
        k = 0 if arm == "MSC" else 3
        for t, cells in TABLE3.items():
            any_n, g34, g5 = cells[k], cells[k + 1], cells[k + 2]
            con({idx[("y", i, t)]: 1 for i in members}, any_n, any_n)
            con({idx[("b", i, t)]: 1 for i in members}, g34, g34)
            cs = {idx[("c", i, t)]: 1.0 for i in members if ("c", i, t) in idx}
            if cs:
                con(cs, g5, g5)
            elif g5:
                raise ValueError(f"Table 3, {t}, {arm}: no death within 180 days to carry it")
        any_cap, g34_cap = _filler_caps(len(members))
        for t in FILLER_TERMS:
            con({idx[("y", i, t)]: 1 for i in members}, 0, any_cap)
            con({idx[("b", i, t)]: 1 for i in members}, 0, g34_cap)
        tot = TOTALS[arm]
        for key, col in (("z", "any"), ("w", "grade3_4"), ("s", "sae"), ("r", "related")):
            con({idx[(key, i)]: 1 for i in members}, tot[col], tot[col])
    a_mat = lil_matrix((len(rows), nv))
    lo_v = np.empty(len(rows))
    hi_v = np.empty(len(rows))
    for r_i, (coefs, lo, hi) in enumerate(rows):
        for j, v in coefs.items():
            a_mat[r_i, j] = v
        lo_v[r_i], hi_v[r_i] = lo, hi
    # seeded random costs break ties; extra low-grade events and fillers cost a little more
    cost = rng.random(nv)
    for key, j in idx.items():
        if key[0] == "a":
            cost[j] += 0.5
        if len(key) == 3 and key[2] in FILLER_TERMS:
            cost[j] += 1.0
    res = milp(
        cost,
        constraints=LinearConstraint(a_mat.tocsr(), lo_v, hi_v),
        integrality=np.ones(nv),
        bounds=Bounds(lb, ub),
        options={"time_limit": 120},
    )
    if res.x is None:
        raise RuntimeError(f"Table 3 integer program has no solution: {res.message}")
    x = np.round(res.x).astype(int)
    out: dict[tuple[int, str], tuple[int, int, int]] = {}
    for i in range(n):
        for t in terms:
            yv = x[idx[("y", i, t)]]
            if not yv:
                continue
            c = idx.get(("c", i, t))
            out[(i, t)] = (x[idx[("a", i, t)]], x[idx[("b", i, t)]], x[c] if c is not None else 0)
        out[(i, "__sae__")] = (x[idx[("s", i)]], 0, 0)
        out[(i, "__rel__")] = (x[idx[("r", i)]], 0, 0)
    return out


# ---------------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------------


def _death_info(
    events: Iterable[Mapping[str, object]], day0: Mapping[str, dt.date]
) -> tuple[dict[str, tuple[int, str | None, str]], dict[str, int]]:
    deaths: dict[str, tuple[int, str | None, str]] = {}
    last: dict[str, int] = {}
    for e in events:
        pid = str(e["patient_id"])
        d = (e["event_date"] - day0[pid]).days  # type: ignore[operator]
        if e.get("event_type", "death") == "death":
            deaths[pid] = (d, death_primary_term(dict(e)), str(e.get("death_cause") or "other"))
        elif e.get("event_type") in ("last_contact", "lost_to_follow_up", "withdrawal"):
            last[pid] = max(d, last.get(pid, 0))
    return deaths, last


def generate_adverse_events(
    attributes: pd.DataFrame, deaths: Iterable[Mapping[str, object]], rng: np.random.Generator
) -> list[dict]:
    """``adverse_events`` rows reproducing Table 3 (see the module docstring).

    ``deaths``: the events rows of :func:`reference.outcomes.generate_outcomes` (all of them,
    or only the deaths); deaths within 180 days get the grade 5 AEs, and last-contact rows, when
    given, bound the AE onset dates.
    """
    a = attributes.reset_index(drop=True)
    ids = [str(x) for x in a["patient_id"]]
    arms = [str(x) for x in a["arm"]]
    day0 = dict(zip(ids, a["randomization_date"], strict=True))
    death_info, last = _death_info(list(deaths), day0)
    death_terms: dict[int, tuple[tuple[str, ...], bool]] = {}
    for i, pid in enumerate(ids):
        if pid in death_info and death_info[pid][0] <= AE_WINDOW:
            _, primary, cause = death_info[pid]
            if primary is not None:
                allowed: tuple[str, ...] = (primary,)
            else:
                allowed = _TERMS_OF_CAUSE.get(cause, tuple(CAUSE_OF_TERM))
            exclusive = allowed == ("Death not else classified",)
            death_terms[i] = (allowed, exclusive)
    sol = _solve(arms, death_terms, rng)

    rows: list[dict] = []
    for i, pid in enumerate(ids):
        death_day = death_info.get(pid, (None,))[0]
        limit = AE_WINDOW
        if death_day is not None:
            limit = min(limit, int(death_day))
        if pid in last:
            limit = min(limit, last[pid])
        sae_flag = sol[(i, "__sae__")][0]
        rel_flag = sol[(i, "__rel__")][0]
        evs: list[dict] = []
        for t in list(TABLE3) + list(FILLER_TERMS):
            if (i, t) not in sol:
                continue
            low, high, fatal = sol[(i, t)]
            if fatal:
                assert death_day is not None
                onset = max(1, int(death_day) - int(rng.integers(0, 8)))
                evs.append(_ae(t, 5, onset, None, "fatal", serious=True))
            if high:
                end = limit - 1 if fatal or death_day is not None else limit
                onset = _onset(rng, max(1, end))
                evs.append(_ae(t, int(rng.choice([3, 3, 4])), onset, death_day, "", serious=False))
            if low:
                end = limit - 1 if death_day is not None else limit
                onset = _onset(rng, max(1, end))
                evs.append(_ae(t, int(rng.choice([1, 2])), onset, death_day, "", serious=False))
        # outcomes and resolution dates
        for e in evs:
            if e["outcome"] == "fatal":
                continue
            dur = int(rng.integers(3, 31))
            end_day = e["_onset"] + dur
            if death_day is not None and end_day >= death_day:
                e["outcome"] = "not_recovered"
            elif end_day > (last.get(pid, 10**6)):
                e["outcome"] = "recovering"
            else:
                e["outcome"] = "recovered"
                e["_res"] = end_day
        # SAE: a non-fatal patient's SAE is one of its grade 3-4 events
        if sae_flag and not any(e["serious"] for e in evs):
            highs = [e for e in evs if e["grade"] in (3, 4)]
            highs[int(rng.integers(0, len(highs)))]["serious"] = True
        if rel_flag:
            lows = [e for e in evs if e["grade"] <= 2 and not e["serious"]]
            lows[int(rng.integers(0, len(lows)))]["related"] = True
        evs.sort(key=lambda e: (e["_onset"], e["term_display"]))
        for k, e in enumerate(evs, start=1):
            term, specify = _coding(e["term_display"])
            rows.append(
                {
                    "patient_id": pid,
                    "ae_id": k,
                    "term": term,
                    "term_specify": specify,
                    "soc": ctcae.soc_of(term),
                    "grade": e["grade"],
                    "serious": bool(e["serious"]),
                    "related_to_study_agent": bool(e["related"]),
                    "infusion_related": False,
                    "onset_date": day0[pid] + dt.timedelta(days=e["_onset"]),
                    "resolution_date": (
                        day0[pid] + dt.timedelta(days=e["_res"]) if "_res" in e else None
                    ),
                    "outcome": e["outcome"],
                }
            )
    return rows


def _onset(rng: np.random.Generator, end: int) -> int:
    """Onset day in [1, end], skewed towards the treatment period."""
    return 1 + math.floor(end * float(rng.beta(1.0, 2.2)))


def _ae(
    display: str, grade: int, onset: int, death_day: int | None, outcome: str, serious: bool
) -> dict:
    _ = death_day
    return {
        "term_display": display,
        "grade": grade,
        "_onset": onset,
        "outcome": outcome,
        "serious": serious,
        "related": False,
    }


# ---------------------------------------------------------------------------------------------
# counting (for the tests and the report)
# ---------------------------------------------------------------------------------------------


def count_table3(
    attributes: pd.DataFrame, ae_rows: Iterable[Mapping[str, object]]
) -> dict[str, dict[str, tuple[int, int, int]]]:
    """display term (Table 3 label, or the CTCAE term of an unlisted AE) -> arm ->
    (patients with any grade, with grade 3-4, with grade 5). Key "__any__" holds the totals."""
    arm_of = dict(zip(attributes["patient_id"].astype(str), attributes["arm"], strict=True))
    sets: dict[str, dict[str, tuple[set, set, set]]] = {}
    for r in ae_rows:
        pid = str(r["patient_id"])
        label = ctcae.table3_label(str(r["term"]), r.get("term_specify"))  # type: ignore[arg-type]
        g = int(r["grade"])  # type: ignore[call-overload]
        for key in (label or str(r["term"]), "__any__"):
            d = sets.setdefault(key, {arm: (set(), set(), set()) for arm in _ARMS})
            s_any, s34, s5 = d[arm_of[pid]]
            s_any.add(pid)
            if g in (3, 4):
                s34.add(pid)
            if g == 5:
                s5.add(pid)
    return {
        k: {arm: tuple(len(x) for x in v[arm]) for arm in _ARMS}  # type: ignore[misc]
        for k, v in sets.items()
    }
