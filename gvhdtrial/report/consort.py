"""The CONSORT flow as the report draws and tabulates it, read from ``results.consort``.

The analysis gives the flow as a JSON-ready dict; :func:`consort_view` reads it into a
:class:`ConsortView` (enrolment counts plus one :class:`ArmFlow` per arm, or one pooled flow
when blinded). The reading is tolerant of spelling (``excluded`` may be a count or a dict with
reasons; a count may sit under ``n``, ``total`` or ``count``) so that the figure and the table
come from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gvhdtrial.report import style


@dataclass(frozen=True)
class ArmFlow:
    """One arm's column of the diagram."""

    arm: str
    allocated: int
    received: int | None = None
    not_received: int = 0
    discontinued: int = 0
    discontinued_reasons: tuple[str, ...] = ()
    per_protocol: int | None = None
    pp_notes: tuple[str, ...] = ()
    analysed_itt: int | None = None
    safety: int | None = None


@dataclass(frozen=True)
class ConsortView:
    screened: int | None
    excluded: int | None
    excluded_reasons: tuple[tuple[str, int], ...]
    randomized: int | None
    arms: tuple[ArmFlow, ...]
    blinded: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _find(d: Mapping[str, Any], *names: str) -> Any:
    lower = {str(k).lower(): v for k, v in d.items()}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _count(value: Any) -> int | None:
    """A count given as a number, or as a dict with n/total/count, or as a list of ids."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, Mapping):
        inner = _find(value, "n", "total", "count")
        if inner is not None:
            return _count(inner)
        reasons = _find(value, "reasons", "by_reason")
        if reasons is not None:
            return sum(n for _, n in _reasons(reasons))
        return None
    if isinstance(value, list | tuple):
        return len(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _reason_text(reason: str) -> str:
    text = str(reason).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _reasons(value: Any) -> list[tuple[str, int]]:
    """Reasons with counts from a dict {reason: n | {n, detail...}} or a list of records."""
    out: list[tuple[str, int]] = []
    if isinstance(value, Mapping):
        for reason, n in value.items():
            if str(reason).lower() in ("n", "total", "count"):
                continue
            c = _count(n)
            label = _reason_text(reason)
            if isinstance(n, Mapping):
                detail = _detail(n)
                if detail:
                    label += f" [{detail}]"
            if c is not None:
                out.append((label, c))
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping):
                reason = _find(item, "reason", "label", "name", "category")
                c = _count(_find(item, "n", "count", "total"))
                label = _reason_text(reason if reason is not None else "other")
                detail = _detail(item)
                if detail:
                    label += f" [{detail}]"
                out.append((label, c if c is not None else 1))
            elif isinstance(item, list | tuple) and len(item) == 2:
                out.append((_reason_text(item[0]), int(item[1])))
    return out


def reason_line(label: str, n: int) -> str:
    """ "Early death (n = 2): septic shock" from the label "Early death [septic shock]"."""
    if label.endswith("]") and " [" in label:
        base, detail = label[:-1].split(" [", 1)
        return f"{base} (n = {n}): {detail}"
    return f"{label} (n = {n})"


def _detail(item: Mapping[str, Any]) -> str:
    """Extra detail of a reason, e.g. the aGVHD grades or causes of death."""
    parts = []
    for key in ("grade", "grades", "by_grade", "detail", "details", "causes", "cause"):
        value = _find(item, key)
        if value is None or value == "" or value == {}:
            continue
        if isinstance(value, Mapping):
            word = "grade " if "grade" in key else ""
            parts.append(", ".join(f"{word}{k}: {v}" for k, v in value.items()))
        elif isinstance(value, list | tuple):
            parts.append(", ".join(str(v) for v in value))
        else:
            word = "grade " if "grade" in key else ""
            parts.append(f"{word}{value}")
    return "; ".join(parts)


def _arm_flow(arm: str, d: Mapping[str, Any]) -> ArmFlow:
    allocated = _count(_find(d, "allocated", "randomized", "itt", "n"))
    received = _count(_find(d, "received_infusion", "received", "infused", "safety", "treated"))
    disc_raw = _find(
        d, "discontinued_before_d28", "discontinued", "stopped_before_d28", "early_discontinuation"
    )
    discontinued = _count(disc_raw) or 0
    reasons: list[str] = []
    if isinstance(disc_raw, Mapping):
        rs = _find(disc_raw, "reasons", "by_reason")
        pairs = _reasons(rs if rs is not None else disc_raw)
        reasons = [reason_line(label, n) for label, n in pairs]
    elif isinstance(disc_raw, list):
        reasons = [reason_line(label, n) for label, n in _reasons(disc_raw)]
    pp = _count(_find(d, "per_protocol", "pp", "per_protocol_set"))
    pp_notes: list[str] = []
    for key, label in (
        ("excluded_from_pp", "Excluded from per-protocol"),
        ("pp_excluded", "Excluded from per-protocol"),
        ("fewer_than_8_infusions", "Fewer than 8 infusions"),
        ("discontinued_in_pp", "Discontinued after the 8th infusion, kept in per-protocol"),
    ):
        value = _find(d, key)
        c = _count(value)
        if c:
            pp_notes.append(f"{label} (n = {c})")
    itt = _count(_find(d, "analysed_itt", "analysed", "itt_analysed", "itt")) or allocated
    safety = _count(_find(d, "safety", "safety_set"))
    not_received = (allocated - received) if (allocated is not None and received is not None) else 0
    return ArmFlow(
        arm=arm,
        allocated=allocated if allocated is not None else 0,
        received=received,
        not_received=max(0, not_received),
        discontinued=discontinued,
        discontinued_reasons=tuple(reasons),
        per_protocol=pp,
        pp_notes=tuple(pp_notes),
        analysed_itt=itt,
        safety=safety,
    )


def consort_view(consort: Mapping[str, Any], *, blinded: bool = False) -> ConsortView:
    """Read the analysis' CONSORT dict into what the diagram and table show."""
    screened = _count(_find(consort, "screened", "assessed", "assessed_for_eligibility"))
    excluded_raw = _find(consort, "excluded", "not_randomized", "screen_failures")
    excluded = _count(excluded_raw)
    reasons: list[tuple[str, int]] = []
    if isinstance(excluded_raw, Mapping):
        rs = _find(excluded_raw, "reasons", "by_reason")
        reasons = _reasons(rs if rs is not None else excluded_raw)
    elif isinstance(excluded_raw, list):
        reasons = _reasons(excluded_raw)
    randomized = _count(_find(consort, "randomized", "randomised", "enrolled"))
    if excluded is None and screened is not None and randomized is not None:
        excluded = screened - randomized
    arms_raw = _find(consort, "arms", "by_arm")
    flows: list[ArmFlow] = []
    if isinstance(arms_raw, Mapping):
        for arm, d in arms_raw.items():
            if isinstance(d, Mapping):
                flows.append(_arm_flow(str(arm), d))
    elif isinstance(arms_raw, list):
        for d in arms_raw:
            if isinstance(d, Mapping):
                flows.append(_arm_flow(str(_find(d, "arm", "name") or "pooled"), d))
    else:
        for arm in ("MSC", "control", "pooled"):
            d = _find(consort, arm)
            if isinstance(d, Mapping):
                flows.append(_arm_flow(arm, d))
    if not flows:
        flows.append(_arm_flow("pooled", consort))
    order = {"msc": 0, "control": 1, "pooled": 2}
    flows.sort(key=lambda f: order[style.arm_key(f.arm)])
    if blinded and len(flows) > 1:
        flows = [_pool(flows)]
    known = {"screened", "excluded", "randomized", "arms"}
    extra = {k: v for k, v in consort.items() if str(k).lower() not in known}
    return ConsortView(
        screened=screened,
        excluded=excluded,
        excluded_reasons=tuple(reasons),
        randomized=randomized,
        arms=tuple(flows),
        blinded=blinded,
        extra=extra,
    )


