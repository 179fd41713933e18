"""From the solved categorical profile of each patient to the full attribute table.

After the MILP (``reference.solve``) this module adds, deterministically for a seed:

1. continuous baseline values with Table 1's medians and ranges (``reference.continuous``);
2. centres, the randomization schedule (stratified permuted blocks from
   ``gvhdtrial.randomization``), randomization dates from July 2020 to March 2022, and the
   patient numbers (in screening order, together with the 42 screen failures);
3. the day-level plan of each patient: first-line steroid course (steroid start and the day
   the SR criterion is met), screening day, infusions, discontinuation, salvage, deaths fixed
   by the efficacy story, the visit days and the course of the disease as phases
   ``(day, state)`` with state NR (= baseline stages), PD (worse), PR or CR, chosen so that
   the responses at d28/d56, the durable CR and the MSC response times come out as targeted.

SYNTHETIC reconstruction: these are not the trial's patients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gvhdtrial.protocol import treatment_plan
from gvhdtrial.randomization.schedule import ScheduleParams, generate_schedule
from reference import targets as T
from reference.continuous import ValueClass, solve_values

__all__ = [
    "SCREEN_FAILURE_REASONS",
    "SITES",
    "assemble_attributes",
    "build_screen_failures",
    "plan_infusion_days",
]

#: Seven synthetic centres: (site_id, name, city, patients randomized, first-line steroid
#: dose in methylprednisolone mg/kg/day (one per centre, paper: "consistent within each
#: centre"), baseline second-line agents allowed (at most two per centre, Discussion)).
SITES: tuple[tuple[str, str, str, int, float, tuple[str, ...]], ...] = (
    ("S1", "Synthetic Haematology Centre 1", "Beijing", 18, 2.0, ("basiliximab", "methotrexate")),
    (
        "S2",
        "Synthetic Haematology Centre 2",
        "Tianjin",
        15,
        1.0,
        ("basiliximab", "mycophenolate mofetil"),
    ),
    ("S3", "Synthetic Haematology Centre 3", "Beijing", 12, 2.0, ("basiliximab", "tacrolimus")),
    ("S4", "Synthetic Haematology Centre 4", "Shijiazhuang", 11, 1.0, ("basiliximab", "sirolimus")),
    ("S5", "Synthetic Haematology Centre 5", "Jinan", 9, 2.0, ("basiliximab", "methotrexate")),
    ("S6", "Synthetic Haematology Centre 6", "Taiyuan", 8, 1.0, ("basiliximab",)),
    ("S7", "Synthetic Haematology Centre 7", "Hohhot", 5, 2.0, ("methotrexate", "basiliximab")),
)
FIRST_RANDOMIZATION = dt.date(2020, 7, 6)
LAST_RANDOMIZATION = dt.date(2022, 3, 28)
SCREENING_START = dt.date(2020, 6, 1)
SCREENING_END = dt.date(2022, 3, 31)

#: Why the 42 screen failures were not eligible (checked through ``gvhdtrial.protocol.screen``
#: when realized); counts add to 120 - 78.
SCREEN_FAILURE_REASONS: tuple[tuple[str, int], ...] = (
    ("not_steroid_refractory", 9),
    ("grade_I", 5),
    ("uncontrolled_infection", 7),
    ("gi_infection", 4),
    ("gut_ta_tma", 3),
    ("creatinine_clearance", 3),
    ("no_consent", 5),
    ("severe_vod_sos", 2),
    ("nyha_iii_iv", 1),
    ("age_over_70", 1),
    ("not_first_hsct", 1),
    ("infection_and_creatinine", 1),
)

#: Lowest aGVHD onset-to-randomization days by SR category: the criterion's day (3, 7, 14;
#: category 4: the dose is raised on day 11 after a flare on day 10) plus the randomization.
ONSET_LOWER_BOUND = {1: 3, 2: 7, 3: 14, 4: 12}
SR_CRITERION_DAY = {2: 7, 3: 14, 4: 11}

STEROID_GRID = (
    4, 8, 10, 12, 16, 20, 24, 30, 32, 40, 45, 48, 50, 60, 64, 70, 75, 80, 90, 100, 110, 120,
    125, 130, 140, 150, 160, 170,
)  # fmt: skip
SALVAGE_OTHER = ("etanercept", "antithymocyte_globulin", "infliximab", "vedolizumab")


def plan_infusion_days() -> tuple[int, ...]:
    """The 16 planned infusion days counted from the first infusion (protocol engine)."""
    plan = treatment_plan(60.0, dt.date(2021, 1, 1), "PR")
    return tuple(i.day for i in plan.infusions)


PLAN16 = plan_infusion_days()
#: Post-baseline visit days counted from the first infusion (2-3 a week to d56, weekly to
#: d100, then d180 and d360; docs/protocol.md section 4).
PLAN_VISITS = (*[d for d in PLAN16 if d > 0], 56, 63, 70, 77, 84, 91, 98, 180, 360)


# ---------------------------------------------------------------------------------------------
# 1. continuous values
# ---------------------------------------------------------------------------------------------


def _targets(variable: str, arm: str, scale: float = 1.0) -> dict[str, tuple[float, float, float]]:
    out = {}
    for t in T.CONTINUOUS_TARGETS:
        if t.variable == variable and t.arm == arm:
            out[t.population] = (t.median * scale, t.low * scale, t.high * scale)
    return out


def _continuous(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    out = table.copy()
    for col in ("age", "cd34_dose", "onset_to_randomization_days", "baseline_steroid_mg"):
        out[col] = np.nan
    for a, arm in enumerate(T.ARMS):
        sub = out[out["arm"] == arm]

        def classes(key_of, allowed_of, sub=sub):
            keys: dict[object, list[int]] = {}
            for i, row in sub.iterrows():
                keys.setdefault(key_of(row), []).append(i)
            cls = [
                ValueClass(k, bool(k[0]), len(idx), frozenset(allowed_of(k)))
                for k, idx in sorted(keys.items(), key=lambda kv: str(kv[0]))
            ]
            return cls, keys

        def deal(col, cls, keys, values, scale=1.0):
            for c in cls:
                for i, v in zip(keys[c.key], values[c.key], strict=True):
                    out.loc[i, col] = v / scale

        # age: < 18 is a Table 1 row of its own
        cls, keys = classes(
            lambda r: (bool(r["pp"]), r["age_group"]),
            lambda k: range(13, 18) if k[1] == "<18" else range(18, 71),
        )
        vals = solve_values(f"age {arm}", cls, range(13, 71), _targets("age", arm), seed + a)
        deal("age", cls, keys, vals)
        # CD34+ in tenths of 10^6/kg
        cls, keys = classes(lambda r: (bool(r["pp"]),), lambda k: range(10, 200))
        vals = solve_values(
            f"CD34+ {arm}", cls, range(10, 200), _targets("cd34_dose", arm, 10), seed + 10 + a
        )
        deal("cd34_dose", cls, keys, vals, 10.0)
        # onset to randomization: at least the SR criterion's day
        cls, keys = classes(
            lambda r: (bool(r["pp"]), int(r["sr_category"])),
            lambda k: range(ONSET_LOWER_BOUND[k[1]], 100),
        )
        vals = solve_values(
            f"onset to randomization {arm}",
            cls,
            range(3, 100),
            _targets("onset_to_randomization_days", arm),
            seed + 20 + a,
        )
        deal("onset_to_randomization_days", cls, keys, vals)
        cls, keys = classes(lambda r: (bool(r["pp"]),), lambda k: STEROID_GRID)
        vals = solve_values(
            f"baseline steroid dose {arm}",
            cls,
            STEROID_GRID,
            _targets("baseline_steroid_mg", arm),
            seed + 30 + a,
        )
        deal("baseline_steroid_mg", cls, keys, vals)
    out["age"] = out["age"].astype(int)
    out["onset_to_randomization_days"] = out["onset_to_randomization_days"].astype(int)
    return out


# ---------------------------------------------------------------------------------------------
# 2. centres, randomization, dates, patient numbers
# ---------------------------------------------------------------------------------------------


def _schedule_counts(seed: int) -> list[list[str]]:
    """Arms of each centre's first n slots; the first seed (from ``seed``) giving 40 vs 38."""
    strata = tuple(s[0] for s in SITES)
    for k in range(1000):
        sched = generate_schedule(
            ScheduleParams(
                seed=seed + k,
                strata=strata,
                slots_per_stratum=max(s[3] for s in SITES),
                arms=("MSC", "control"),
            )
        )
        arms = [[sl.arm for sl in sched.stratum_slots(s[0])][: s[3]] for s in SITES]
        if sum(a.count("MSC") for a in arms) == T.POPULATION_SIZES[("ITT", "MSC")]:
            return arms
    raise RuntimeError("no schedule seed gives 40 MSC / 38 control")


