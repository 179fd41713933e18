"""The CONSORT flow as the report draws and tabulates it, read from ``results.consort``.

The analysis gives the flow as a JSON-ready dict of stages (``screened``, ``screen_failures``,
``screen_failure_reasons``, ``randomized``, ``received_infusion``, ``discontinued_before_d28``
with ``total``, ``by_reason`` and ``by_grade``, ``excluded_from_per_protocol``, ``analysed``),
each count either a number (blinded) or split by arm (``{"MSC": n, "control": n, "total": n}``).
:func:`consort_view` turns it round into what the diagram shows: the enrolment counts, then one
:class:`ArmFlow` column per arm (one pooled column when blinded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gvhdtrial.i18n import N_, Msg
from gvhdtrial.protocol import ELIGIBILITY_CRITERIA
from gvhdtrial.protocol.eligibility import PHASE2_ELIGIBILITY
from gvhdtrial.report import style

_CRITERIA = {c.code: PHASE2_ELIGIBILITY.describe(c.description) for c in ELIGIBILITY_CRITERIA}


@dataclass(frozen=True)
class ArmFlow:
    """One arm's column of the diagram (arm "pooled" when blinded)."""

    arm: str
    allocated: int | None
    received: int | None = None
    discontinued: int | None = None
    discontinued_reasons: tuple[tuple[str, int], ...] = ()
    discontinued_grades: tuple[tuple[str, int], ...] = ()
    excluded_from_pp: int | None = None
    pp_discontinued_after_8: int | None = None
    per_protocol: int | None = None
    analysed_itt: int | None = None
    safety: int | None = None

    @property
    def not_received(self) -> int:
        if self.allocated is None or self.received is None:
            return 0
        return max(0, self.allocated - self.received)


@dataclass(frozen=True)
class ConsortView:
    screened: int | None
    excluded: int | None
    excluded_reasons: tuple[tuple[str, int], ...]
    randomized: int | None
    arms: tuple[ArmFlow, ...]
    blinded: bool = False
    notes: tuple[str, ...] = field(default=())


def criterion_label(code: str) -> str:
    """A screen-failure code as a reader reads it ("I1 not met: age 13-70")."""
    description = _CRITERIA.get(code)
    if description is None:
        return code.replace("_", " ")
    if code.startswith("I"):
        return f"{code} not met: {description}"
    return f"{code}: {description}"


def reason_label(reason: str) -> str:
    text = str(reason).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _count(node: Any, arm: str | None) -> int | None:
    """A count for ``arm`` (or the total when None) from a number or an arm split."""
    if node is None:
        return None
    if isinstance(node, bool):
        return int(node)
    if isinstance(node, int | float):
        return int(node) if arm in (None, "pooled") else None
    if isinstance(node, list | tuple):
        return len(node) if arm in (None, "pooled") else None
    if isinstance(node, Mapping):
        if arm in (None, "pooled"):
            if "total" in node:
                return _count(node["total"], None)
            if "n" in node:
                return _count(node["n"], None)
            values = [_count(v, None) for v in node.values()]
            return sum(v for v in values if v is not None) if values else None
        for key, value in node.items():
            if style.arm_key(key) == style.arm_key(arm):
                return _count(value, None)
        if "total" in node and isinstance(node["total"], Mapping):
            return _count(node["total"], arm)
    return None


