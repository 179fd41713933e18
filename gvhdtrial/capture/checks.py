"""Edit checks: pure functions over one patient's CRF rows that return findings.

Three kinds, every one with an id, a readable message and its source:

- field checks (``F-...``), derived from the data model (:mod:`gvhdtrial.data.model`): type,
  required, range, allowed values, pattern, and fields that apply only when another field says
  so (``When``);
- date-order checks (``DATE-...``), one per :data:`gvhdtrial.data.model.DATE_RULES` row
  (e.g. no infusion before randomization, no AE onset after death, an AE resolves after onset);
- cross-form checks (``EDIT_CHECKS`` below), one function each, thresholds in ``THRESHOLDS``.

A finding names the table, the record (``ref``, as given in the row's ``"_ref"``) and the field
a query is raised on. Checks never raise on bad data: a value of the wrong type is a finding.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from gvhdtrial.capture.record import PatientRecord, Row
from gvhdtrial.capture.response import (
    compute_response,
    measurements_of,
    salvage_date,
    trial_response_rule,
    visit_target_date,
)
from gvhdtrial.data import consistency
from gvhdtrial.data.model import DATE_RULES, TABLES_BY_NAME, DateRule, Field
from gvhdtrial.i18n import N_
from gvhdtrial.protocol import lower_gi_stage, methylprednisolone_mg
from gvhdtrial.protocol.staging import UMOL_PER_L_PER_MG_DL
from gvhdtrial.protocol.treatment import (
    PLANNED_INFUSIONS,
    PLANNED_INFUSIONS_EXTENDED,
    planned_infusions,
)

# ------------------------------------------------------------------------------------------
# Thresholds of the cross-form checks: one table, each with its source.
# ------------------------------------------------------------------------------------------
THRESHOLDS: Final[Mapping[str, float]] = {
    # 8 infusions; 16 only after PR at day 28 (docs/protocol.md section 4).
    "infusions_planned": PLANNED_INFUSIONS,
    "infusions_planned_after_pr": PLANNED_INFUSIONS_EXTENDED,
    # Delivered dose = bags x 2 x 10^7 / weight (docs/protocol.md section 4); recorded to 2
    # decimals.
    "dose_tolerance_1e6_per_kg": 0.01,
    # An infusion reaction is reported as an infusion-related AE starting within 1 day.
    "reaction_ae_within_days": 1,
    # Bilirubin plausibility: > 40 "mg/dL" (684 umol/L) is almost surely umol/L typed as mg/dL;
    # a positive "umol/L" value below 2 (0.12 mg/dL) is almost surely mg/dL typed as umol/L.
    "bilirubin_max_plausible_mg_dl": 40.0,
    "bilirubin_min_plausible_umol_l": 2.0,
    # Weight at an assessment differing by more than 20 % from screening: likely a typo (and
    # the dose is computed from the screening weight).
    "weight_change_fraction": 0.20,
    # Baseline assessment at most 7 days before the first infusion (screening <= 7 days,
    # docs/protocol.md section 4).
    "baseline_max_days_before_first_infusion": 7,
    # First-line steroid: methylprednisolone 1-2 mg/kg/day or equivalent (docs/protocol.md section
    # 3); 5 % allowed for rounding of tablets and weight.
    "steroid_start_min_mg_kg": 1.0,
    "steroid_start_max_mg_kg": 2.0,
    "steroid_rounding_fraction": 0.05,
    # At most two salvage agents may be added (docs/protocol.md section 4).
    "max_salvage_agents": 2,
    # CTCAE grade 4 (life-threatening) and 5 (death) are serious by definition (ICH E2A).
    "serious_from_grade": 4,
}


@dataclass(frozen=True)
class EditCheck:
    """One edit check: id, what it requires (readable), where the rule comes from."""

    id: str
    table: str
    field: str
    requirement: str
    source: str


@dataclass(frozen=True)
class Finding:
    """A failed edit check on one record's field (a query is raised on it)."""

    check: str
    table: str
    field: str
    message: str
    source: str
    ref: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "table": self.table,
            "field": self.field,
            "message": self.message,
            "source": self.source,
            "ref": self.ref,
            "severity": self.severity,
        }


def _ref(row: Row) -> str | None:
    ref = row.get("_ref")
    return None if ref is None else str(ref)


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