def _allocate_sites(out: pd.DataFrame, rng: np.random.Generator, seed: int) -> pd.DataFrame:
    """Centre and sequence number: each patient to a centre slot of its arm whose centre uses
    the patient's second-line agent (at most two agents per centre)."""
    arms = _schedule_counts(seed)
    slots: dict[str, list[tuple[str, int]]] = {"MSC": [], "control": []}
    for (site_id, *_rest), site_arms in zip(SITES, arms, strict=True):
        for seq, arm in enumerate(site_arms, start=1):
            slots[arm].append((site_id, seq))
    allowed = {s[0]: set(s[5]) for s in SITES}
    out = out.copy()
    out["site_id"] = ""
    out["sequence_number"] = 0
    for arm in T.ARMS:
        free = list(slots[arm])
        idx = list(out.index[out["arm"] == arm])
        # rarest agents first, then the rest
        agents = out.loc[idx, "second_line_agent"]
        order = sorted(idx, key=lambda i: (int((agents == agents[i]).sum()), rng.random()))
        for i in order:
            ok = [k for k, (site, _) in enumerate(free) if agents[i] in allowed[site]]
            if not ok:
                raise RuntimeError(f"no centre slot for {arm} patient {i} ({agents[i]})")
            k = ok[int(rng.integers(len(ok)))]
            out.loc[i, "site_id"], out.loc[i, "sequence_number"] = free.pop(k)
    return out


