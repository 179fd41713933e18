"""Number of events and subjects for a survival comparison in a group-sequential design, as
rpact's ``getSampleSizeSurvival`` (``type_of_computation`` "Schoenfeld", "Freedman" or
"HsiehFreedman").

Events, allocation ratio r = n1 / n2, z = z_{1 - alpha / sided} + z_{1 - beta}:

    Schoenfeld (Biometrika 1981;68:316-9):   events_fixed = (1 + r)^2 / r z^2 / log(HR)^2
    Freedman (Stat Med 1982;1:121-9):        events_fixed = (1 + r HR)^2 / r z^2 / (1 - HR)^2
    Hsieh-Freedman (Hsieh, Stat Med 1992;11:1425-9; Machin et al., ch. 8):
                                             events_fixed = (1 + r)^2 / (4 r) (1 + HR)^2 z^2
                                                            / (1 - HR)^2

times the design's inflation factor for the maximum; looks at the information rates of
the design. Subjects: exponential event times (hazard lambda_i; from a median by
log 2 / median, from an event probability pi_i by event_time by -log(1 - pi_i) / event_time),
exponential drop-out (hazard -log(1 - dropout_rate_i) / dropout_time), uniform accrual over
[0, accrual_time]. A subject entering at u has an event by calendar time T with probability

    lambda / (lambda + eta) (1 - exp(-(lambda + eta) (T - u)))

(Lachin & Foulkes, Biometrics 1986;42:507-19); the expected number of events at T is N
times its mean over the accrual and the arms. The maximum number of subjects N is the one
whose expected number of events at accrual_time + follow_up_time is the maximum number of
events (or, given ``accrual_intensity``, N is intensity times accrual time and the
follow-up time is solved for); each look's analysis time is when the expected events
reach that look's number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import ndtri

from gvhdtrial.design.group_sequential import TrialDesign, group_sequential


@dataclass(frozen=True)
class SurvivalPlan:
    """Result of :func:`sample_size_survival` (rpact's names)."""

    design: TrialDesign
    hazard_ratio: float
    lambda1: float
    lambda2: float
    allocation_ratio_planned: float
    type_of_computation: str
    events_fixed: float
    max_number_of_events: float
    events_per_stage: np.ndarray  # cumulative
    max_number_of_subjects: float
    accrual_time: float
    follow_up_time: float
    accrual_intensity: float
    analysis_time: np.ndarray
    number_of_subjects: np.ndarray  # recruited by each analysis time
    expected_events_h1: float
    expected_number_of_subjects_h1: float

    def summary(self) -> str:
        return "\n".join(
            [
                f"Survival ({self.type_of_computation}): HR = {self.hazard_ratio:.4g}, "
                f"{self.design.type_of_design}, K = {self.design.k_max}",
                f"events: fixed {self.events_fixed:.1f}, maximum {self.max_number_of_events:.1f}"
                f" ({', '.join(f'{e:.1f}' for e in self.events_per_stage)})",
                f"subjects {self.max_number_of_subjects:.1f} over {self.accrual_time:g} "
                f"(intensity {self.accrual_intensity:.2f}); analyses at "
                + ", ".join(f"{t:.1f}" for t in self.analysis_time),
            ]
        )


def _rate(p: float, time: float, name: str) -> float:
    if not 0 < p < 1:
        raise ValueError(f"{name} must be in (0, 1), got {p}")
    return -math.log(1 - p) / time


def event_probability(t_cal: float, accrual_time: float, lam: float, eta: float) -> float:
    """Mean over uniform entry on [0, accrual_time] of P(event by calendar time t_cal)."""
    a = min(accrual_time, t_cal)
    if a <= 0:
        return 0.0
    h = lam + eta
    # integral over entry u in [0, a] of (1 - exp(-h (t - u))) du
    integral = a - (math.exp(-h * (t_cal - a)) - math.exp(-h * t_cal)) / h
    return lam / h * integral / accrual_time


#: Events per (z_{1 - alpha / sided} + z_{1 - beta})^2, by rpact's typeOfComputation (module
#: docstring): (hazard ratio, allocation ratio n1 / n2) -> factor.
EVENTS_FORMULAS = {
    "Schoenfeld": lambda hr, r: (1 + r) ** 2 / r / math.log(hr) ** 2,
    "Freedman": lambda hr, r: (1 + r * hr) ** 2 / r / (1 - hr) ** 2,
    "HsiehFreedman": lambda hr, r: (1 + r) ** 2 / (4 * r) * (1 + hr) ** 2 / (1 - hr) ** 2,
}


def sample_size_survival(
    design: TrialDesign | None = None,
    *,
    hazard_ratio: float | None = None,
    pi1: float | None = None,
    pi2: float | None = None,
    lambda2: float | None = None,
    median2: float | None = None,
    event_time: float = 12.0,
    accrual_time: float | tuple[float, float] = 12.0,
    follow_up_time: float | None = None,
    accrual_intensity: float | None = None,
    dropout_rate1: float = 0.0,
    dropout_rate2: float = 0.0,
    dropout_time: float = 12.0,
    allocation_ratio_planned: float = 1.0,
    type_of_computation: str = "Schoenfeld",
) -> SurvivalPlan:
    """Events and subjects for a two-arm survival comparison (module docstring)."""
    design = design or group_sequential(k_max=1)
    if type_of_computation not in EVENTS_FORMULAS:
        raise ValueError(
            f"type_of_computation must be one of {', '.join(EVENTS_FORMULAS)}, got "
            f"{type_of_computation!r}"
        )
    r = float(allocation_ratio_planned)
    if not r > 0:
        raise ValueError(f"allocation_ratio_planned must be > 0, got {r}")
    if isinstance(accrual_time, (tuple, list)):
        if len(accrual_time) != 2 or accrual_time[0] != 0:
            raise ValueError(f"accrual_time must be (0, end) or end, got {accrual_time}")
        accrual_time = accrual_time[1]
    accrual_time = float(accrual_time)
    if not accrual_time > 0:
        raise ValueError(f"accrual_time must be > 0, got {accrual_time}")
    if (follow_up_time is None) == (accrual_intensity is None):
        raise ValueError(
            "give exactly one of follow_up_time (the number of subjects is solved for) and "
            "accrual_intensity (the follow-up time is solved for)"
        )
    if follow_up_time is not None and not follow_up_time >= 0:
        raise ValueError(f"follow_up_time must be >= 0, got {follow_up_time}")
    if accrual_intensity is not None and not accrual_intensity > 0:
        raise ValueError(f"accrual_intensity must be > 0, got {accrual_intensity}")
    if pi1 is not None or pi2 is not None:
        if pi1 is None or pi2 is None:
            raise ValueError("pi1 and pi2 go together")
        lambda1 = _rate(pi1, event_time, "pi1")
        lam2 = _rate(pi2, event_time, "pi2")
        hr = lambda1 / lam2
    else:
        if hazard_ratio is None or not hazard_ratio > 0 or hazard_ratio == 1:
            raise ValueError(f"hazard_ratio must be > 0 and != 1, got {hazard_ratio}")
        if median2 is not None:
            lam2 = math.log(2) / median2
        elif lambda2 is not None:
            lam2 = float(lambda2)
        else:
            raise ValueError("give lambda2, median2 or pi1 and pi2")
        hr = float(hazard_ratio)
        lambda1 = hr * lam2
    eta1 = -math.log(1 - dropout_rate1) / dropout_time if dropout_rate1 > 0 else 0.0
    eta2 = -math.log(1 - dropout_rate2) / dropout_time if dropout_rate2 > 0 else 0.0

    z_a = float(ndtri(1 - design.alpha / design.sided))
    z_b = float(ndtri(1 - design.beta))
    events_fixed = EVENTS_FORMULAS[type_of_computation](hr, r) * (z_a + z_b) ** 2
    max_events = events_fixed * design.inflation_factor
    events = max_events * design.information_rates

    def p_event(t_cal: float) -> float:
        p1 = event_probability(t_cal, accrual_time, lambda1, eta1)
        p2 = event_probability(t_cal, accrual_time, lam2, eta2)
        return (r * p1 + p2) / (1 + r)

    if follow_up_time is not None:
        study_end = accrual_time + follow_up_time
        n_max = max_events / p_event(study_end)
    else:
        n_max = float(accrual_intensity) * accrual_time
        # the expected events grow to n_max * (r p1(inf) + p2(inf)) / (1 + r)
        hi = accrual_time
        while n_max * p_event(hi) < max_events:
            hi *= 2
            if hi > 1e6 * accrual_time:
                raise ValueError(
                    f"{n_max:g} subjects never reach {max_events:.1f} expected events "
                    "(too few subjects, or too much drop-out)"
                )
        if n_max * p_event(accrual_time) >= max_events:
            raise ValueError(
                f"{n_max:g} subjects reach {max_events:.1f} events before accrual ends; "
                "lower accrual_intensity or accrual_time"
            )
        study_end = optimize.brentq(
            lambda tc: n_max * p_event(tc) - max_events, accrual_time, hi, xtol=1e-12
        )
        follow_up_time = study_end - accrual_time
    times = np.empty(design.k_max)
    for k, e in enumerate(events):
        if k == design.k_max - 1:
            times[k] = study_end
        else:
            times[k] = optimize.brentq(
                lambda tc, e=e: n_max * p_event(tc) - e, 1e-9, study_end, xtol=1e-12
            )
    subjects = n_max * np.minimum(times, accrual_time) / accrual_time

    up, low, inner = design.exits(math.sqrt(design.shift))
    stop = up + low + inner
    p_stop = np.append(stop[:-1], 1 - stop[:-1].sum())
    return SurvivalPlan(
        design=design,
        hazard_ratio=hr,
        lambda1=lambda1,
        lambda2=lam2,
        allocation_ratio_planned=r,
        type_of_computation=type_of_computation,
        events_fixed=events_fixed,
        max_number_of_events=max_events,
        events_per_stage=events,
        max_number_of_subjects=n_max,
        accrual_time=accrual_time,
        follow_up_time=float(follow_up_time),
        accrual_intensity=n_max / accrual_time,
        analysis_time=times,
        number_of_subjects=subjects,
        expected_events_h1=float(np.dot(events, p_stop)),
        expected_number_of_subjects_h1=float(np.dot(subjects, p_stop)),
    )
