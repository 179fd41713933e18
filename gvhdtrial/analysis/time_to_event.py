"""Survival and cumulative-incidence analyses of the time-to-event endpoints.

OS: Kaplan-Meier, log-rank, Cox HR (MSC vs control). Relapse, NRM, cGVHD, moderate-severe
cGVHD and FFS: Aalen-Johansen cumulative incidence, Gray's test, Fine-Gray HR (cmprsk). For FFS
the curve is failure-free survival = 1 - incidence of failure (cGVHD onset competing).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.analysis.derive import ARMS
from gvhdtrial.analysis.results import SURVIVAL_ENDPOINTS
from gvhdtrial.stats import cox, cuminc, fine_gray, gray_test, kaplan_meier, logrank

POPULATIONS = {"ITT": "itt", "PP": "pp"}


def _curve_rows(
    endpoint: str, population: str, arm: str, time: np.ndarray, est: np.ndarray, lo, hi
) -> list[dict[str, Any]]:
    """The step function from time 0 (survival 1, incidence 0) through every step."""
    start = 1.0 if endpoint in ("OS", "FFS") else 0.0
    points = [(0.0, start, math.nan, math.nan)]
    points += [
        (float(t), float(e), float(a), float(b))
        for t, e, a, b in zip(time, est, lo, hi, strict=True)
        if t > 0.0
    ]
    return [
        {
            "endpoint": endpoint,
            "population": population,
            "arm": arm,
            "time_months": t,
            "estimate": e,
            "lower": a,
            "upper": b,
        }
        for t, e, a, b in points
    ]


def _one_arm(
    endpoint: str, time: np.ndarray, status: np.ndarray, config: AnalysisConfig, horizon: float
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, float, float]]:
    """(curve arrays), (estimate, lower, upper) at the horizon, for one arm."""
    if endpoint == "OS":
        km = kaplan_meier(
            time, status == 1, conf_type=config.km_conf_type, conf_level=config.conf_level
        )
        at = km.at([horizon])
        return (km.time, km.surv, km.lower, km.upper), (
            float(at.surv[0]),
            float(at.lower[0]),
            float(at.upper[0]),
        )
    if not (status == 1).any() and not (status == 2).any():
        zero = np.zeros(0)
        est = 1.0 if endpoint == "FFS" else 0.0
        return (zero, zero, zero, zero), (est, math.nan, math.nan)
    ci = cuminc(time, status)
    if 1.0 not in ci.causes:
        zero = np.zeros(0)
        est = 1.0 if endpoint == "FFS" else 0.0
        return (zero, zero, zero, zero), (est, math.nan, math.nan)
    curve = ci.curve(None, 1) if None in ci.groups else ci.curve(ci.groups[0], 1)
    lo, hi = curve.lower_upper(config.conf_level)
    pts = ci.at([horizon], group=ci.groups[0], cause=1, level=config.conf_level)
    est, plo, phi = float(pts.est[0]), float(pts.lower[0]), float(pts.upper[0])
    if endpoint == "FFS":
        return (curve.time, 1 - curve.est, 1 - hi, 1 - lo), (1 - est, 1 - phi, 1 - plo)
    return (curve.time, curve.est, lo, hi), (est, plo, phi)


def survival_analyses(
    adsl: pd.DataFrame, config: AnalysisConfig, blinded: bool
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Curves, numbers at risk and the 2-year summary of every endpoint, ITT and PP.

    Returns ``(curves, numbers_at_risk, summary, notes)``; blinded: pooled curves and numbers
    at risk, an empty summary (no by-arm comparison).
    """
    horizon = config.horizon_months
    curves: list[dict[str, Any]] = []
    at_risk: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    notes: list[str] = []
    arms = ("pooled",) if blinded else ARMS
    for endpoint in SURVIVAL_ENDPOINTS:
        for population, flag in POPULATIONS.items():
            pop = adsl[adsl[flag]]
            time = pop[f"{endpoint}_months"].to_numpy(dtype=float)
            status = pop[f"{endpoint}_status"].to_numpy(dtype=int)
            arm_of = np.array(["pooled"] * len(pop)) if blinded else pop["arm"].to_numpy(str)
            at_h: dict[str, tuple[float, float, float]] = {}
            for arm in arms:
                sel = arm_of == arm
                if not sel.any():
                    continue
                (t, e, lo, hi), at_h[arm] = _one_arm(
                    endpoint, time[sel], status[sel], config, horizon
                )
                curves += _curve_rows(endpoint, population, arm, t, e, lo, hi)
                for m in config.at_risk_months:
                    at_risk.append(
                        {
                            "endpoint": endpoint,
                            "population": population,
                            "arm": arm,
                            "time_months": m,
                            "n_at_risk": int((time[sel] >= m).sum()),
                        }
                    )
            if blinded or len(at_h) < 2:
                continue
            rec: dict[str, Any] = {
                "endpoint": endpoint,
                "population": population,
                "at_months": horizon,
            }
            for arm, key in (("MSC", "msc"), ("control", "control")):
                rec[f"{key}_estimate"], rec[f"{key}_lower"], rec[f"{key}_upper"] = at_h[arm]
            msc = (arm_of == "MSC").astype(float)
            rec.update(test="", p_value=math.nan, hr=math.nan, hr_lower=math.nan, hr_upper=math.nan)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if endpoint == "OS":
                        rec["test"] = "log-rank"
                        rec["p_value"] = logrank(time, status == 1, arm_of).p_value
                        fit = cox(
                            time,
                            status == 1,
                            pd.DataFrame({"MSC": msc}),
                            conf_level=config.conf_level,
                        )
                        if not fit.converged:
                            raise ValueError("Cox model did not converge (no events in an arm?)")
                        rec["hr"] = float(fit.hazard_ratio[0])
                        rec["hr_lower"], rec["hr_upper"] = (
                            float(fit.ci_low[0]),
                            float(fit.ci_high[0]),
                        )
                    else:
                        rec["test"] = "Gray"
                        rec["p_value"] = gray_test(time, status, arm_of, cause=1).p_value
                        fg = fine_gray(time, status, pd.DataFrame({"MSC": msc}), cause=1)
                        if not fg.converged or not np.isfinite(fg.se).all():
                            raise ValueError("Fine-Gray model did not converge")
                        ci = fg.conf_int(config.conf_level)
                        rec["hr"] = float(fg.hazard_ratio[0])
                        rec["hr_lower"], rec["hr_upper"] = float(ci[0][0]), float(ci[0][1])
            except (ValueError, np.linalg.LinAlgError) as exc:
                notes.append(f"{endpoint} {population}: comparison not estimable ({exc})")
            summary.append(rec)
    curves_df = pd.DataFrame.from_records(
        curves,
        columns=["endpoint", "population", "arm", "time_months", "estimate", "lower", "upper"],
    )
    risk_df = pd.DataFrame.from_records(
        at_risk, columns=["endpoint", "population", "arm", "time_months", "n_at_risk"]
    )
    summary_df = pd.DataFrame.from_records(
        summary,
        columns=[
            "endpoint",
            "population",
            "at_months",
            "msc_estimate",
            "msc_lower",
            "msc_upper",
            "control_estimate",
            "control_lower",
            "control_upper",
            "test",
            "p_value",
            "hr",
            "hr_lower",
            "hr_upper",
        ],
    )
    return curves_df, risk_df, summary_df, notes