# ------------------------------------------------------------------------------------------
# Field checks, derived from the data model
# ------------------------------------------------------------------------------------------
FIELD_CHECKS: Final[Mapping[str, str]] = {
    "F-REQUIRED": "a required field is filled in",
    "F-TYPE": "the value has the field's type",
    "F-RANGE": "the value is within the field's bounds",
    "F-CHOICE": "the value is one of the field's allowed codes",
    "F-PATTERN": "the value matches the field's pattern",
    "F-NOT-APPLICABLE": "a conditional field is empty when its condition does not hold",
}


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _type_ok(f: Field, value: Any) -> bool:
    if f.type == "bool":
        return isinstance(value, bool)
    if f.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if f.type == "float":
        return _num(value) is not None
    if f.type == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return isinstance(value, str)


def _in_bounds(f: Field, x: float) -> bool:
    if f.minimum is not None and (x < f.minimum or (f.minimum_exclusive and x == f.minimum)):
        return False
    return not (
        f.maximum is not None and (x > f.maximum or (f.maximum_exclusive and x == f.maximum))
    )


def check_fields(table: str, row: Row, *, skip: Iterable[str] = ()) -> list[Finding]:
    """Field checks of one row of ``table`` against the data model (gvhdtrial/data/model.py)."""
    t = TABLES_BY_NAME[table]
    skipped = set(skip)
    out: list[Finding] = []
    for f in t.fields:
        if f.name in skipped or f.blinded:
            continue
        value = row.get(f.name)
        source = f"data model: {table}.{f.name} ({f.meaning})"

        def finding(check: str, message: str, *, field: Field = f, src: str = source) -> Finding:
            return Finding(check, table, field.name, message, src, _ref(row))

        if f.when is not None and _csv_text(row.get(f.when.field)) not in f.when.values:
            if not _missing(value) and value is not False:
                out.append(
                    finding(
                        "F-NOT-APPLICABLE",
                        f"{f.name} applies only when {f.when.describe()}; leave it empty",
                    )
                )
            continue
        if _missing(value):
            if f.required:
                out.append(finding("F-REQUIRED", f"{f.name} is required ({f.meaning})"))
            continue
        if not _type_ok(f, value):
            out.append(finding("F-TYPE", f"{f.name}: {value!r} is not {f.expected()}"))
            continue
        if f.type in ("int", "float") and not _in_bounds(f, float(str(value))):
            out.append(finding("F-RANGE", f"{f.name}: {value} is out of range; {f.expected()}"))
        if f.type == "enum" and str(value) not in f.choices:
            out.append(finding("F-CHOICE", f"{f.name}: {value!r} is not {f.expected()}"))
        if f.pattern is not None and f.type == "str" and not re.fullmatch(f.pattern, str(value)):
            out.append(finding("F-PATTERN", f"{f.name}: {value!r} is not {f.expected()}"))
    return out


# ------------------------------------------------------------------------------------------
# Date-order checks, one per DATE_RULES row
# ------------------------------------------------------------------------------------------
def date_check_id(rule: DateRule) -> str:
    """``DATE-<table>.<column>>=<anchor>``, e.g. ``DATE-infusions.date>=randomization``."""
    anchor = rule.anchor.removeprefix("patient:")
    return f"DATE-{rule.table}.{rule.column}{rule.op}{anchor}"


DATE_CHECKS: Final[Mapping[str, DateRule]] = {date_check_id(r): r for r in DATE_RULES}

_TABLE_ROWS: Final[Mapping[str, Callable[[PatientRecord], Sequence[Row]]]] = {
    "patients": lambda r: [r.patient],
    "randomization": lambda r: (
        [{"randomization_date": r.randomization_date}] if r.randomization_date else []
    ),
    "steroid_doses": lambda r: r.steroid_doses,
    "infusions": lambda r: r.infusions,
    "assessments": lambda r: r.assessments,
    "therapies": lambda r: r.therapies,
    "adverse_events": lambda r: r.adverse_events,
    "events": lambda r: r.events,
}


def _patient_date(record: PatientRecord, name: str) -> dt.date | None:
    if name == "randomization":
        return record.randomization_date
    if name == "death":
        return record.death_date
    column = {
        "screening": "screening_date",
        "hsct": "hsct_date",
        "agvhd_onset": "agvhd_onset_date",
        "consent": "consent_date",
    }[name]
    return _date(record.patient.get(column))


