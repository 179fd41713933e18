"""Kit tracking numbers: non-sequential, unique, with ISO 7064 MOD 97-10 check digits.

The paper gave each investigational bag a unique tracking number from a national traceability
system (Methods, "Randomization and double-blind design"). Here a tracking number is a 10-digit
body drawn without replacement from a seeded PCG64 generator (so neighbouring kits have unrelated
numbers and no number reveals the arm or the order of manufacture), followed by two check digits
computed with ISO/IEC 7064 MOD 97-10 (the IBAN scheme): ``check = 98 - (body * 100 mod 97)``,
and a number is valid when ``int(body + check) mod 97 == 1``. MOD 97-10 catches every
single-digit substitution and every transposition of two adjacent digits.

Printed form: ``NNNN-NNNN-NN-CC`` (the hyphens are ignored when validating).
"""

from __future__ import annotations

import numpy as np

BODY_DIGITS = 10
_BODY_LOW = 10 ** (BODY_DIGITS - 1)  # no leading zero: the number reads the same as an integer
_BODY_HIGH = 10**BODY_DIGITS


def mod97_check_digits(body: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits for a string of decimal digits."""
    if not body.isdigit():
        raise ValueError(f"tracking number body must be digits, got {body!r}")
    return f"{98 - (int(body) * 100) % 97:02d}"


def normalise(number: str) -> str:
    return number.replace("-", "").replace(" ", "")


def is_valid(number: str) -> bool:
    """True when ``number`` (hyphens allowed) has the right length and check digits."""
    digits = normalise(number)
    return len(digits) == BODY_DIGITS + 2 and digits.isdigit() and int(digits) % 97 == 1


def format_number(digits: str) -> str:
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:10]}-{digits[10:12]}"


def tracking_number(body: int) -> str:
    text = str(body)
    if len(text) != BODY_DIGITS:
        raise ValueError(f"body must have {BODY_DIGITS} digits")
    return format_number(text + mod97_check_digits(text))


def generate_tracking_numbers(
    count: int, seed: int, exclude: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """``count`` unique tracking numbers drawn from a seeded generator, none in ``exclude``."""
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(7064,))))
    taken = {normalise(x) for x in exclude}
    out: list[str] = []
    while len(out) < count:
        for body in gen.integers(_BODY_LOW, _BODY_HIGH, size=max(16, count - len(out))):
            number = tracking_number(int(body))
            key = normalise(number)
            if key in taken:
                continue
            taken.add(key)
            out.append(number)
            if len(out) == count:
                break
    return tuple(out)
