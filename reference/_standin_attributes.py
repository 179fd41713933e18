"""Stand-in for ``reference.attributes`` used by the outcome/safety tests.

It builds a 78-row ``attributes`` frame with the columns and the marginals of the
contract (40 MSC / 38 control; PP 32 / 30; discontinuations before d28 8 / 8 =
salvage failure 3 / 3, consent withdrawn 3 / 2, death 2 / 3; salvage ITT 11 / 15 and
PP 8 / 13; the fixed deaths). It does not try to reproduce Tables 1-2: that is the job
of the real generator. ``load_attributes`` prefers the real generator when it exists.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

COLUMNS = [
    "patient_id",
    "site_id",
    "arm",
    "randomization_date",
    "in_pp",
    "discontinued_before_d28",
    "discontinuation_reason",
    "discontinuation_day",
    "salvage_day",
    "salvage_agents",
    "baseline_grade",
    "organs",
    "sr_type",
    "response_d28",
    "response_d56",
    "dcr",
    "n_infusions",
    "last_infusion_day",
    "fixed_death_day",
    "fixed_death_cause",
]


def _infusion_days(n: int) -> int:
    # twice weekly from day 1: days 1, 4, 8, 11, 15, 18, 22, 25, 29, ...
    days = [1 + 7 * (k // 2) + 3 * (k % 2) for k in range(n)]
    return days[-1]


def standin_attributes(seed: int = 20240229) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    start = dt.date(2020, 7, 1)
    span = (dt.date(2022, 3, 25) - start).days
    dates = sorted(start + dt.timedelta(days=int(x)) for x in rng.integers(0, span, 78))
    arms = ["MSC"] * 40 + ["control"] * 38
    rng.shuffle(arms)

    # per-arm role lists: (in_pp, disc_reason, disc_day, salvage_day, n_inf, fixed death)
    def roles(arm: str) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        if arm == "MSC":
            out += [
                dict(pp=False, reason="salvage_failure", dday=d, sday=d - 2) for d in (12, 17, 20)
            ]
            out += [dict(pp=False, reason="consent_withdrawn", dday=d) for d in (6, 10, 19)]
            out += [dict(pp=False, reason="death", dday=d, death=(d, "Sepsis")) for d in (9, 16)]
            out += [dict(pp=True, sday=d) for d in (8, 11, 13, 15, 18, 21, 24)]
            out += [dict(pp=True, sday=5, death=(70, "Pneumonia"), grade=4)]
            out += [dict(pp=True) for _ in range(32 - 8)]
        else:
            out += [dict(pp=False, reason="salvage_failure", dday=d, sday=d - 3) for d in (14, 18)]
            out += [dict(pp=True, reason="salvage_failure", dday=26, sday=20)]
            out += [dict(pp=False, reason="consent_withdrawn", dday=d) for d in (7, 15)]
            out += [dict(pp=False, reason="death", dday=11, death=(11, "Sepsis"))]
            out += [dict(pp=False, reason="death", dday=19, death=(19, "Sepsis"))]
            out += [dict(pp=False, reason="death", dday=23, death=(23, "Heart failure"))]
            out += [dict(pp=False, ninf=6)]
            out += [dict(pp=True, sday=d) for d in (6, 8, 9, 10, 12, 13, 16, 17, 20, 22, 24, 27)]
            out += [dict(pp=True) for _ in range(30 - 13)]
        return out

    pools = {a: roles(a) for a in ("MSC", "control")}
    for a in pools:
        order = rng.permutation(len(pools[a]))
        pools[a] = [pools[a][k] for k in order]
    counters = {"MSC": 0, "control": 0}
    for i, (arm, date) in enumerate(zip(arms, dates, strict=True)):
        r = pools[arm][counters[arm]]
        counters[arm] += 1
        reason = r.get("reason")
        dday = r.get("dday")
        sday = r.get("sday")
        death = r.get("death")
        resp28 = str(rng.choice(["CR", "PR"])) if sday is None and reason is None else "NR"
        if "ninf" in r:
            n_inf = int(r["ninf"])  # type: ignore[call-overload]
        elif reason is not None and not r["pp"]:
            n_inf = max(1, sum(1 for k in range(16) if _infusion_days(k + 1) < int(dday)))  # type: ignore[call-overload]
        elif resp28 == "PR":
            n_inf = 16
        else:
            n_inf = 8
        rows.append(
            {
                "patient_id": f"P{i + 1:03d}",
                "site_id": f"S{int(rng.integers(1, 8))}",
                "arm": arm,
                "randomization_date": date,
                "in_pp": bool(r["pp"]),
                "discontinued_before_d28": reason is not None,
                "discontinuation_reason": reason,
                "discontinuation_day": dday,
                "salvage_day": sday,
                "salvage_agents": ["ruxolitinib"] if sday is not None else [],
                "baseline_grade": int(r.get("grade", 2 + int(rng.integers(0, 2)))),  # type: ignore[call-overload]
                "organs": frozenset({"gut"}),
                "sr_type": "resistance",
                "response_d28": resp28,
                "response_d56": resp28 if resp28 != "PR" else "CR",
                "dcr": resp28 == "CR",
                "n_infusions": n_inf,
                "last_infusion_day": _infusion_days(n_inf),
                "fixed_death_day": death[0] if death else None,  # type: ignore[index]
                "fixed_death_cause": death[1] if death else None,  # type: ignore[index]
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def load_attributes() -> pd.DataFrame:
    """The real solver's attribute table once ``reference.solve`` provides it, else the stand-in.

    (``reference.attributes.solve_attributes`` calls ``reference.solve.build_attribute_table``.)
    """
    import importlib.util

    if importlib.util.find_spec("reference.solve") is not None:
        solve = importlib.import_module("reference.solve")
        if hasattr(solve, "build_attribute_table"):
            from reference.attributes import solve_attributes

            return solve_attributes()
    return standin_attributes()