def check_dates(record: PatientRecord) -> list[Finding]:
    """Every DATE_RULES row (data model: what cannot happen in a patient's time line)."""
    out: list[Finding] = []
    for check_id, rule in DATE_CHECKS.items():
        for row in _TABLE_ROWS[rule.table](record):
            value = _date(row.get(rule.column))
            if rule.anchor.startswith("patient:"):
                name = rule.anchor.removeprefix("patient:")
                anchor = _patient_date(record, name)
                anchor_label = name.replace("_", " ")
            else:
                name = rule.anchor
                anchor = _date(row.get(rule.anchor))
                anchor_label = name.replace("_", " ")
            if value is None or anchor is None:
                continue
            # A death event is not "after death" itself.
            if rule.table == "events" and name == "death" and row.get("event_type") == "death":
                continue
            bad = value < anchor if rule.op == ">=" else value > anchor
            if bad:
                relation = "before" if rule.op == ">=" else "after"
                out.append(
                    Finding(
                        check_id,
                        rule.table,
                        rule.column,
                        f"{rule.column.replace('_', ' ')} {value} is {relation} the "
                        f"{anchor_label} date {anchor}: {rule.reason}",
                        f"data model DATE_RULES: {rule.reason}",
                        _ref(row if rule.table not in ("patients", "randomization") else {}),
                    )
                )
    return out


# ------------------------------------------------------------------------------------------
# Cross-form checks
# ------------------------------------------------------------------------------------------
CrossCheck = Callable[[PatientRecord], Iterator[Finding]]
EDIT_CHECKS: dict[str, EditCheck] = {}
_CROSS: dict[str, CrossCheck] = {}


def _check(
    check_id: str, table: str, field: str, requirement: str, source: str
) -> Callable[[CrossCheck], CrossCheck]:
    def register(fn: CrossCheck) -> CrossCheck:
        EDIT_CHECKS[check_id] = EditCheck(check_id, table, field, requirement, source)
        _CROSS[check_id] = fn
        return fn

    return register


def _finding(
    check_id: str, message: str, row: Row | None = None, severity: str = "error"
) -> Finding:
    c = EDIT_CHECKS[check_id]
    return Finding(check_id, c.table, c.field, message, c.source, _ref(row or {}), severity)


def _infusions_by_number(record: PatientRecord) -> list[Row]:
    return sorted(
        (i for i in record.infusions if isinstance(i.get("infusion_number"), int)),
        key=lambda i: i["infusion_number"],
    )


def _kits(row: Row) -> list[str]:
    return consistency.kit_numbers(row.get("kit_numbers"))


@_check(
    "AE-G5-DEATH", "adverse_events", "grade",
    "a grade 5 AE needs a death event, dated on or after the AE's onset",
    "CTCAE v5.0: grade 5 = death related to the AE; docs/protocol.md section 7",
)  # fmt: skip
def _ae_grade5_needs_death(record: PatientRecord) -> Iterator[Finding]:
    death = record.death_date
    for ae in record.adverse_events:
        if ae.get("grade") != 5:
            continue
        if death is None:
            yield _finding(
                "AE-G5-DEATH",
                N_("grade 5 AE '%(term)s' but no death event") % {"term": ae.get("term")},
                ae,
            )
        elif (onset := _date(ae.get("onset_date"))) is not None and onset > death:
            yield _finding(
                "AE-G5-DEATH",
                N_("grade 5 AE '%(term)s' starts %(onset)s, after the death on %(death)s")
                % {"term": ae.get("term"), "onset": onset, "death": death},
                ae,
            )


@_check(
    "AE-FATAL-G5", "adverse_events", "outcome",
    "outcome 'fatal' if and only if grade 5",
    "CTCAE v5.0 grade 5 definition",
)  # fmt: skip
def _ae_fatal_is_grade5(record: PatientRecord) -> Iterator[Finding]:
    for ae in record.adverse_events:
        grade, outcome = ae.get("grade"), ae.get("outcome")
        if consistency.fatal_disagrees_with_grade(grade, outcome):
            yield _finding(
                "AE-FATAL-G5",
                N_("grade %(grade)s with outcome '%(outcome)s': a fatal AE is grade 5")
                % {"grade": grade, "outcome": outcome},
                ae,
            )


