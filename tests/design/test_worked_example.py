"""Every figure docs/design.md prints for its worked example (the phase 3 gut-involvement
trial), recomputed here so that the document cannot drift from the code.

The source of the figures is this engine; its boundaries, sample sizes and expected sizes
equal rpact 3.3.4 to 1e-6 (tests/design/test_group_sequential.py, test_rates.py; the
three-look asOF/bsOF design and its two rate plans are fixture cases themselves, checked
again below). The exact powers are enumerations of every count (``exact_rates``,
``sap_power``), the simulated power is ``sweep_rates`` with the seed the report uses.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from gvhdtrial.design import (
    conditional_power,
    group_sequential,
    predictive_power,
    sample_size_rates,
    sap_power,
)
from gvhdtrial.design.simulation import exact_rates
from tests.design._rpact import arr, design_kwargs, reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "design.md"
EFFECTS = {"66.7 % vs 33.3 %": (0.667, 0.333), "55 % vs 35 %": (0.55, 0.35)}
INFO = {2: ["1/2", "1"], 3: ["1/3", "2/3", "1"]}


@cache
def doc() -> str:
    return DOC.read_text()


def section(title: str) -> str:
    """The text of the '### title' section, each run of white space one blank."""
    text = doc()
    start = text.index(f"### {title}")
    end = text.find("\n### ", start + 1)
    return " ".join(text[start : end if end > 0 else None].split())


@cache
def design(k: int):
    return group_sequential(k_max=k, type_of_design="asOF", type_beta_spending="bsOF")


def plans(k: int) -> dict:
    return {
        name: sample_size_rates(design(k), pi1=p1, pi2=p2) for name, (p1, p2) in EFFECTS.items()
    }


def pct(p: float, digits: int) -> str:
    """A probability as the document prints it: 82.2 %."""
    return f"{100 * p:.{digits}f} %"


def looks(plan) -> list[int]:
    return [math.ceil(x) for x in plan.number_of_subjects]


@pytest.mark.parametrize(("k", "title"), [(3, "Three looks"), (2, "Two looks")])
def test_boundary_table_and_inflation_factor(k, title):
    d = design(k)
    text = section(title)
    fut = np.append(d.futility_bounds, np.nan)
    for i in range(k):
        f = "" if i == k - 1 else f" {fut[i]:.3f} "
        row = (
            f"| {i + 1} | {INFO[k][i]} | {d.critical_values[i]:.3f} |{f or ' '}|"
            f" {d.alpha_spent[i]:#.3g} |"
        )
        assert row in text, row
    assert f"Inflation factor {d.inflation_factor:.4f}" in text


@pytest.mark.parametrize(("k", "title"), [(3, "Three looks"), (2, "Two looks")])
def test_sample_size_table(k, title):
    text = section(title)
    for name, plan in plans(k).items():
        n = looks(plan)
        row = (
            f"| {name} | {math.ceil(plan.n_fixed)} | {n[-1]} | {', '.join(map(str, n))} |"
            f" {plan.expected_number_of_subjects_h0:.1f} |"
            f" {plan.expected_number_of_subjects_h1:.1f} |"
        )
        assert row in text, row


def test_three_look_inflation_in_percent():
    above = design(3).inflation_factor - 1
    assert f"the maximum sample size is {pct(above, 1)} above" in section("Three looks")


def test_three_look_design_and_plans_are_rpact_fixture_cases():
    """The doc's three-look design and both its plans are in the rpact fixtures: the engine
    equals rpact 3.3.4 on exactly these (1e-6)."""
    ref = reference()
    case = next(
        c
        for c in ref["designs"]
        if design_kwargs(c["args"])
        == {
            "k_max": 3,
            "alpha": 0.025,
            "beta": 0.2,
            "sided": 1,
            "information_rates": [1 / 3, 2 / 3, 1.0],
            "type_of_design": "asOF",
            "type_beta_spending": "bsOF",
            "binding_futility": False,
        }
    )
    np.testing.assert_allclose(design(3).critical_values, arr(case["critical_values"]), atol=1e-6)
    np.testing.assert_allclose(design(3).futility_bounds, arr(case["futility_bounds"]), atol=1e-6)
    for name, plan in plans(3).items():
        p1, p2 = EFFECTS[name]
        rate = next(
            c
            for c in ref["rates"]
            if c["design_name"] == "asof_bsof3"
            and c["pi1"][0] == p1
            and c["pi2"][0] == p2
            and c["allocation_ratio_planned"][0] == 1
        )
        assert plan.max_number_of_subjects == pytest.approx(
            rate["max_number_of_subjects"][0], rel=1e-6
        )
        assert plan.expected_number_of_subjects_h0 == pytest.approx(
            rate["expected_number_of_subjects_h0"][0], rel=1e-6
        )


def test_exact_powers_in_the_text():
    d = design(3)
    text = section("Three looks")
    small = looks(plans(3)["66.7 % vs 33.3 %"])
    large = looks(plans(3)["55 % vs 35 %"])
    p_phase2 = exact_rates(d, pi1=0.667, pi2=0.333, planned_subjects=small).overall_reject
    p_cautious_small = exact_rates(d, pi1=0.55, pi2=0.333, planned_subjects=small).overall_reject
    p_cautious = exact_rates(d, pi1=0.55, pi2=0.35, planned_subjects=large).overall_reject
    level = exact_rates(d, pi1=0.35, pi2=0.35, planned_subjects=large).overall_reject
    assert f"With {small[-1]} patients the trial has {pct(p_phase2, 1)} exact power" in text
    assert f"only {pct(p_cautious_small, 0)} if the truth is 55 % vs 33 %" in text
    assert f"with {large[-1]} patients it has {pct(p_cautious, 1)} power at 55 % vs 35 %" in text
    assert f"exact one-sided level is {level:.4f}" in text
    assert f"vs {p_phase2:.4f} exact at 66.7 % vs 33.3 %, N = {small[-1]}" in text


def test_simulated_power_in_the_text():
    """The report's sweep (docs/design_phase3_gut.toml: 200,000 trials, seed 20240101) at
    66.7 % vs 33.3 %, N = 76, and its Monte Carlo SE."""
    from gvhdtrial.design.sweep import grid, sweep_rates

    d = design(3)
    n = looks(plans(3)["66.7 % vs 33.3 %"])
    pi1_grid = [0.35, 0.45, 0.55, 0.6, 0.667]  # [operating] pi1 of the scenario file
    table = sweep_rates(
        grid(d, pi1_grid, [0.333], n), iterations=200_000, seed=20240101, n_workers=0,
        progress=False,
    )  # fmt: skip
    row = table[(table["look"] == 1) & np.isclose(table["pi1"], 0.667)].iloc[0]
    power = row["overall_reject"]
    se = math.sqrt(power * (1 - power) / 200_000)
    assert f"e.g. {power:.4f} simulated" in section("Three looks")
    assert f"Monte Carlo SE {se:.4f}" in section("Three looks")


def test_third_look_costs_and_savings():
    text = section("Two looks")
    cost = [
        looks(plans(3)[name])[-1] - looks(plans(2)[name])[-1] for name in EFFECTS
    ]  # fmt: skip
    save = [
        plans(2)[name].expected_number_of_subjects_h0
        - plans(3)[name].expected_number_of_subjects_h0
        for name in EFFECTS
    ]
    assert f"costs {min(cost)}-{max(cost)} more patients at the maximum" in text
    m = re.search(r"saves about ([\d.]+) \(phase 2 effect\)\s+to ([\d.]+) \(cautious", text)
    assert m, "the savings sentence"
    assert float(m.group(1)) == pytest.approx(save[0], abs=0.05)
    assert float(m.group(2)) == pytest.approx(save[1], abs=0.05)


def test_sap_rule_powers():
    text = section("The analysis plan's own test")
    n_small = looks(plans(3)["66.7 % vs 33.3 %"])[-1]
    n_large = looks(plans(3)["55 % vs 35 %"])[-1]
    p_small = sap_power(n_small // 2, n_small - n_small // 2, 0.667, 0.333)
    p_large = sap_power(n_large // 2, n_large - n_large // 2, 0.55, 0.35)
    assert f"{p_small:.3f} at N = {n_small} ({n_small // 2} per arm)" in text
    assert f"{p_large:.3f} at N = {n_large} for 55 % vs 35 %" in text


def test_interim_figures():
    text = section("At the interim")
    d = design(3)
    cp = conditional_power(d, stage=1, z=1.2)
    pp = predictive_power(d, stage=1, z=1.2)
    assert f"conditional_power(d, stage=1, z=1.2) # at the observed trend: {cp:.3f}" in text
    assert f"predictive_power(d, stage=1, z=1.2) # flat prior on the effect: {pp:.3f}" in text


def test_competing_risks_figures():
    """Latouche-Porcher size of the competing-risks paragraph (the model of
    tests/design/test_patients.py, where its Gray's-test power is simulated)."""
    from gvhdtrial.design.patients import CompetingRiskModel, sample_size_competing

    plan = sample_size_competing(
        CompetingRiskModel(
            p=0.4, rate=1 / 6, shr=0.5, competing_rate=0.03, accrual_time=24,
            follow_up_time=12, dropout_rate=0.01,
        )
    )  # fmt: skip
    text = section("A competing-risks secondary endpoint")
    n = math.ceil(plan.max_number_of_subjects)
    events = f"{plan.events:.1f} events, {pct(plan.psi, 1)} of patients with an observed event"
    assert f"{events}, {n} patients" in text
