"""Cross-table rules of the trial data model, one pure function each.

Both readers of the data apply them: the loader (:mod:`gvhdtrial.data.loader`, a problem with
file, line and column) and the data-capture edit checks (:mod:`gvhdtrial.capture.checks`, a
finding that raises a query on the record). Neither re-implements a rule.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any, Final

from gvhdtrial.data.ctcae import SOC_OF_TERM

#: Separator of the bag tracking numbers of one infusion (data model: infusions.kit_numbers).
KIT_SEPARATOR: Final = ";"
FATAL_OUTCOME: Final = "fatal"
FATAL_GRADE: Final = 5  # CTCAE v5.0: grade 5 = death related to the AE


def kit_numbers(text: Any) -> list[str]:
    """The tracking numbers recorded for one infusion (empty text: none)."""
    return [k for k in str(text or "").split(KIT_SEPARATOR) if k]


def bags_disagree_with_kits(bags: Any, kits: list[str]) -> bool:
    """One tracking number per bag: a recorded bag count differs from the kits recorded."""
    return isinstance(bags, int) and not isinstance(bags, bool) and bool(kits) and bags != len(kits)


def expected_soc(term: Any, soc: Any) -> str | None:
    """The CTCAE v5.0 SOC of ``term`` when the recorded ``soc`` is another one, else None."""
    expected = SOC_OF_TERM.get(str(term))
    if expected is None or not soc or soc == expected:
        return None
    return expected


def fatal_disagrees_with_grade(grade: Any, outcome: Any) -> bool:
    """An AE is fatal exactly when it is grade 5 (CTCAE v5.0)."""
    if grade is None or outcome is None:
        return False
    return (grade == FATAL_GRADE) != (outcome == FATAL_OUTCOME)


def repeats(keys: Iterable[Hashable]) -> Iterator[tuple[int, int]]:
    """``(index, index of its first occurrence)`` for every key seen before: a kit infused
    twice, a second death of a patient."""
    first: dict[Hashable, int] = {}
    for index, key in enumerate(keys):
        if key in first:
            yield index, first[key]
        else:
            first[key] = index