@_check(
    "AE-SERIOUS-GRADE", "adverse_events", "serious",
    "an AE of grade 4 or 5 is serious",
    "ICH E2A: life-threatening events and deaths are serious",
)  # fmt: skip
def _ae_serious(record: PatientRecord) -> Iterator[Finding]:
    for ae in record.adverse_events:
        grade = ae.get("grade")
        serious_grade = isinstance(grade, int) and grade >= THRESHOLDS["serious_from_grade"]
        if serious_grade and ae.get("serious") is False:
            yield _finding(
                "AE-SERIOUS-GRADE",
                N_("grade %(grade)s AE not marked serious") % {"grade": grade},
                ae,
            )


@_check(
    "AE-SOC-TERM", "adverse_events", "soc",
    "the SOC is the CTCAE v5.0 SOC of the term",
    "CTCAE v5.0 (gvhdtrial/data/ctcae.py SOC_OF_TERM)",
)  # fmt: skip
def _ae_soc(record: PatientRecord) -> Iterator[Finding]:
    for ae in record.adverse_events:
        term, soc = ae.get("term"), ae.get("soc")
        expected = consistency.expected_soc(term, soc)
        if expected is not None:
            yield _finding(
                "AE-SOC-TERM",
                N_("'%(term)s' belongs to '%(expected)s', not '%(soc)s'")
                % {"term": term, "expected": expected, "soc": soc},
                ae,
            )


@_check(
    "INF-INTERVAL", "infusions", "date",
    "consecutive infusions are at least 3 days apart",
    "paper, Methods: twice weekly, at least 3 days apart (docs/protocol.md section 4)",
)  # fmt: skip
def _infusion_interval(record: PatientRecord) -> Iterator[Finding]:
    # the dosing of the patient's definition version (in force at randomization)
    least = record.trial_definition.dosing.min_days_between_infusions
    dated = [i for i in _infusions_by_number(record) if _date(i.get("date"))]
    for before, after in itertools.pairwise(dated):
        gap = (after["date"] - before["date"]).days
        if gap < least:
            yield _finding(
                "INF-INTERVAL",
                N_(
                    "infusion %(after)s on %(date)s is %(gap)s day(s) after infusion %(before)s; "
                    "at least %(min)s days apart"
                )
                % {
                    "after": after["infusion_number"],
                    "date": after["date"],
                    "gap": gap,
                    "before": before["infusion_number"],
                    "min": f"{least:g}",
                },
                after,
            )


@_check(
    "INF-SEQUENCE", "infusions", "infusion_number",
    "infusions are numbered 1, 2, 3, ... without gaps or repeats",
    "data model: infusions primary key (patient_id, infusion_number)",
)  # fmt: skip
def _infusion_sequence(record: PatientRecord) -> Iterator[Finding]:
    rows = _infusions_by_number(record)
    counts = Counter(i["infusion_number"] for i in rows)
    for number, n in counts.items():
        if n > 1:
            row = next(i for i in rows if i["infusion_number"] == number)
            yield _finding(
                "INF-SEQUENCE",
                N_("infusion %(number)s is recorded %(n)s times") % {"number": number, "n": n},
                row,
            )
    numbers = sorted(counts)
    missing = sorted(set(range(1, (numbers[-1] if numbers else 0) + 1)) - set(numbers))
    if missing:
        last = rows[-1]
        yield _finding(
            "INF-SEQUENCE",
            N_("infusion %(number)s recorded but not %(missing)s")
            % {"number": last["infusion_number"], "missing": ", ".join(map(str, missing))},
            last,
        )


@_check(
    "INF-PLANNED", "infusions", "infusion_number",
    "more than 8 infusions only after a partial response at day 28 (16 in all)",
    "paper, Methods: PR at day 28 continues 4 more weeks (docs/protocol.md section 4)",
)  # fmt: skip
def _infusion_planned(record: PatientRecord) -> Iterator[Finding]:
    limit = planned_infusions(record.day28_response, record.trial_definition.dosing)
    for row in _infusions_by_number(record):
        if row["infusion_number"] > limit:
            yield _finding(
                "INF-PLANNED",
                N_("infusion %(number)s but %(limit)s planned (day-28 response %(response)s)")
                % {
                    "number": row["infusion_number"],
                    "limit": f"{limit:g}",
                    "response": record.day28_response or N_("not confirmed"),
                },
                row,
            )


