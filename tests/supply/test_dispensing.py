"""Dispensing choice and bag count (docs/protocol.md section 4)."""

from __future__ import annotations

import datetime as dt

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


def _kit(i: int, arm: str, site: str = "C01", status: KitStatus = KitStatus.RECEIVED,
         expiry: dt.date = dt.date(2022, 1, 1)) -> StockKit:  # fmt: skip
    return StockKit(i, f"T{i:04d}", arm, site, status, expiry)


def test_choose_earliest_expiry_of_the_arm_at_the_site() -> None:
    stock = [
        _kit(1, "MSC", expiry=dt.date(2022, 6, 1)),
        _kit(2, "MSC", expiry=dt.date(2021, 6, 1)),
        _kit(3, "placebo", expiry=dt.date(2021, 4, 1)),
        _kit(4, "MSC", site="C02", expiry=dt.date(2021, 4, 1)),
        _kit(5, "MSC", status=KitStatus.SHIPPED, expiry=dt.date(2021, 4, 1)),
        _kit(6, "MSC", expiry=DAY),  # expires on the infusion day: unusable
        _kit(7, "MSC", expiry=dt.date(2021, 9, 1)),
    ]
    choice = choose_kits(stock, "MSC", "C01", DAY, bags=2)
    assert isinstance(choice, KitChoice)
    assert [k.kit_id for k in choice.kits] == [2, 7]


def test_refusal_when_short_does_not_name_the_arm() -> None:
    refusal = choose_kits([_kit(1, "MSC")], "MSC", "C01", DAY, bags=2)
    assert isinstance(refusal, DispenseRefusal)
    assert "MSC" not in refusal.reason and "placebo" not in refusal.reason


def test_site_stock_alerts_when_any_arm_is_below_threshold() -> None:
    stock = [_kit(i, "MSC") for i in range(5)] + [_kit(10 + i, "placebo") for i in range(2)]
    (c01, c02) = site_stock(stock, ["C01", "C02"], ["MSC", "placebo"], DAY, threshold=3)
    assert (c01.available, c01.per_arm, c01.resupply_needed) == (7, {"MSC": 5, "placebo": 2}, True)
    assert (c02.available, c02.resupply_needed) == (0, True)
