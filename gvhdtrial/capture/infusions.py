"""Whether one more infusion (or the dispensing of its bags) follows the treatment plan.

The plan itself is the protocol engine's (:func:`gvhdtrial.protocol.treatment_plan`: 8
infusions, 16 after a partial response at day 28, at least
:data:`~gvhdtrial.protocol.treatment.MIN_DAYS_BETWEEN_INFUSIONS` days apart in phase 2: the
``[dosing]`` of the patient's definition version); this module only
compares a request with it, so the rule is not copied. Paper, Methods: Interventions.

Refused: an infusion number beyond the plan (infusion 9 of a plan of 8), a number whose
predecessors are not all done (infusion 5 before 2-4), a date closer to the previous infusion
than the plan allows (which also stops a dozen kits going to one patient on one day), a date
before randomization, a date in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from gvhdtrial.protocol import treatment_plan
from gvhdtrial.protocol.treatment import PHASE2_DOSING, Dosing


@dataclass(frozen=True)
class PlanRefusal:
    """Why an infusion breaks the plan; ``field`` is the data-model field at fault
    (``infusion_number`` or ``date`` of the ``infusions`` table)."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def infusion_refusal(
    number: int,
    on: dt.date,
    *,
    weight_kg: float,
    done: Mapping[int, dt.date],
    day28_response: str | None = None,
    randomized_on: dt.date | None = None,
    today: dt.date | None = None,
    dosing: Dosing = PHASE2_DOSING,
) -> PlanRefusal | None:
    """Why infusion ``number`` on ``on`` breaks the plan, or None when it follows it.

    ``done`` maps the infusions already given (or dispensed) to their dates; ``number`` may be
    in it (a repeat of the same infusion is judged against the others). ``randomized_on`` and
    ``today`` bound the date when given. ``dosing``: the ``[dosing]`` of the definition version
    the patient falls under (in force at randomization).
    """
    if today is not None and on > today:
        return PlanRefusal("date", f"The date {on.isoformat()} is in the future.")
    if randomized_on is not None and on < randomized_on:
        return PlanRefusal(
            "date", f"The date {on.isoformat()} is before randomization ({randomized_on})."
        )
    others = {n: d for n, d in done.items() if n != number}
    day0 = others.get(1, on if number == 1 else min(others.values(), default=on))
    planned = treatment_plan(weight_kg, day0, day28_response, dosing=dosing).number_of_infusions
    if number < 1 or number > planned:
        extend = dosing.extend_on_day28_response
        most = treatment_plan(weight_kg, day0, extend, dosing=dosing).number_of_infusions
        extended = f" ({most} only after a confirmed {extend} at day 28)" if planned < most else ""
        return PlanRefusal(
            "infusion_number",
            f"Infusion {number} is not in the plan: it has {planned} infusions{extended}.",
        )
    missing = [n for n in range(1, number) if n not in others]
    if missing:
        listed = ", ".join(str(n) for n in missing)
        plural = "s" if len(missing) > 1 else ""
        return PlanRefusal(
            "infusion_number", f"Infusion {number} cannot come before infusion{plural} {listed}."
        )
    for n, d in sorted(others.items()):
        gap = abs((on - d).days)
        if gap < dosing.min_days_between_infusions:
            return PlanRefusal(
                "date",
                f"Infusion {number} on {on.isoformat()} is {gap} day(s) from infusion {n} "
                f"({d.isoformat()}); the plan needs at least {dosing.min_days_between_infusions} "
                "days.",
            )
    return None