def _dates(out: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Randomization dates: centres open in turn; within a centre, dates in sequence order."""
    out = out.copy()
    span = (LAST_RANDOMIZATION - FIRST_RANDOMIZATION).days
    dates: dict[int, dt.date] = {}
    for k, (site_id, *_r) in enumerate(SITES):
        members = out[out["site_id"] == site_id].sort_values("sequence_number")
        opening = 0 if k == 0 else int(rng.integers(0, span // 3))
        days = np.sort(rng.choice(np.arange(opening, span + 1), size=len(members), replace=False))
        if k == 0:
            days[0] = 0
        for i, d in zip(members.index, days, strict=True):
            dates[i] = FIRST_RANDOMIZATION + dt.timedelta(days=int(d))
    if max(dates.values()) != LAST_RANDOMIZATION:
        last = max(dates, key=lambda i: dates[i])
        dates[last] = LAST_RANDOMIZATION
    out["randomization_date"] = [dates[i] for i in out.index]
    return out


def build_screen_failures(seed: int) -> pd.DataFrame:
    """The 42 screen failures: centre, screening date and the reason they will fail."""
    rng = np.random.default_rng([seed, 3])
    reasons = [r for r, n in SCREEN_FAILURE_REASONS for _ in range(n)]
    weights = np.array([s[3] for s in SITES], dtype=float)
    sites = rng.choice([s[0] for s in SITES], size=len(reasons), p=weights / weights.sum())
    span = (SCREENING_END - SCREENING_START).days
    days = rng.integers(0, span + 1, size=len(reasons))
    return pd.DataFrame(
        {
            "reason": reasons,
            "site_id": sites,
            "screening_date": [SCREENING_START + dt.timedelta(days=int(d)) for d in days],
        }
    )


def _number_patients(
    out: pd.DataFrame, failures: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patient numbers P001-P120 in screening order (randomized and screen failures)."""
    rows = [
        (d, s, "R", i)
        for i, d, s in zip(out.index, out["screening_date"], out["site_id"], strict=True)
    ]
    rows += [
        (d, s, "F", i)
        for i, d, s in zip(
            failures.index, failures["screening_date"], failures["site_id"], strict=True
        )
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    out, failures = out.copy(), failures.copy()
    out["patient_id"] = ""
    failures["patient_id"] = ""
    for n, (_d, _s, kind, i) in enumerate(rows, start=1):
        target = out if kind == "R" else failures
        target.loc[i, "patient_id"] = f"P{n:03d}"
    return out, failures


# ---------------------------------------------------------------------------------------------
# 3. the day-level plan of each patient
# ---------------------------------------------------------------------------------------------


def _msc_response_days(n: int, rng: np.random.Generator) -> list[int]:
    """n first-response days with median 14 and range 5-22 (Results, Efficacy)."""
    t = T.TEXT_TARGETS["msc_response_time"]
    lo, med, hi = t["low"], t["median"], t["high"]
    if n < 4:
        raise ValueError("need at least 4 MSC responders")
    half = (n - 4) // 2
    days = [lo, hi, med, med]
    days += list(rng.integers(lo, med + 1, size=half))
    days += list(rng.integers(med, hi + 1, size=n - 4 - half))
    days = [int(d) for d in days]
    assert float(np.median(days)) == med and min(days) == lo and max(days) == hi
    return [days[i] for i in rng.permutation(n)]


def _first_infusion_for(day: int, rng: np.random.Generator) -> tuple[int, int]:
    """(first infusion day f, jitter) so that a visit falls on ``day`` (plan visit + f +/- 1)."""
    options = []
    for f in (0, 1):
        for p in PLAN_VISITS[:8]:
            j = day - p - f
            if abs(j) <= 1:
                options.append((abs(j), f, j))
    best = min(o[0] for o in options)
    choice = [o for o in options if o[0] == best]
    _, f, j = choice[int(rng.integers(len(choice)))]
    return f, j


def _pick(visits: Sequence[int], lo: int, hi: int, rng: np.random.Generator) -> int:
    cands = [v for v in visits if lo <= v <= hi]
    if not cands:
        raise AssertionError(f"no visit day in [{lo}, {hi}]")
    return int(cands[int(rng.integers(len(cands)))])


def _course(
    r28: str, r56: str, dcr: bool, f: int, first_response: int | None, visits: Sequence[int],
    rng: np.random.Generator, pr_ok: bool = True,
) -> list[tuple[int, str]]:  # fmt: skip
    """Phases (day, state) of the post-baseline course for one trajectory (module docstring).

    ``pr_ok`` is False when the baseline has no organ at stage >= 2 (grade II without skin):
    such a patient goes straight to CR, and a later flare is back to NR.
    """
    ph: list[tuple[int, str]] = [(0, "NR")]
    late_flare = "PR" if pr_ok else "NR"
    d28, d56 = f + 28, f + 56

    def pick(lo: int, hi: int) -> int:
        return _pick(visits, lo, hi, rng)

    if r28 in ("CR", "PR"):
        assert first_response is not None
        r = first_response
        if r28 == "PR":
            ph.append((r, "PR"))
            if r56 == "PR" and dcr:
                ph.append((pick(f + 63, f + 70), "CR"))
            elif r56 == "CR" and dcr:
                ph.append((pick(d28 + 3, d56), "CR"))
            elif r56 == "CR":
                ph += [(pick(f + 35, d56), "CR"), (f + 63, late_flare)]
            elif r56 in ("NR", "PD"):
                ph.append((pick(d28 + 3, d56), r56))
        else:
            c = pick(max(r, f + 7), f + 24) if pr_ok else r
            if c > r:
                ph.append((r, "PR"))
            ph.append((c, "CR"))
            if r56 != "CR" and dcr:
                ph.append((d56, r56))
            elif r56 != "CR":
                ph.append((pick(d28 + 3, min(c + 28, d56)), r56))
    elif r28 == "NR":
        if r56 == "PD":
            ph.append((pick(d28 + 3, d56), "PD"))
        elif r56 == "PR":
            ph.append((pick(d28 + 3, d56), "PR"))
        elif r56 == "CR" and dcr:
            ph.append((pick(d28 + 3, d56), "CR"))
        elif r56 == "CR":
            ph += [(pick(f + 35, d56), "CR"), (f + 63, late_flare)]
    else:  # PD at d28
        ph.append((pick(f + 3, f + 24), "PD"))
        if r56 in ("NR", "PR"):
            ph.append((pick(d28 + 3, d56), r56))
    return ph


def state_on(phases: Sequence[tuple[int, str]], day: int) -> str:
    """The disease state on a study day (the last phase started on or before it)."""
    state = phases[0][1]
    for start, s in phases:
        if start <= day:
            state = s
    return state


def _insert_phase(phases: list[tuple[int, str]], day: int, state: str) -> list[tuple[int, str]]:
    kept = [(d, s) for d, s in phases if d < day]
    return [*kept, (day, state)]


def _plan_patient(
    rec: dict, first_response: int | None, rng: np.random.Generator, n_forced: int | None = None
) -> dict:
    """Day-level plan of one randomized patient (days from randomization).

    ``n_forced`` fixes the number of infusions of a patient who left before the 8th (the MSC
    minimum of 2 doses, Results, Efficacy).
    """
    r28, r56, dcr = rec["response_d28"], rec["response_d56"], bool(rec["dcr"])
    disposition, salvage, pp = rec["disposition"], rec["salvage"], bool(rec["pp"])
    grade_iv_pd = rec["grade"] == 4 and r28 == "PD"
    jitter = 0
    if first_response is not None and first_response <= 26:
        f, jitter = _first_infusion_for(first_response, rng)
    else:
        f = int(rng.integers(0, 2))
    visits = [f + p for p in PLAN_VISITS]
    if jitter:
        k = min(range(8), key=lambda k: abs(visits[k] - first_response))
        visits[k] = first_response
    if grade_iv_pd:
        visits = sorted({f + 2, *visits})  # progression within 2 days of the first MSC infusion
    plan = {"first_infusion_day": f, "visit_days": tuple(visits)}

    # disposition before d28
    disc_day = None
    salvage_day = None
    death_day, death_cause = None, None
    if disposition != "on_study":
        if pp:
            n_inf = 8
            disc_day = int(rng.integers(f + PLAN16[7] + 1, 28))
        else:
            lo_k = 4 if disposition == "salvage_failure" else 3
            n_inf = n_forced if n_forced is not None else int(rng.integers(lo_k, 8))
            disc_day = int(rng.integers(f + PLAN16[n_inf - 1] + 1, min(f + PLAN16[n_inf], 27) + 1))
        if disposition == "salvage_failure":
            salvage_day = int(rng.integers(f + 3, disc_day - 1))
        if disposition == "death":
            death_day = disc_day
    elif pp:
        n_inf = 16 if r28 == "PR" else 8
    else:
        n_inf = int(rng.integers(4, 8))  # stopped the study treatment early, stayed on study

    pr_ok = not (rec["grade"] == 2 and "skin" not in rec["organs"])
    phases = _course(r28, r56, dcr, f, first_response, visits, rng, pr_ok)
    if grade_iv_pd:
        phases = [(0, "NR"), (f + 2, "PD")] + [p for p in phases if p[0] > f + 2 and p[1] != "PD"]
    if salvage == "before_d28" and disposition == "on_study":
        salvage_day = int(rng.integers(f + 7, f + 25))
    elif salvage == "d28_d56":
        salvage_day = int(rng.integers(f + 35, f + 53))
    elif salvage == "after_d56":
        salvage_day = int(rng.integers(f + 64, f + 96))
        if grade_iv_pd:
            salvage_day = int(rng.integers(f + 60, 69))
    if salvage_day is not None:
        # salvage for fast progression: worse at the visit before it (not before d28's window
        # for a d28-d56 salvage, nor before d56's for a later one)
        floor = {"before_d28": 1, "d28_d56": f + 31, "after_d56": f + 57}[salvage]
        before = [v for v in visits if floor <= v < salvage_day]
        if before and state_on(phases, before[-1]) != "PD":
            phases = _insert_phase(phases, before[-1], "PD")
        if salvage == "d28_d56" and n_inf > 8:
            n_inf = sum(1 for d in PLAN16 if f + d < salvage_day)
    if disposition == "salvage_failure" and len(phases) == 1:
        phases = _insert_phase(phases, min(f + 3, salvage_day), "PD")
    if grade_iv_pd:
        death_day, death_cause = 70, "pneumonia"

    infusion_days = [f + d for d in PLAN16[:n_inf]]
    first_resp = next((d for d, s in phases if s in ("PR", "CR")), None)
    cr_day = next((d for d, s in phases if s == "CR"), None)
    salvaged_before = (
        salvage_day is not None and first_resp is not None and salvage_day <= first_resp
    )
    dcr_confirm = None
    if dcr:
        c = cr_day
        dcr_confirm = min(v for v in visits if v >= c + 28)
    min_event = max(infusion_days[-1] + 1, 32 if r28 != "NR" else 29)
    if r56 != "NR":
        min_event = max(min_event, f + 60)
    if dcr_confirm is not None:
        min_event = max(min_event, dcr_confirm + 1)
    plan.update(
        n_infusions=n_inf,
        infusion_days=tuple(infusion_days),
        last_infusion_day=infusion_days[-1],
        discontinued_before_d28=disposition != "on_study",
        discontinuation_reason=None if disposition == "on_study" else disposition,
        discontinuation_day=disc_day,
        treatment_stopped_early=disposition == "on_study" and not pp,
        salvage_day=salvage_day,
        fixed_death_day=death_day,
        fixed_death_cause=death_cause,
        course_phases=tuple(phases),
        first_response_day=None if salvaged_before else first_resp,
        cr_day=cr_day,
        flare_day=next(
            (
                d
                for (d, s), (_, prev) in zip(phases[1:], phases, strict=False)
                if prev in ("CR", "PR") and s not in ("CR", "PR")
            ),
            None,
        ),
        dcr_confirmation_day=dcr_confirm,
        min_event_day=min_event,
    )
    return plan


def _pre_randomization(rec: dict, rng: np.random.Generator) -> dict:
    """Steroid start, the SR criterion's day and the screening day (negative: before day 0)."""
    o = int(rec["onset_to_randomization_days"])
    cat = int(rec["sr_category"])
    lb = ONSET_LOWER_BOUND[cat]
    g = int(rng.integers(0, min(2, o - lb) + 1))
    d_sr = int(rng.integers(3, min(6, o - g) + 1)) if cat == 1 else SR_CRITERION_DAY[cat]
    steroid_start = -o + g
    criterion = steroid_start + d_sr
    screening = min(0, max(criterion, -int(rng.integers(0, 4))))
    return {
        "steroid_start_day": steroid_start,
        "sr_criterion_day": criterion,
        "screening_day": screening,
    }


def _salvage_agents(rec: dict, rng: np.random.Generator) -> list[str]:
    if rec["salvage"] == "none":
        return []
    others = [a for a in SALVAGE_OTHER]
    if rec["ruxolitinib"]:
        agents = ["ruxolitinib"]
        if rng.random() < 0.3:
            agents.append(others[int(rng.integers(len(others)))])
    else:
        k = 2 if rng.random() < 0.3 else 1
        agents = [str(a) for a in rng.choice(others, size=k, replace=False)]
    return agents


def _weight(age: int, rng: np.random.Generator) -> float:
    mean, sd, lo, hi = (48.0, 7.0, 36.0, 62.0) if age < 18 else (63.0, 10.0, 42.0, 95.0)
    return float(np.clip(round(rng.normal(mean, sd), 1), lo, hi))


def assemble_attributes(table: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The attribute table (``reference.attributes.ATTRIBUTE_COLUMNS``) from the MILP table."""
    rng = np.random.default_rng([seed, 2])
    out = _continuous(table, seed)
    out = _allocate_sites(out, rng, seed)
    out = _dates(out, rng)

    # MSC first-response days (median 14, range 5-22) to the MSC responders at d28
    responders = out.index[(out["arm"] == "MSC") & out["response_d28"].isin(["CR", "PR"])]
    msc_days = dict(zip(responders, _msc_response_days(len(responders), rng), strict=True))
    # the MSC minimum of 2 doses: the first MSC patient who left early (consent or death)
    doses = T.TEXT_TARGETS["msc_doses"]
    two = out.index[
        (out["arm"] == "MSC")
        & ~out["pp"].astype(bool)
        & out["disposition"].isin(["consent_withdrawn", "death"])
    ][0]
    plans = {}
    for i, rec in out.iterrows():
        r = msc_days.get(i)
        if r is None and rec["response_d28"] in ("CR", "PR"):
            r = int(rng.integers(3, 25))
        elif r is None and rec["response_d56"] in ("CR", "PR") and rec["arm"] == "control":
            r = None
        p = _plan_patient(rec.to_dict(), r, rng, doses["low"] if i == two else None)
        p.update(_pre_randomization(rec.to_dict(), rng))
        p["salvage_agents"] = _salvage_agents(rec.to_dict(), rng)
        p["weight_kg"] = _weight(int(rec["age"]), rng)
        plans[i] = p
    plan_df = pd.DataFrame.from_dict(plans, orient="index")
    out = out.join(plan_df)
    out["screening_date"] = [
        d + dt.timedelta(days=int(s))
        for d, s in zip(out["randomization_date"], out["screening_day"], strict=True)
    ]
    failures = build_screen_failures(seed)
    out, _failures = _number_patients(out, failures)

    out["in_pp"] = out["pp"].astype(bool)
    out["baseline_grade"] = out["grade"].astype(int)
    out["sr_type"] = np.where(out["sr_category"] == 4, "dependence", "resistance")
    out["sex"] = out["sex"].map({"M": "M", "F": "F"})
    out = out.sort_values("patient_id").reset_index(drop=True)
    for col in ("discontinuation_day", "salvage_day", "fixed_death_day", "first_response_day",
                "cr_day", "flare_day", "dcr_confirmation_day"):  # fmt: skip
        out[col] = pd.Series([None if pd.isna(v) else int(v) for v in out[col]], dtype=object)
    for col in ("discontinuation_reason", "fixed_death_cause"):
        out[col] = pd.Series(
            [
                None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                for v in out[col]
            ],
            dtype=object,
        )
    # causes of the early deaths (Results, Patients)
    for arm in T.ARMS:
        idx = list(out.index[(out["arm"] == arm) & (out["discontinuation_reason"] == "death")])
        causes = list(T.CONSORT["early_death_causes"][arm])
        for i, k in zip(idx, rng.permutation(len(causes)), strict=True):
            out.loc[i, "fixed_death_cause"] = causes[k]
    return out


def screen_failures_for(seed: int, attributes: pd.DataFrame) -> pd.DataFrame:
    """The screen failures with the patient numbers consistent with ``attributes``."""
    failures = build_screen_failures(seed)
    rows = [
        (d, s, "R", pid)
        for pid, d, s in zip(
            attributes["patient_id"],
            attributes["screening_date"],
            attributes["site_id"],
            strict=True,
        )
    ]
    rows += [
        (d, s, "F", i)
        for i, d, s in zip(
            failures.index, failures["screening_date"], failures["site_id"], strict=True
        )
    ]
    rows.sort(key=lambda r: (r[0], r[1], r[2], str(r[3])))
    failures["patient_id"] = ""
    for n, (_d, _s, kind, i) in enumerate(rows, start=1):
        if kind == "F":
            failures.loc[i, "patient_id"] = f"P{n:03d}"
    return failures