def _breakdown(node: Any, arm: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(node, Mapping):
        return ()
    out = []
    for key, value in node.items():
        n = _count(value, arm)
        if n:
            out.append((str(key), n))
    return tuple(out)


def _arms(consort: Mapping[str, Any]) -> list[str]:
    """The arms of the split counts, experimental first; ["pooled"] when nothing is split."""
    randomized = consort.get("randomized")
    if isinstance(randomized, Mapping):
        arms = [k for k in randomized if k not in ("total", "n")]
        order = {"msc": 0, "control": 1, "pooled": 2}
        return sorted(arms, key=lambda a: order[style.arm_key(a)])
    return ["pooled"]


def consort_view(consort: Mapping[str, Any], *, blinded: bool = False) -> ConsortView:
    """Read the analysis' CONSORT dict into what the diagram and table show."""
    arms = ["pooled"] if blinded else _arms(consort)
    disc = consort.get("discontinued_before_d28")
    disc_total = disc.get("total") if isinstance(disc, Mapping) and "total" in disc else disc
    analysed = consort.get("analysed") or {}
    flows = []
    for arm in arms:
        flows.append(
            ArmFlow(
                arm=arm,
                allocated=_count(consort.get("randomized"), arm),
                received=_count(consort.get("received_infusion"), arm),
                discontinued=_count(disc_total, arm),
                discontinued_reasons=_breakdown(
                    disc.get("by_reason") if isinstance(disc, Mapping) else None, arm
                ),
                discontinued_grades=_breakdown(
                    disc.get("by_grade") if isinstance(disc, Mapping) else None, arm
                ),
                excluded_from_pp=_count(consort.get("excluded_from_per_protocol"), arm),
                pp_discontinued_after_8=_count(
                    consort.get("per_protocol_with_8_infusions_discontinued_before_d28"), arm
                ),
                per_protocol=_count(analysed.get("PP"), arm),
                analysed_itt=_count(analysed.get("ITT"), arm),
                safety=_count(analysed.get("safety"), arm),
            )
        )
    screened = _count(consort.get("screened"), None)
    randomized = _count(consort.get("randomized"), None)
    excluded = _count(consort.get("screen_failures"), None)
    if excluded is None and screened is not None and randomized is not None:
        excluded = screened - randomized
    reasons = [
        (criterion_label(code), int(n))
        for code, n in (consort.get("screen_failure_reasons") or {}).items()
    ]
    eligible_not_rand = _count(consort.get("eligible_not_randomized"), None)
    if eligible_not_rand:
        reasons.append(("Eligible, not randomized", eligible_not_rand))
    notes = []
    if sum(n for _, n in reasons) > (excluded or 0):
        notes.append(N_("A patient can fail more than one criterion."))
    odd = consort.get("randomized_but_screen_criteria_failed") or []
    if odd:
        notes.append(
            Msg(
                "Randomized although a screening criterion failed: %(ids)s.",
                ids=", ".join(map(str, odd)),
            )
        )
    unknown = consort.get("randomized_screening_not_assessable") or []
    if unknown:
        notes.append(
            Msg(
                "Randomized; screening cannot be re-checked from the data (baseline form not "
                "entered: missing data): %(ids)s.",
                ids=", ".join(map(str, unknown)),
            )
        )
    return ConsortView(
        screened=screened,
        excluded=excluded,
        excluded_reasons=tuple(reasons),
        randomized=randomized,
        arms=tuple(flows),
        blinded=blinded,
        notes=tuple(notes),
    )


def consort_rows(view: ConsortView) -> list[dict[str, Any]]:
    """The flow as table rows: stage, one count column per arm, and the total."""
    labels = [style.ARM_LABELS[style.arm_key(f.arm)] for f in view.arms]
    split = len(view.arms) > 1
    rows: list[dict[str, Any]] = []

    def add(stage: str, per_arm: list[int | None] | None, total: int | None = None) -> None:
        row: dict[str, Any] = {"Stage": stage}
        if split:
            for label, value in zip(labels, per_arm or [None] * len(labels), strict=True):
                row[label] = "" if value is None else value
        if total is None and per_arm and all(v is not None for v in per_arm):
            total = sum(v for v in per_arm if v is not None)
        row["Total"] = "" if total is None else total
        rows.append(row)

    def each(attr: str) -> list[int | None]:
        return [getattr(f, attr) for f in view.arms]

    add("Assessed for eligibility", None, view.screened)
    add("Excluded before randomization", None, view.excluded)
    for reason, n in view.excluded_reasons:
        add(f"\u2003{reason}", None, n)
    add("Randomized (intention-to-treat set)", each("allocated"), view.randomized)
    add("Received ≥ 1 infusion", each("received"))
    add("Discontinued before d28", each("discontinued"))
    reasons = list(dict.fromkeys(r for f in view.arms for r, _ in f.discontinued_reasons))
    for reason in reasons:
        add(
            f"\u2003{reason_label(reason)}",
            [dict(f.discontinued_reasons).get(reason, 0) for f in view.arms],
        )
    grades = list(dict.fromkeys(g for f in view.arms for g, _ in f.discontinued_grades))
    for grade in grades:
        add(
            f"\u2003aGVHD grade {grade}",
            [dict(f.discontinued_grades).get(grade, 0) for f in view.arms],
        )
    add("Excluded from per-protocol (< 8 infusions)", each("excluded_from_pp"))
    add("Per-protocol, discontinued before d28 after 8 infusions", each("pp_discontinued_after_8"))
    add("Analysed: per-protocol set", each("per_protocol"))
    add("Analysed: safety set", each("safety"))
    return rows
