"""Whether an assessment row assesses the patient at all: a blank form is "not assessed".

MAGIC staging reads an empty measurement as normal, so a form with nothing entered used to show
"MAGIC grade 0" and, against a baseline, "CR". The data model makes two measurements required on
every assessment (``gvhdtrial.data.model``, ``assessments``): the skin's % BSA with erythema and
the total bilirubin; the stool measurements may be empty (no diarrhoea recorded) and the other
signs are yes/no. So a stage, a grade and a response are given only when both required
measurements are entered; otherwise the assessment is "not assessed".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

#: organ -> the field whose value assesses it (required by the data model on every assessment).
ORGAN_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "skin": ("skin_bsa_percent",),
    "liver": ("bilirubin",),
}


def _entered(value: Any) -> bool:
    return value is not None and value != "" and value is not False


def unassessed_organs(row: Mapping[str, Any]) -> tuple[str, ...]:
    """The organs of :data:`ORGAN_FIELDS` the row leaves blank (empty: fully assessed)."""
    return tuple(
        organ
        for organ, names in ORGAN_FIELDS.items()
        if not any(_entered(row.get(n)) for n in names)
    )


def is_assessed(row: Mapping[str, Any]) -> bool:
    """True when every organ is assessed, so that a grade and a response can be given."""
    return not unassessed_organs(row)
