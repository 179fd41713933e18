"""Kit lists: one investigational bag per kit, labelled identically between arms.

Every label field a blinded person can see (tracking number, packaging lot, expiry) is drawn the
same way for both arms: packaging lots hold both arms in equal numbers and share one expiry, the
tracking numbers are random, and the list is shuffled. Only the kit's ``arm`` (kept from blinded
users by the service) tells the arms apart. docs/protocol.md section 4: one bag holds 2.0 x 10^7
MSCs in 50 mL; placebo bags are identical (50 mL saline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gvhdtrial.supply.tracking import generate_tracking_numbers


@dataclass(frozen=True)
class KitSpec:
    """One kit as manufactured: what goes into the kit list."""

    tracking_number: str
    arm: str
    lot: str
    expiry: dt.date


@dataclass(frozen=True)
class KitListParams:
    seed: int
    kits_per_arm: int
    arms: tuple[str, ...] = ("MSC", "placebo")
    lot_size_per_arm: int = 20
    first_lot: int = 1
    manufactured: dt.date = dt.date(2020, 8, 1)
    shelf_life_days: int = 730
    lot_prefix: str = "PL"

    def __post_init__(self) -> None:
        if self.kits_per_arm < 1 or self.lot_size_per_arm < 1:
            raise ValueError("kits_per_arm and lot_size_per_arm must be positive")
        if len(set(self.arms)) != len(self.arms) or len(self.arms) < 2:
            raise ValueError("at least two distinct arms are needed")


def generate_kit_list(
    params: KitListParams, exclude_numbers: frozenset[str] = frozenset()
) -> tuple[KitSpec, ...]:
    """The kit list: ``kits_per_arm`` kits of each arm, lots shared by the arms, shuffled."""
    n_arms = len(params.arms)
    total = params.kits_per_arm * n_arms
    numbers = generate_tracking_numbers(total, params.seed, exclude_numbers)
    kits: list[KitSpec] = []
    for i in range(params.kits_per_arm):
        lot_index = i // params.lot_size_per_arm
        lot = f"{params.lot_prefix}{params.first_lot + lot_index:04d}"
        expiry = params.manufactured + dt.timedelta(days=params.shelf_life_days + 30 * lot_index)
        for a, arm in enumerate(params.arms):
            kits.append(KitSpec(numbers[i * n_arms + a], arm, lot, expiry))
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(params.seed, spawn_key=(1,))))
    order = gen.permutation(len(kits))
    return tuple(kits[int(k)] for k in order)


def label_fields(kit: KitSpec) -> tuple[str, str, dt.date]:
    """What a blinded person can read on the bag: identical in form for every arm."""
    return (kit.tracking_number, kit.lot, kit.expiry)


def arm_counts(kits: Sequence[KitSpec]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for k in kits:
        counts[k.arm] = counts.get(k.arm, 0) + 1
    return counts
