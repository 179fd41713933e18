"""Tracking numbers: unique, non-sequential, ISO 7064 MOD 97-10 check digits."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from gvhdtrial.supply import generate_tracking_numbers, is_valid, mod97_check_digits
from gvhdtrial.supply.tracking import normalise, tracking_number


def test_mod97_matches_the_iso7064_worked_example() -> None:
    # ISO 7064 MOD 97-10 as used by IBAN: GB82 WEST 1234 5698 7654 32 -> numeric form with the
    # country letters moved to the end checks to 1 mod 97.
    assert int("3214282912345698765432161182") % 97 == 1
    # Body = "WEST12345698765432" + "GB" as digits; its MOD 97-10 check digits are GB's "82".
    assert mod97_check_digits("32142829123456987654321611") == "82"
    assert mod97_check_digits("123456789") == f"{98 - (12345678900 % 97):02d}"


@settings(max_examples=200)
@given(st.integers(10**9, 10**10 - 1))
def test_every_generated_number_validates(body: int) -> None:
    assert is_valid(tracking_number(body))


@settings(max_examples=300)
@given(st.integers(10**9, 10**10 - 1), st.integers(0, 11), st.integers(1, 9))
def test_any_single_digit_substitution_is_detected(body: int, pos: int, delta: int) -> None:
    digits = normalise(tracking_number(body))
    changed = digits[:pos] + str((int(digits[pos]) + delta) % 10) + digits[pos + 1 :]
    assert not is_valid(changed)


@settings(max_examples=300)
@given(st.integers(10**9, 10**10 - 1), st.integers(0, 10))
def test_any_adjacent_transposition_is_detected(body: int, pos: int) -> None:
    digits = normalise(tracking_number(body))
    if digits[pos] == digits[pos + 1]:
        return
    swapped = digits[:pos] + digits[pos + 1] + digits[pos] + digits[pos + 2 :]
    assert not is_valid(swapped)


def test_numbers_are_unique_reproducible_and_not_sequential() -> None:
    numbers = generate_tracking_numbers(2000, seed=7)
    assert len(set(numbers)) == 2000
    assert numbers == generate_tracking_numbers(2000, seed=7)
    assert numbers != generate_tracking_numbers(2000, seed=8)
    bodies = [int(normalise(n)[:10]) for n in numbers]
    gaps = {b - a for a, b in itertools.pairwise(bodies)}
    assert len(gaps) > 1990, "consecutive kits must not have a fixed stride"
    assert not any(abs(g) == 1 for g in gaps)


def test_excluded_numbers_are_never_reissued() -> None:
    first = generate_tracking_numbers(50, seed=3)
    again = generate_tracking_numbers(50, seed=3, exclude=frozenset(first))
    assert not set(first) & set(again)
