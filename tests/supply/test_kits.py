"""Kit lists: labels identical between arms (nothing on the bag tells the arms apart)."""

from __future__ import annotations

import itertools
from collections import Counter

from gvhdtrial.supply import KitListParams, generate_kit_list, is_valid


def test_kit_list_has_equal_arms_valid_unique_numbers_and_shared_lots() -> None:
    kits = generate_kit_list(KitListParams(seed=11, kits_per_arm=100, lot_size_per_arm=25))
    assert Counter(k.arm for k in kits) == {"MSC": 100, "placebo": 100}
    assert len({k.tracking_number for k in kits}) == 200
    assert all(is_valid(k.tracking_number) for k in kits)
    by_lot: dict[str, Counter[str]] = {}
    for k in kits:
        by_lot.setdefault(k.lot, Counter())[k.arm] += 1
    assert all(c["MSC"] == c["placebo"] for c in by_lot.values()), "lots hold both arms equally"
    expiry_by_lot = {(k.lot, k.expiry) for k in kits}
    assert len(expiry_by_lot) == len(by_lot), "one expiry per lot, whatever the arm"


def test_label_fields_have_the_same_form_and_distribution_in_both_arms() -> None:
    kits = generate_kit_list(KitListParams(seed=12, kits_per_arm=300))
    for arm in ("MSC", "placebo"):
        numbers = [int(k.tracking_number.replace("-", "")) for k in kits if k.arm == arm]
        assert all(len(str(n)) == 12 for n in numbers)
    msc = sorted(int(k.tracking_number[:4]) for k in kits if k.arm == "MSC")
    pbo = sorted(int(k.tracking_number[:4]) for k in kits if k.arm == "placebo")
    # Same uniform distribution: the medians of the leading digits lie close together.
    assert abs(msc[150] - pbo[150]) < 1500


def test_list_order_does_not_alternate_arms() -> None:
    kits = generate_kit_list(KitListParams(seed=13, kits_per_arm=200))
    arms = [k.arm for k in kits]
    alternating = sum(a != b for a, b in itertools.pairwise(arms))
    assert 150 < alternating < 250, "shuffled, not interleaved"


def test_kit_list_is_reproducible_from_its_seed() -> None:
    p = KitListParams(seed=14, kits_per_arm=20)
    assert generate_kit_list(p) == generate_kit_list(p)
