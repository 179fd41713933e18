"""Dispensing choice and bag count (docs/protocol.md section 4)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gvhdtrial.supply import (
    DispenseRefusal,
    KitChoice,
    KitStatus,
    StockKit,
    bags_for_infusion,
    choose_kits,
    delivered_cells_per_kg,
    plan_shipment,
    site_stock,
)

DAY = dt.date(2021, 3, 1)


@pytest.mark.parametrize(
    ("weight", "bags"), [(10, 1), (29.9, 1), (30, 2), (60, 3), (69.9, 3), (70, 4), (100, 5)]
)
def test_bags_per_infusion_rounds_to_nearest_whole_bag_at_least_one(
    weight: float, bags: int
) -> None:
    assert bags_for_infusion(weight) == bags


@given(st.floats(5, 200))
def test_delivered_dose_is_within_half_a_bag_of_the_target(weight: float) -> None:
    bags = bags_for_infusion(weight)
    delivered = delivered_cells_per_kg(bags, weight)
    assert bags >= 1
    if bags > 1:
        assert abs(delivered - 1.0e6) <= 0.5 * 2.0e7 / weight + 1e-6


def _kit(i: int, arm: str, site: str | None = "C01", status: KitStatus = KitStatus.RECEIVED,
         expiry: dt.date = dt.date(2022, 1, 1)) -> StockKit:  # fmt: skip
    return StockKit(i, f"T{i:04d}", arm, site, status, expiry)


ARMS = ("MSC", "placebo")


def test_choice_takes_only_usable_kits_of_the_arm_at_the_site_outside_the_margin() -> None:
    stock = [
        _kit(1, "MSC", expiry=dt.date(2022, 6, 1)),
        _kit(2, "MSC", expiry=dt.date(2021, 6, 1)),
        _kit(3, "placebo", expiry=dt.date(2021, 4, 1)),
        _kit(4, "MSC", site="C02", expiry=dt.date(2021, 4, 1)),
        _kit(5, "MSC", status=KitStatus.SHIPPED, expiry=dt.date(2021, 4, 1)),
        _kit(6, "MSC", expiry=DAY + dt.timedelta(days=7)),  # inside the 7-day margin
        _kit(7, "MSC", expiry=dt.date(2021, 9, 1)),
        _kit(8, "placebo", expiry=dt.date(2021, 9, 1)),
        _kit(9, "placebo"),
        _kit(11, "placebo"),
    ]
    for seed in range(20):
        choice = choose_kits(stock, "MSC", ARMS, "C01", DAY, 2, 7, random.Random(seed))
        assert isinstance(choice, KitChoice)
        assert {k.kit_id for k in choice.kits} <= {1, 2, 7} and len(set(choice.kits)) == 2
    one_day_margin = choose_kits(stock, "MSC", ARMS, "C01", DAY, 4, 6, random.Random(0))
    assert isinstance(one_day_margin, KitChoice)  # kit 6 expires 7 days ahead: > 6-day margin
    assert {k.kit_id for k in one_day_margin.kits} == {1, 2, 6, 7}


def test_choice_is_uniform_over_the_usable_kits_not_by_expiry() -> None:
    """Each of 6 usable kits is picked for a 1-bag infusion about 1/6 of the time (chi-square
    over 6,000 draws, 5 degrees of freedom, p > 0.001); earliest expiry has no advantage."""
    from scipy.stats import chisquare

    stock = [_kit(i, "MSC", expiry=DAY + dt.timedelta(days=30 * i)) for i in range(1, 7)]
    stock += [_kit(10 + i, "placebo") for i in range(6)]
    rng = random.Random(20)
    counts = dict.fromkeys(range(1, 7), 0)
    for _ in range(6000):
        choice = choose_kits(stock, "MSC", ARMS, "C01", DAY, 1, 7, rng)
        assert isinstance(choice, KitChoice)
        counts[choice.kits[0].kit_id] += 1
    assert chisquare(list(counts.values())).pvalue > 0.001, counts


def test_refusal_is_the_same_whichever_arm_is_short() -> None:
    """Short of MSC or short of placebo: patients of both arms get the identical refusal."""
    msc_short = [_kit(1, "MSC")] + [_kit(10 + i, "placebo") for i in range(5)]
    placebo_short = [_kit(1, "placebo")] + [_kit(10 + i, "MSC") for i in range(5)]
    answers = {
        choose_kits(stock, arm, ARMS, "C01", DAY, 2)
        for stock in (msc_short, placebo_short)
        for arm in ARMS
    }
    assert len(answers) == 1
    (refusal,) = answers
    assert isinstance(refusal, DispenseRefusal)
    assert "MSC" not in refusal.reason and "placebo" not in refusal.reason


def test_site_stock_alerts_when_any_arm_is_below_threshold() -> None:
    stock = [_kit(i, "MSC") for i in range(5)] + [_kit(10 + i, "placebo") for i in range(2)]
    (c01, c02) = site_stock(stock, ["C01", "C02"], ["MSC", "placebo"], DAY, threshold=3)
    assert (c01.available, c01.per_arm, c01.resupply_needed) == (7, {"MSC": 5, "placebo": 2}, True)
    assert (c02.available, c02.resupply_needed) == (0, True)
    mirrored = [_kit(i, "placebo") for i in range(5)] + [_kit(10 + i, "MSC") for i in range(2)]
    (m01,) = site_stock(mirrored, ["C01"], ["MSC", "placebo"], DAY, threshold=3)
    assert (m01.available, m01.resupply_needed) == (c01.available, c01.resupply_needed)


@given(st.integers(1, 5), st.sampled_from([(1, 1), (2, 1), (1, 2)]), st.integers(0, 2**32))
def test_a_shipment_is_whole_blocks_with_every_arm_in_the_ratio(
    blocks: int, ratio: tuple[int, int], seed: int
) -> None:
    depot = [_kit(i, ARMS[i % 2], site=None, status=KitStatus.CREATED) for i in range(40)]
    shipment = plan_shipment(depot, ARMS, ratio, blocks, DAY, 7, random.Random(seed))
    assert not isinstance(shipment, DispenseRefusal)
    counts = {a: sum(k.arm == a for k in shipment) for a in ARMS}
    assert counts == {ARMS[0]: ratio[0] * blocks, ARMS[1]: ratio[1] * blocks}
    assert len({k.kit_id for k in shipment}) == len(shipment)


def test_a_shipment_the_depot_cannot_fill_is_refused_without_naming_an_arm() -> None:
    depot = [_kit(i, "MSC", site=None, status=KitStatus.CREATED) for i in range(10)]
    depot.append(_kit(99, "placebo", site=None, status=KitStatus.CREATED))
    refusal = plan_shipment(depot, ARMS, (1, 1), 2, DAY)
    assert isinstance(refusal, DispenseRefusal)
    assert "MSC" not in refusal.reason and "placebo" not in refusal.reason