@_check(
    "INF-KIT-ONCE", "infusions", "kit_numbers",
    "each kit (bag tracking number) is infused once",
    "paper, Methods: unique tracking number per bag; chain of custody",
)  # fmt: skip
def _kit_once(record: PatientRecord) -> Iterator[Finding]:
    kits = [(kit, row) for row in _infusions_by_number(record) for kit in _kits(row)]
    for index, first in consistency.repeats(kit for kit, _ in kits):
        kit, row = kits[index]
        yield _finding(
            "INF-KIT-ONCE",
            N_("kit %(kit)s is recorded for infusion %(first)s and %(number)s")
            % {
                "kit": kit,
                "first": kits[first][1]["infusion_number"],
                "number": row["infusion_number"],
            },
            row,
        )


@_check(
    "INF-BAGS-KITS", "infusions", "bags",
    "the number of bags equals the number of kit numbers",
    "data model: infusions.bags (= number of tracking numbers)",
)  # fmt: skip
def _bags_match_kits(record: PatientRecord) -> Iterator[Finding]:
    for row in record.infusions:
        bags, kits = row.get("bags"), _kits(row)
        if consistency.bags_disagree_with_kits(bags, kits):
            yield _finding(
                "INF-BAGS-KITS",
                N_("%(bags)s bag(s) but %(kits)s kit number(s) recorded")
                % {"bags": bags, "kits": len(kits)},
                row,
            )


@_check(
    "INF-DOSE", "infusions", "delivered_cells_1e6_per_kg",
    "delivered cells/kg = bags x 2.0 x 10^7 / screening weight",
    "paper, Methods: 2.0 x 10^7 cells per bag; docs/protocol.md section 4 (report delivered dose)",
)  # fmt: skip
def _dose(record: PatientRecord) -> Iterator[Finding]:
    weight = _num(record.patient.get("weight_kg"))
    if not weight:
        return
    per_bag = record.trial_definition.dosing.cells_per_bag
    for row in record.infusions:
        bags, given = row.get("bags"), _num(row.get("delivered_cells_1e6_per_kg"))
        if not isinstance(bags, int) or given is None:
            continue
        expected = bags * per_bag / weight / 1e6
        if abs(given - expected) > THRESHOLDS["dose_tolerance_1e6_per_kg"] + 0.005:
            yield _finding(
                "INF-DOSE",
                N_(
                    "%(given)s x 10^6 cells/kg recorded; %(bags)s bag(s) for %(weight)s kg deliver "
                    "%(expected)s"
                )
                % {
                    "given": f"{given:g}",
                    "bags": bags,
                    "weight": f"{weight:g}",
                    "expected": f"{expected:.2f}",
                },
                row,
            )


@_check(
    "INF-REACTION-AE", "infusions", "infusion_reaction",
    "an infusion reaction is also reported as an infusion-related AE starting within 1 day",
    "docs/protocol.md section 7: infusion toxicity is an AE endpoint",
)  # fmt: skip
def _reaction_has_ae(record: PatientRecord) -> Iterator[Finding]:
    window = dt.timedelta(days=THRESHOLDS["reaction_ae_within_days"])
    for row in record.infusions:
        day = _date(row.get("date"))
        if not row.get("infusion_reaction") or day is None:
            continue
        related = [
            ae
            for ae in record.adverse_events
            if ae.get("infusion_related")
            and (onset := _date(ae.get("onset_date"))) is not None
            and day <= onset <= day + window
        ]
        if not related:
            yield _finding(
                "INF-REACTION-AE",
                N_(
                    "infusion %(number)s on %(day)s had a reaction but no infusion-related AE is "
                    "recorded"
                )
                % {"number": row.get("infusion_number"), "day": day},
                row,
            )


@_check(
    "ASM-STAGEABLE", "assessments", "skin_desquamation_percent",
    "the protocol engine accepts the measurements (e.g. desquamation within the rash)",
    "MAGIC, Harris et al., BBMT 2016 (gvhdtrial.protocol.staging)",
)  # fmt: skip
def _stageable(record: PatientRecord) -> Iterator[Finding]:
    for row in record.assessments:
        try:
            measurements_of(row)
        except (ValueError, TypeError) as exc:
            yield _finding("ASM-STAGEABLE", N_("cannot be staged: %(error)s") % {"error": exc}, row)