def _pool(flows: list[ArmFlow]) -> ArmFlow:
    def total(values: list[int | None]) -> int | None:
        return None if any(v is None for v in values) else sum(v or 0 for v in values)

    return ArmFlow(
        arm="pooled",
        allocated=sum(f.allocated for f in flows),
        received=total([f.received for f in flows]),
        not_received=sum(f.not_received for f in flows),
        discontinued=sum(f.discontinued for f in flows),
        per_protocol=total([f.per_protocol for f in flows]),
        analysed_itt=total([f.analysed_itt for f in flows]),
        safety=total([f.safety for f in flows]),
    )


def consort_rows(view: ConsortView) -> list[dict[str, Any]]:
    """The flow as table rows: stage, and one count column per arm (or the total)."""
    rows: list[dict[str, Any]] = []
    arm_labels = [style.ARM_LABELS[style.arm_key(f.arm)] for f in view.arms]

    def add(stage: str, total: Any, per_arm: list[Any] | None = None) -> None:
        row: dict[str, Any] = {"Stage": stage}
        for label, value in zip(arm_labels, per_arm or [""] * len(arm_labels), strict=True):
            row[label] = "" if value is None else value
        row["Total"] = "" if total is None else total
        rows.append(row)

    add("Assessed for eligibility", view.screened)
    add("Excluded", view.excluded)
    for reason, n in view.excluded_reasons:
        add(f"    {reason_line(reason, n)}", n)
    add("Randomized (ITT set)", view.randomized, [f.allocated for f in view.arms])
    add("Received ≥ 1 infusion (safety set)", None, [f.received for f in view.arms])
    add("Discontinued before d28", None, [f.discontinued for f in view.arms])
    for f_index, flow in enumerate(view.arms):
        for reason in flow.discontinued_reasons:
            per = [""] * len(view.arms)
            per[f_index] = reason
            add("    reason", None, per)
    add("Per-protocol set (≥ 8 infusions)", None, [f.per_protocol for f in view.arms])
    for row in rows:
        if row["Total"] == "" and all(isinstance(row[a], int) for a in arm_labels):
            row["Total"] = sum(row[a] for a in arm_labels)
    return rows
