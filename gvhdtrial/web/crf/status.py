"""The record status dashboard: one row per patient, one cell per form or key visit, each with
its status (REDCap's record status dashboard is the model).

A cell is ``empty`` (nothing entered), ``incomplete`` (entered but not complete: infusions short
of the plan so far, an assessment that is not assessed), ``complete``, ``verified`` (complete and
every row of it source-verified by the monitor, the marks matching the data: ``crf.sdv``),
``query`` (an open or answered query on it), or ``locked`` (the database is locked); every cell
links to its form. The last column is the casebook's e-signature: ``signed`` (the signature
matches the data), ``incomplete`` (signed, then the data changed) or ``empty``.
A handful of grouped queries serve the whole page (no per-patient query).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from gvhdtrial.capture import trial_response_rule, unassessed_organs
from gvhdtrial.protocol import treatment_plan
from gvhdtrial.web.capture.models import (
    AdverseEvent,
    Assessment,
    Baseline,
    Event,
    Infusion,
    SteroidDose,
    Therapy,
)
from gvhdtrial.web.crf import casebook, sdv
from gvhdtrial.web.crf.models import ResponseConfirmation, Verification
from gvhdtrial.web.crf.services import FORMS
from gvhdtrial.web.labels import label, visit_label
from gvhdtrial.web.lock.models import database_is_locked
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.queries.models import Query


class _VisitHeading:
    """A column heading naming a response visit, in the language of the page (lazy)."""

    def __init__(self, template: str, visit: str) -> None:
        self.template, self.visit = template, visit

    def __str__(self) -> str:
        return gettext(self.template) % {"visit": visit_label(self.visit)}


def columns() -> tuple[tuple[str, object], ...]:
    """(key, heading): forms, then the assessment visits and responses the analysis reads (the
    response visits of the trial definition in force, e.g. d28 and d56 for the phase 2)."""
    visits = trial_response_rule().visit_names
    # Translators: a dashboard column, e.g. "Assessment Day 28"
    assessment = gettext_noop("Assessment %(visit)s")
    # Translators: a dashboard column, e.g. "Response Day 28"
    response = gettext_noop("Response %(visit)s")
    return (
        ("baseline", _("Baseline")),
        ("steroids", _("Steroids")),
        ("visit:baseline", _("Assessment baseline")),
        *((f"visit:{v}", _VisitHeading(assessment, v)) for v in visits),
        ("infusions", _("Infusions")),
        *((f"response:{v}", _VisitHeading(response, v)) for v in visits),
        ("therapies", _("Therapies")),
        ("adverse-events", _("Adverse events")),
        ("events", _("Events")),
        ("casebook", _("Casebook signature")),
    )


STATUSES = ("empty", "incomplete", "complete", "verified", "query", "signed", "locked")
_ASSESSED_FIELDS = ("skin_bsa_percent", "bilirubin")


@dataclass(frozen=True)
class Cell:
    key: str
    status: str
    text: str
    url: str
    title: str = ""  # the status in the page's language (one lookup per status and page)


@dataclass(frozen=True)
class Row:
    patient: Patient
    cells: tuple[Cell, ...]


def _by_patient(rows: Iterable[tuple[int, int]]) -> dict[int, int]:
    return {pid: n for pid, n in rows}


def dashboard(patients: list[Patient]) -> list[Row]:
    """The dashboard rows of ``patients`` (already filtered for the actor)."""
    ids = [p.pk for p in patients]
    counts = {
        slug: _by_patient(
            model.objects.filter(patient_id__in=ids)
            .values("patient_id")
            .annotate(n=Count("id"))
            .values_list("patient_id", "n")
        )
        for slug, model in (
            ("baseline", Baseline),
            ("steroids", SteroidDose),
            ("infusions", Infusion),
            ("therapies", Therapy),
            ("adverse-events", AdverseEvent),
            ("events", Event),
        )
    }
    visits: dict[tuple[int, str], tuple[int, bool]] = {}
    for pid, pk, visit, *values in Assessment.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "pk", "visit", *_ASSESSED_FIELDS
    ):
        assessed = not unassessed_organs(dict(zip(_ASSESSED_FIELDS, values, strict=True)))
        visits[(pid, visit)] = (pk, assessed)
    responses = set(
        ResponseConfirmation.objects.filter(patient_id__in=ids).values_list("patient_id", "visit")
    )
    d28 = dict(
        ResponseConfirmation.objects.filter(patient_id__in=ids, visit="d28")
        .values_list("patient_id", "confirmed")
    )  # fmt: skip
    by_model = {model._meta.label_lower: slug for slug, (model, _t, _n) in FORMS.items()}
    by_table = {table: slug for slug, (_m, table, _n) in FORMS.items()}
    queried: Counter[tuple[int, str]] = Counter()
    visit_of = {f"capture.assessment:{pk}": v for (pid, v), (pk, _a) in visits.items()}
    for pid, record, table in Query.objects.filter(
        patient_id__in=ids, status__in=("open", "answered")
    ).values_list("patient_id", "record", "table"):
        slug = by_model.get(record.partition(":")[0]) or by_table.get(table, "")
        if slug == "assessments":
            queried[(pid, f"visit:{visit_of.get(record, '')}")] += 1
        queried[(pid, slug)] += 1
    # SDV: a form (or visit) is verified when it has rows and every row is (crf.sdv.row_state).
    marks = sdv.marks_of(ids)
    unverified: set[tuple[int, str]] = set()
    has_rows: set[tuple[int, str]] = set()
    if marks:
        marked = {int(pid) for pid in Verification.objects.filter(patient_id__in=ids)
                  .values_list("patient_id", flat=True)}  # fmt: skip
        for pid, rows in sdv.form_rows(marked).items():
            for slug, obj in rows:
                keys = [slug]
                if slug == "assessments":
                    keys.append(f"visit:{obj.visit}")  # type: ignore[attr-defined]
                for key in keys:
                    has_rows.add((pid, key))
                    if sdv.row_state(obj, marks) != sdv.VERIFIED:
                        unverified.add((pid, key))
    verified = has_rows - unverified
    signatures = casebook.states(ids)
    locked = database_is_locked()
    randomized = {p.pk for p in patients if getattr(p, "allocation", None) is not None}
    keys = columns()
    titles: dict[str, str] = {}
    out = []
    for p in patients:
        cells = []
        base = f"/patients/{p.pk}/crf/"
        for key, _heading in keys:
            kind, _sep, which = key.partition(":")
            url, text, status = base, "", "empty"
            if kind == "casebook":
                url = f"/patients/{p.pk}/casebook/"
                state = signatures[p.pk][0]
                status, text = {
                    casebook.SIGNED: ("signed", "✍"),
                    casebook.CHANGED: ("incomplete", "!"),
                }.get(state, ("empty", ""))
            elif kind == "visit":
                found = visits.get((p.pk, which))
                if found is not None:
                    url = f"{base}assessments/{found[0]}/"
                    status = "complete" if found[1] else "incomplete"
                    text = "✓" if found[1] else "…"
            elif kind == "response":
                url = f"/patients/{p.pk}/response/{which}/"
                if (p.pk, which) in responses:
                    status, text = "complete", "✓"
            else:
                n = counts[kind].get(p.pk, 0)
                url = f"{base}{kind}/" if kind == "baseline" else base
                if n:
                    status, text = "complete", str(n) if kind != "baseline" else "✓"
                if kind == "infusions" and p.pk in randomized:
                    planned = treatment_plan(
                        float(p.weight_kg), dt.date.today(), d28.get(p.pk)
                    ).number_of_infusions
                    text = f"{n}/{planned}"
                    status = "complete" if n >= planned else ("incomplete" if n else "empty")
            if status == "complete" and (p.pk, key) in verified:
                status = "verified"
            if queried.get((p.pk, key)):
                status = "query"
            elif locked and status not in ("empty", "signed"):
                status = "locked"
            if status not in titles:
                titles[status] = label(status)
            cells.append(Cell(key, status, text, url, titles[status]))
        out.append(Row(p, tuple(cells)))
    return out


def summary(rows: list[Row]) -> dict[str, int]:
    """How many cells of each status (the legend's counts)."""
    tally: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        for cell in row.cells:
            tally[cell.status] += 1
    return {s: tally.get(s, 0) for s in STATUSES}