@_check(
    "ASM-BILI-UNIT", "assessments", "bilirubin_unit",
    "the bilirubin value is plausible in its unit (not mg/dL and umol/L swapped)",
    "docs/protocol.md section 1: 1 mg/dL = 17.1 umol/L",
)  # fmt: skip
def _bilirubin_unit(record: PatientRecord) -> Iterator[Finding]:
    for row in record.assessments:
        value, unit = _num(row.get("bilirubin")), row.get("bilirubin_unit")
        if value is None:
            continue
        if unit == "mg/dL" and value > THRESHOLDS["bilirubin_max_plausible_mg_dl"]:
            yield _finding(
                "ASM-BILI-UNIT",
                N_(
                    "bilirubin %(value)s mg/dL is implausible (%(umol)s umol/L); "
                    "was it measured in umol/L?"
                )
                % {"value": f"{value:g}", "umol": f"{value * UMOL_PER_L_PER_MG_DL:.0f}"},
                row,
            )
        if unit == "umol/L" and 0 < value < THRESHOLDS["bilirubin_min_plausible_umol_l"]:
            yield _finding(
                "ASM-BILI-UNIT",
                N_("bilirubin %(value)s umol/L is implausibly low; was it measured in mg/dL?")
                % {"value": f"{value:g}"},
                row,
            )


@_check(
    "ASM-STOOL-BOTH", "assessments", "stool_episodes_per_day",
    "when stool volume and episodes are both given and stage differently, the volume stages "
    "lower GI (confirm both values)",
    "docs/protocol.md section 1: lower GI by volume when measured, else episodes (configurable)",
)  # fmt: skip
def _stool_both(record: PatientRecord) -> Iterator[Finding]:
    for row in record.assessments:
        volume, episodes = (
            _num(row.get("stool_ml_per_day")),
            _num(row.get("stool_episodes_per_day")),
        )
        if volume is None or episodes is None:
            continue
        weight = _num(row.get("weight_kg"))
        mixed = bool(row.get("stool_mixed_with_urine"))
        try:
            by_volume = lower_gi_stage(volume, None, weight, mixed_with_urine=mixed)
            by_episodes = lower_gi_stage(None, episodes, weight, mixed_with_urine=mixed)
        except ValueError:
            continue  # ASM-STAGEABLE reports it
        if by_volume != by_episodes:
            yield _finding(
                "ASM-STOOL-BOTH",
                N_(
                    "volume %(volume)s mL/day gives lower GI stage %(by_volume)s, %(episodes)s "
                    "episodes/day stage %(by_episodes)s: staged by volume (stage %(by_volume)s)"
                )
                % {
                    "volume": f"{volume:g}",
                    "by_volume": by_volume,
                    "episodes": f"{episodes:g}",
                    "by_episodes": by_episodes,
                },
                row,
                severity="warning",
            )


@_check(
    "ASM-WEIGHT", "assessments", "weight_kg",
    "the weight at an assessment is within 20 % of the screening weight",
    "plausibility (dose and child lower GI thresholds depend on weight, docs/protocol.md 1, 4)",
)  # fmt: skip
def _weight_change(record: PatientRecord) -> Iterator[Finding]:
    base = _num(record.patient.get("weight_kg"))
    if not base:
        return
    for row in record.assessments:
        weight = _num(row.get("weight_kg"))
        if weight and abs(weight - base) / base > THRESHOLDS["weight_change_fraction"]:
            yield _finding(
                "ASM-WEIGHT",
                N_(
                    "weight %(weight)s kg differs by more than %(fraction)s "
                    "from the screening weight %(base)s kg"
                )
                % {
                    "weight": f"{weight:g}",
                    "base": f"{base:g}",
                    "fraction": f"{THRESHOLDS['weight_change_fraction']:.0%}",
                },
                row,
                severity="warning",
            )


@_check(
    "ASM-BASELINE", "assessments", "assessment_date",
    "a treated patient has a baseline assessment within 7 days before the first infusion",
    "docs/protocol.md section 5: response is against baseline (start of study treatment)",
)  # fmt: skip
def _baseline(record: PatientRecord) -> Iterator[Finding]:
    first = record.first_infusion_date
    if first is None:
        return
    earliest = first - dt.timedelta(days=THRESHOLDS["baseline_max_days_before_first_infusion"])
    ok = [
        a
        for a in record.assessments
        if (d := _date(a.get("assessment_date"))) is not None and earliest <= d <= first
    ]
    if not ok:
        yield Finding(
            "ASM-BASELINE", "assessments", "assessment_date",
            f"no baseline assessment between {earliest} and the first infusion on {first}",
            EDIT_CHECKS["ASM-BASELINE"].source, None,
        )  # fmt: skip


@_check(
    "ASM-VISIT-ONCE", "assessments", "visit",
    "one assessment per visit label (unscheduled visits excepted)",
    "data model: assessments.visit",
)  # fmt: skip
def _visit_once(record: PatientRecord) -> Iterator[Finding]:
    counts = Counter(a.get("visit") for a in record.assessments if a.get("visit") != "unscheduled")
    for row in record.assessments:
        visit = row.get("visit")
        if visit and visit != "unscheduled" and counts[visit] > 1:
            yield _finding(
                "ASM-VISIT-ONCE",
                N_("visit %(visit)s has %(n)s assessments") % {"visit": visit, "n": counts[visit]},
                row,
            )


@_check(
    "RESP-WINDOW", "responses", "confirmed",
    "a response visit's response needs an assessment within the visit's window (trial "
    "definition, [response]; phase 2: day 28 and 56, +/- 3 days) unless NR by death or salvage",
    "paper, Methods: response at day 28 and day 56; docs/protocol.md sections 4-5",
)  # fmt: skip
def _response_window(record: PatientRecord) -> Iterator[Finding]:
    rule = trial_response_rule(record)
    for row in record.responses:
        visit = str(row.get("visit"))
        if visit not in rule.visit_names or not row.get("confirmed"):
            continue
        computed = compute_response(record, visit, rule=rule)
        if computed.died or computed.salvage:
            continue
        if computed.assessment_date is None:
            target = visit_target_date(record, visit, rule)
            yield _finding(
                "RESP-WINDOW",
                N_(
                    "%(visit)s response %(response)s but no assessment within %(days)s days of "
                    "%(date)s"
                )
                % {
                    "visit": visit,
                    "response": row.get("confirmed"),
                    "days": rule.window_days,
                    "date": target,
                },
                row,
            )


@_check(
    "RESP-OVERRIDE", "responses", "reason",
    "a confirmed response that differs from the computed one has a reason",
    "docs/protocol.md section 1: a hand-entered value is kept only as an override with a reason",
)  # fmt: skip
def _response_override(record: PatientRecord) -> Iterator[Finding]:
    for row in record.responses:
        computed, confirmed = row.get("computed"), row.get("confirmed")
        if confirmed and computed and confirmed != computed and _missing(row.get("reason")):
            yield _finding(
                "RESP-OVERRIDE",
                N_("%(visit)s: computed %(computed)s, confirmed %(confirmed)s without a reason")
                % {"visit": row.get("visit"), "computed": computed, "confirmed": confirmed},
                row,
            )


@_check(
    "RESP-NR-RULE", "responses", "confirmed",
    "after death or a salvage agent the response is NR",
    "paper, Methods: patients given salvage agents are NR at day 28 and 56; docs/protocol.md 5",
)  # fmt: skip
def _response_nr_rule(record: PatientRecord) -> Iterator[Finding]:
    rule = trial_response_rule(record)
    for row in record.responses:
        visit = str(row.get("visit"))
        if visit not in rule.visit_names or row.get("confirmed") in (None, "NR"):
            continue
        # the protocol's rule for death and salvage
        computed = compute_response(record, visit, rule=rule)
        if computed.died:
            yield _finding(
                "RESP-NR-RULE",
                N_("%(visit)s: patient died on %(date)s; NR by rule")
                % {"visit": visit, "date": record.death_date},
                row,
            )
        elif computed.salvage:
            yield _finding(
                "RESP-NR-RULE",
                N_("%(visit)s: salvage agent from %(date)s; NR by rule")
                % {"visit": visit, "date": salvage_date(record)},
                row,
            )


@_check(
    "THER-NO-RUX", "therapies", "agent",
    "the baseline second-line agent is never ruxolitinib",
    "paper, Methods: Interventions (docs/protocol.md section 4)",
)  # fmt: skip
def _no_ruxolitinib(record: PatientRecord) -> Iterator[Finding]:
    for row in record.therapies:
        if row.get("role") == "second_line" and row.get("agent") == "ruxolitinib":
            yield _finding("THER-NO-RUX", N_("ruxolitinib may not be the second-line agent"), row)


@_check(
    "THER-SECOND-LINE", "therapies", "role",
    "one second-line agent; at most two salvage agents",
    "paper, Methods: one agent, one or two added as salvage (docs/protocol.md section 4)",
)  # fmt: skip
def _therapy_counts(record: PatientRecord) -> Iterator[Finding]:
    second = [t for t in record.therapies if t.get("role") == "second_line"]
    salvage = [t for t in record.therapies if t.get("role") == "salvage"]
    if len({t.get("agent") for t in second}) > 1:
        yield _finding(
            "THER-SECOND-LINE",
            N_("%(n)s second-line agents; one allowed") % {"n": len(second)},
            second[-1],
        )
    if len({t.get("agent") for t in salvage}) > THRESHOLDS["max_salvage_agents"]:
        yield _finding(
            "THER-SECOND-LINE",
            N_("%(n)s salvage agents; at most %(max)s")
            % {"n": len(salvage), "max": f"{THRESHOLDS['max_salvage_agents']:g}"},
            salvage[-1],
        )


@_check(
    "EVT-ONE-DEATH", "events", "event_type",
    "a patient dies once (one death event)",
    "data model: events (death)",
)  # fmt: skip
def _one_death(record: PatientRecord) -> Iterator[Finding]:
    deaths = [e for e in record.events if e.get("event_type") == "death"]
    for index, _ in consistency.repeats(record.patient_id for _ in deaths):
        yield _finding(
            "EVT-ONE-DEATH", N_("%(n)s death events recorded") % {"n": len(deaths)}, deaths[index]
        )


@_check(
    "STER-START-DOSE", "steroid_doses", "dose_mg_per_day",
    "the first-line steroid starts at methylprednisolone 1-2 mg/kg/day or equivalent",
    "paper, Methods: methylprednisolone 1-2 mg/kg/day (docs/protocol.md section 3)",
)  # fmt: skip
def _steroid_start(record: PatientRecord) -> Iterator[Finding]:
    weight = _num(record.patient.get("weight_kg"))
    dated = [d for d in record.steroid_doses if _date(d.get("date"))]
    if not weight or not dated:
        return
    start = min(d["date"] for d in dated)
    first = [d for d in dated if d["date"] == start]
    total = 0.0
    for row in first:
        dose = _num(row.get("dose_mg_per_day"))
        if dose is None:
            return
        try:
            total += methylprednisolone_mg(str(row.get("agent")), dose)
        except ValueError as exc:  # an agent without equivalence: the same error as the analysis
            yield _finding("STER-START-DOSE", str(exc), row)
            return
    per_kg = total / weight
    slack = THRESHOLDS["steroid_rounding_fraction"]
    low = THRESHOLDS["steroid_start_min_mg_kg"] * (1 - slack)
    high = THRESHOLDS["steroid_start_max_mg_kg"] * (1 + slack)
    if not low <= per_kg <= high:
        yield _finding(
            "STER-START-DOSE",
            N_("starting dose %(dose)s mg/kg/day methylprednisolone equivalent; expected 1-2")
            % {"dose": f"{per_kg:.2f}"},
            first[0],
            severity="warning",
        )


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------
_TABLE_OF_FIELD_SKIP: Final[Mapping[str, tuple[str, ...]]] = {
    "patients": ("patient_id", "site_id"),
}


def check_patient(record: PatientRecord, *, field_checks: bool = True) -> list[Finding]:
    """Every edit check on one patient: field checks of each row, date order, cross-form."""
    out: list[Finding] = []
    if field_checks:
        for table in ("steroid_doses", "infusions", "assessments", "therapies",
                      "adverse_events", "events"):  # fmt: skip
            for row in _TABLE_ROWS[table](record):
                out += check_fields(table, row, skip=("patient_id",))
    out += check_dates(record)
    for fn in _CROSS.values():
        out += list(fn(record))
    return out


def check_kits_across_patients(records: Iterable[PatientRecord]) -> list[Finding]:
    """INF-KIT-ONCE across the trial: a kit number recorded for two patients."""
    owner: dict[str, str] = {}
    out: list[Finding] = []
    for record in records:
        for row in record.infusions:
            for kit in _kits(row):
                if kit in owner and owner[kit] != record.patient_id:
                    out.append(
                        _finding(
                            "INF-KIT-ONCE",
                            N_("kit %(kit)s is also recorded for another patient") % {"kit": kit},
                            row,
                        )
                    )
                owner.setdefault(kit, record.patient_id)
    return out


def all_check_ids() -> list[str]:
    """Every check id: field checks, date-order checks, cross-form checks."""
    return [*FIELD_CHECKS, *DATE_CHECKS, *EDIT_CHECKS]
