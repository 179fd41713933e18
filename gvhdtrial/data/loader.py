"""The one loader and writer of trial data: a folder of CSV files plus ``trial.json``.

:func:`load_trial` validates everything at the boundary and either returns a complete
:class:`TrialData` or raises one :class:`TrialDataError` listing every problem found (file, line,
column, value, what was expected); nothing is ever partly loaded. :func:`write_trial` writes a
folder atomically (a temporary folder, validated, then renamed into place) and byte for byte
reproducibly (model column order, rows sorted by key, fixed date and number formats).

Line numbers are those of the file as a text editor shows them: the header is line 1, the first
data row line 2.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.data import consistency, ctcae
from gvhdtrial.data.model import (
    DATE_RULES,
    SYNTHETIC_STATEMENT,
    TABLES,
    TABLES_BY_NAME,
    TRIAL_FIELDS,
    TRIAL_FILE,
    Field,
    Table,
)

README_FILE = "README.md"

# ---------------------------------------------------------------------------------------------
# Problems and the error
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, located as precisely as possible.

    ``line`` is the 1-based line of the file where the row starts (the header is line 1), or
    None for a problem with the whole file. ``column`` is None for a problem with a whole row or
    file. ``check`` names the kind of check that failed (see :data:`CHECKS`).
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    check: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        got = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{got}; expected {self.expected} [{self.check}]"


#: The kinds of check the loader makes, in the order it makes them.
CHECKS: tuple[str, ...] = (
    "missing_file",  # a table file or trial.json is absent
    "unknown_file",  # a CSV file that is not a table of the model
    "header",  # empty file, duplicate or unknown column
    "missing_column",  # a column of the model is absent
    "row_length",  # a row has more or fewer cells than the header (or is blank)
    "whitespace",  # a cell has leading or trailing spaces
    "type",  # not a number / date / boolean / text of the right form
    "allowed",  # not one of the allowed codes
    "range",  # a number outside its range
    "required",  # an empty cell where a value is required
    "not_applicable",  # a value in a field whose `when` condition does not hold
    "primary_key",  # a duplicate primary key
    "unique",  # a duplicate of another unique key (e.g. a bag tracking number)
    "foreign_key",  # a reference to a row that does not exist
    "consistency",  # fields of a row or of a patient that contradict each other
    "date_order",  # a date that cannot come before / after another (model.DATE_RULES)
    "cutoff",  # a date after the data cut-off
    "blinding",  # trial.json and the arm column disagree
    "metadata",  # trial.json content
)

_MAX_LISTED = 200


class TrialDataError(ValueError):
    """The data failed validation; ``problems`` lists every :class:`Problem` found."""

    def __init__(self, folder: str | os.PathLike[str], problems: list[Problem]) -> None:
        self.folder = str(folder)
        self.problems = list(problems)
        n = len(self.problems)
        head = (
            f"{n} problem{'s' if n != 1 else ''} in trial data {self.folder} "
            "(line 1 is the header); nothing was loaded:"
        )
        listed = [f"  - {p}" for p in self.problems[:_MAX_LISTED]]
        if n > _MAX_LISTED:
            listed.append(f"  ... and {n - _MAX_LISTED} more (see .problems)")
        super().__init__("\n".join([head, *listed]))


# ---------------------------------------------------------------------------------------------
# The loaded object
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialInfo:
    """The content of ``trial.json`` (see :data:`gvhdtrial.data.model.TRIAL_FIELDS`)."""

    trial_id: str
    title: str
    synthetic: bool
    statement: str
    data_cutoff_date: dt.date
    blinded: bool
    generator: str | None = None
    generator_version: str | None = None
    seed: int | None = None

    def to_json(self) -> str:
        """The ``trial.json`` text: keys in model order, two-space indent, final newline."""
        obj: dict[str, Any] = {}
        for f in TRIAL_FIELDS:
            value = getattr(self, f.name)
            obj[f.name] = value.isoformat() if isinstance(value, dt.date) else value
        return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class TrialData:
    """One trial data set: the metadata and one pandas DataFrame per table of the model.

    Column dtypes: text and codes ``string``; whole numbers ``Int64`` (nullable); numbers
    ``float64`` (NaN = missing); yes/no ``bool`` (``boolean`` where a value may be missing);
    dates ``datetime64[ns]`` (NaT = missing). A blinded data set has no ``arm`` column in
    ``randomization``.
    """

    info: TrialInfo
    sites: pd.DataFrame
    patients: pd.DataFrame
    steroid_doses: pd.DataFrame
    randomization: pd.DataFrame
    infusions: pd.DataFrame
    assessments: pd.DataFrame
    therapies: pd.DataFrame
    adverse_events: pd.DataFrame
    events: pd.DataFrame

    @property
    def blinded(self) -> bool:
        """True when the data do not reveal the allocated arms."""
        return self.info.blinded

    def table(self, name: str) -> pd.DataFrame:
        """The DataFrame of the table called ``name``."""
        if name not in TABLES_BY_NAME:
            raise KeyError(f"no table {name!r}; tables: {', '.join(TABLES_BY_NAME)}")
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, by name, in model order."""
        return {t.name: self.table(t.name) for t in TABLES}

    def missing_forms(self) -> pd.DataFrame:
        """One row (``table``, ``patient_id``, ``form``) per CRF form a patient's row leaves
        wholly empty (not entered: its values are missing data; see ``Table.forms``)."""
        out = []
        for t in TABLES:
            frame = self.table(t.name)
            for form, columns in t.forms.items():
                blank = frame[list(columns)].isna().all(axis=1)
                out += [(t.name, pid, form) for pid in frame.loc[blank, "patient_id"]]
        return pd.DataFrame(out, columns=["table", "patient_id", "form"])


# Every table of the model must be a field of TrialData (and nothing else but `info`).
assert [f.name for f in fields(TrialData)] == ["info", *TABLES_BY_NAME]


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------

_BAD = object()  # a cell that failed its checks: later checks that need it are skipped
_INT_RE = re.compile(r"-?[0-9]+")
_FLOAT_RE = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _check_bounds(f: Field, x: float) -> bool:
    if f.minimum is not None and (x <= f.minimum if f.minimum_exclusive else x < f.minimum):
        return False
    return not (
        f.maximum is not None and (x >= f.maximum if f.maximum_exclusive else x > f.maximum)
    )


def _parse_text(f: Field, text: str) -> tuple[Any, str | None]:
    """Parse one non-empty cell: (value, None) or (_BAD, failed check name)."""
    if text != text.strip():
        return _BAD, "whitespace"
    if f.type == "enum":
        return (text, None) if text in f.choices else (_BAD, "allowed")
    if f.type == "str":
        if f.pattern is not None and not re.fullmatch(f.pattern, text):
            return _BAD, "type"
        return text, None
    if f.type == "bool":
        if text == "true":
            return True, None
        if text == "false":
            return False, None
        return _BAD, "type"
    if f.type == "date":
        if not _DATE_RE.fullmatch(text):
            return _BAD, "type"
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            return _BAD, "type"
    if f.type == "int":
        if not _INT_RE.fullmatch(text):
            return _BAD, "type"
        value: float = int(text)
    else:  # float
        if not _FLOAT_RE.fullmatch(text):
            return _BAD, "type"
        value = float(text)
        if not math.isfinite(value):
            return _BAD, "type"
    return (value, None) if _check_bounds(f, value) else (_BAD, "range")


def _expected_for(f: Field, check: str) -> str:
    if check == "whitespace":
        return f"{f.expected()} without leading or trailing spaces"
    return f.expected()


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    values: dict[str, Any]  # parsed value, None for empty, _BAD for a failed cell


@dataclass
class _Parsed:
    table: Table
    header: list[str]
    rows: list[_Row]


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, cells) for every record of a CSV file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        last = 0
        for record in reader:
            yield last + 1, record
            last = reader.line_num


def _parse_table(folder: Path, t: Table, problems: list[Problem]) -> _Parsed | None:
    path = folder / t.filename
    if not path.is_file():
        problems.append(Problem(t.filename, None, None, None, "the file to exist", "missing_file"))
        return None
    records = iter(_read_csv(path))
    try:
        try:
            _, header = next(records)
        except StopIteration:
            problems.append(
                Problem(t.filename, 1, None, None, "a header row: " + ",".join(t.columns), "header")
            )
            return None
        known = set(t.columns)
        seen: set[str] = set()
        for name in header:
            if name in seen:
                problems.append(Problem(t.filename, 1, name, name, "each column once", "header"))
            elif name not in known:
                problems.append(
                    Problem(
                        t.filename,
                        1,
                        name,
                        name,
                        "a column of the model: " + ", ".join(t.columns),
                        "header",
                    )
                )
            seen.add(name)
        for f in t.fields:
            if f.name not in seen and not f.blinded:
                problems.append(
                    Problem(
                        t.filename, 1, f.name, None, "this column in the header", "missing_column"
                    )
                )
        usable = [(i, t.field(name)) for i, name in enumerate(header) if name in known]
        rows: list[_Row] = []
        for line, cells in records:
            if len(cells) != len(header):
                got = "a blank line" if not cells else f"{len(cells)} cells"
                problems.append(
                    Problem(
                        t.filename,
                        line,
                        None,
                        got,
                        f"{len(header)} cells, as in the header",
                        "row_length",
                    )
                )
                continue
            raw = {f.name: cells[i] for i, f in usable}
            values: dict[str, Any] = {}
            for _, f in usable:
                text = raw[f.name]
                if text == "":
                    values[f.name] = None
                    continue
                value, failed = _parse_text(f, text)
                values[f.name] = value
                if failed is not None:
                    problems.append(
                        Problem(t.filename, line, f.name, text, _expected_for(f, failed), failed)
                    )
            rows.append(_Row(line, raw, values))
    except (csv.Error, UnicodeDecodeError) as exc:
        problems.append(
            Problem(t.filename, None, None, str(exc), "a readable UTF-8 CSV file", "type")
        )
        return None
    return _Parsed(t, header, rows)


def _parse_info(folder: Path, problems: list[Problem]) -> TrialInfo | None:
    path = folder / TRIAL_FILE
    if not path.is_file():
        problems.append(Problem(TRIAL_FILE, None, None, None, "the file to exist", "missing_file"))
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(Problem(TRIAL_FILE, None, None, str(exc), "a JSON object", "metadata"))
        return None
    if not isinstance(obj, dict):
        problems.append(
            Problem(TRIAL_FILE, None, None, type(obj).__name__, "a JSON object", "metadata")
        )
        return None
    before = len(problems)
    known = {f.name for f in TRIAL_FIELDS}
    for key in obj:
        if key not in known:
            problems.append(
                Problem(
                    TRIAL_FILE,
                    None,
                    key,
                    repr(obj[key]),
                    "a key of the model: " + ", ".join(sorted(known)),
                    "metadata",
                )
            )
    values: dict[str, Any] = {}
    for f in TRIAL_FIELDS:
        value = obj.get(f.name)
        if value is None:
            if f.required:
                problems.append(Problem(TRIAL_FILE, None, f.name, None, f.expected(), "required"))
            values[f.name] = None
            continue
        wanted: type | tuple[type, ...] = {"bool": bool, "int": int, "str": str, "date": str}[
            f.type
        ]
        ok = isinstance(value, wanted) and not (f.type == "int" and isinstance(value, bool))
        if ok and f.type in ("date", "int", "str"):
            parsed, failed = _parse_text(f, str(value))
            ok = failed is None
            value = parsed
        if not ok:
            problems.append(
                Problem(
                    TRIAL_FILE,
                    None,
                    f.name,
                    json.dumps(value, default=str),
                    f.expected(),
                    "metadata",
                )
            )
        values[f.name] = value
    if len(problems) > before:
        return None
    if values["synthetic"] and SYNTHETIC_STATEMENT not in values["statement"]:
        problems.append(
            Problem(
                TRIAL_FILE,
                None,
                "statement",
                values["statement"],
                f"to contain {SYNTHETIC_STATEMENT!r} (synthetic is true)",
                "metadata",
            )
        )
        return None
    return TrialInfo(**values)


# ---------------------------------------------------------------------------------------------
# Checks across cells, rows and tables
# ---------------------------------------------------------------------------------------------


def _ok(value: Any) -> bool:
    return value is not None and value is not _BAD


def _check_required(p: _Parsed, problems: list[Problem]) -> None:
    t = p.table
    present = [f for f in t.fields if f.name in p.header]
    form_of = {c: form for form, columns in t.forms.items() for c in columns}
    for row in p.rows:
        absent = {
            form
            for form, columns in t.forms.items()
            if all(row.raw.get(c, "") == "" for c in columns)
        }
        for f in present:
            value = row.values[f.name]
            if form_of.get(f.name) in absent:
                continue  # the whole form is not entered: missing data, not an error
            if f.when is None:
                if value is None and f.required:
                    problems.append(
                        Problem(t.filename, row.line, f.name, "", f.expected(), "required")
                    )
                continue
            condition = row.values.get(f.when.field)
            if not _ok(condition):
                continue  # the condition cell is itself wrong or absent: reported there
            applies = row.raw[f.when.field] in f.when.values
            if applies and value is None and f.required:
                problems.append(
                    Problem(
                        t.filename,
                        row.line,
                        f.name,
                        "",
                        f"{f.expected()} (required when {f.when.describe()})",
                        "required",
                    )
                )
            elif not applies and value is not None:
                problems.append(
                    Problem(
                        t.filename,
                        row.line,
                        f.name,
                        row.raw[f.name],
                        f"an empty cell unless {f.when.describe()}",
                        "not_applicable",
                    )
                )


def _check_unique(p: _Parsed, key: tuple[str, ...], check: str, problems: list[Problem]) -> None:
    if not all(k in p.header for k in key):
        return
    first: dict[tuple[Any, ...], int] = {}
    for row in p.rows:
        values = tuple(row.values[k] for k in key)
        if not all(_ok(v) for v in values):
            continue
        if values in first:
            problems.append(
                Problem(
                    p.table.filename,
                    row.line,
                    ", ".join(key),
                    ", ".join(row.raw[k] for k in key),
                    f"a unique ({', '.join(key)}); already on line {first[values]}",
                    check,
                )
            )
        else:
            first[values] = row.line


def _check_foreign_keys(parsed: Mapping[str, _Parsed], problems: list[Problem]) -> None:
    for p in parsed.values():
        for f in p.table.fields:
            if f.references is None or f.name not in p.header:
                continue
            target_table, target_column = f.references.split(".")
            target = parsed.get(target_table)
            if target is None or target_column not in target.header:
                continue  # the missing file or column is reported already
            keys = {r.values[target_column] for r in target.rows if _ok(r.values[target_column])}
            for row in p.rows:
                value = row.values[f.name]
                if _ok(value) and value not in keys:
                    problems.append(
                        Problem(
                            p.table.filename,
                            row.line,
                            f.name,
                            row.raw[f.name],
                            f"a {target_column} of {target.table.filename}",
                            "foreign_key",
                        )
                    )


@dataclass(frozen=True)
class _Dated:
    date: dt.date
    where: str


def _patient_dates(parsed: Mapping[str, _Parsed]) -> dict[str, dict[str, _Dated]]:
    """The per-patient anchor dates of model.PATIENT_DATES, where present and valid."""
    out: dict[str, dict[str, _Dated]] = {}

    def collect(table: str, column: str, name: str, only: tuple[str, str] | None = None) -> None:
        p = parsed.get(table)
        if p is None or column not in p.header or "patient_id" not in p.header:
            return
        found: dict[str, _Dated] = out.setdefault(name, {})
        for row in p.rows:
            if only is not None and row.values.get(only[0]) != only[1]:
                continue
            pid, value = row.values["patient_id"], row.values[column]
            if _ok(pid) and _ok(value) and (pid not in found or value < found[pid].date):
                found[pid] = _Dated(value, f"{p.table.filename} line {row.line}")

    collect("patients", "screening_date", "screening")
    collect("patients", "hsct_date", "hsct")
    collect("patients", "agvhd_onset_date", "agvhd_onset")
    collect("patients", "consent_date", "consent")
    collect("randomization", "randomization_date", "randomization")
    collect("events", "event_date", "death", only=("event_type", "death"))
    return out


def _check_dates(parsed: Mapping[str, _Parsed], problems: list[Problem]) -> None:
    anchors = _patient_dates(parsed)
    for rule in DATE_RULES:
        p = parsed.get(rule.table)
        if p is None or rule.column not in p.header:
            continue
        word = "on or after" if rule.op == ">=" else "on or before"
        for row in p.rows:
            value = row.values[rule.column]
            if not _ok(value):
                continue
            if rule.anchor.startswith("patient:"):
                pid = row.values.get("patient_id")
                if not _ok(pid):
                    continue
                anchor = anchors.get(rule.anchor.removeprefix("patient:"), {}).get(str(pid))
                if anchor is None:
                    continue
                other, label = anchor.date, f"the {rule.anchor[8:]} date ({anchor.where})"
            else:
                if rule.anchor not in p.header or not _ok(row.values[rule.anchor]):
                    continue
                other, label = row.values[rule.anchor], f"{rule.anchor} of the same row"
            if (value < other) if rule.op == ">=" else (value > other):
                problems.append(
                    Problem(
                        p.table.filename,
                        row.line,
                        rule.column,
                        row.raw[rule.column],
                        f"a date {word} {label}, {other.isoformat()}: {rule.reason}",
                        "date_order",
                    )
                )


def _check_consistency(parsed: Mapping[str, _Parsed], problems: list[Problem]) -> None:
    def rows(table: str, *columns: str) -> Iterator[tuple[_Parsed, _Row]]:
        p = parsed.get(table)
        if p is None or not all(c in p.header for c in columns):
            return
        for row in p.rows:
            if all(_ok(row.values[c]) for c in columns):
                yield p, row

    # The data model's cross-table rules (gvhdtrial.data.consistency, shared with the capture
    # edit checks): one tracking number per bag, a bag infused once, the SOC of the term, a
    # fatal AE is grade 5, a patient dies once.
    kit_rows = [(p, row, kit) for p, row in rows("infusions", "kit_numbers")
                for kit in consistency.kit_numbers(row.values["kit_numbers"])]  # fmt: skip
    for p, row in rows("infusions", "kit_numbers"):
        kits = consistency.kit_numbers(row.values["kit_numbers"])
        if consistency.bags_disagree_with_kits(row.values.get("bags"), kits):
            problems.append(
                Problem(
                    p.table.filename,
                    row.line,
                    "bags",
                    row.raw["bags"],
                    f"{len(kits)}, the number of kit_numbers",
                    "consistency",
                )
            )
    for index, first in consistency.repeats(kit for _, _, kit in kit_rows):
        p, row, kit = kit_rows[index]
        problems.append(
            Problem(
                p.table.filename,
                row.line,
                "kit_numbers",
                kit,
                f"a bag tracking number not used before (line {kit_rows[first][1].line})",
                "unique",
            )
        )

    for p, row in rows("adverse_events", "term", "soc"):
        soc = consistency.expected_soc(row.values["term"], row.values["soc"])
        if soc is not None:
            problems.append(
                Problem(
                    p.table.filename,
                    row.line,
                    "soc",
                    row.raw["soc"],
                    f"{soc!r}, the CTCAE v5.0 SOC of {row.values['term']!r}",
                    "consistency",
                )
            )
    for p, row in rows("adverse_events", "grade", "outcome"):
        if consistency.fatal_disagrees_with_grade(row.values["grade"], row.values["outcome"]):
            problems.append(
                Problem(
                    p.table.filename,
                    row.line,
                    "outcome",
                    row.raw["outcome"],
                    "'fatal' exactly when grade is 5 (CTCAE grade 5 = death)",
                    "consistency",
                )
            )

    deaths = [(p, row) for p, row in rows("events", "patient_id", "event_type")
              if row.values["event_type"] == "death"]  # fmt: skip
    for index, first in consistency.repeats(row.values["patient_id"] for _, row in deaths):
        p, row = deaths[index]
        problems.append(
            Problem(
                p.table.filename,
                row.line,
                "event_type",
                "death",
                f"one death per patient (already on line {deaths[first][1].line})",
                "consistency",
            )
        )

    # Randomization: the stratum is the patient's centre, and consent came first.
    site_of = {r.values["patient_id"]: r for _, r in rows("patients", "patient_id", "site_id")}
    for p, row in rows("randomization", "patient_id", "stratum"):
        patient = site_of.get(row.values["patient_id"])
        if patient is not None and patient.values["site_id"] != row.values["stratum"]:
            problems.append(
                Problem(
                    p.table.filename,
                    row.line,
                    "stratum",
                    row.raw["stratum"],
                    f"{patient.raw['site_id']!r}, the patient's site_id "
                    f"(patients.csv line {patient.line})",
                    "consistency",
                )
            )
    patients = parsed.get("patients")
    if patients is not None and "consent_date" in patients.header:
        randomized = {
            r.values["patient_id"]: r.line for _, r in rows("randomization", "patient_id")
        }
        for row in patients.rows:
            pid = row.values.get("patient_id")
            if pid in randomized and row.values["consent_date"] is None:
                problems.append(
                    Problem(
                        patients.table.filename,
                        row.line,
                        "consent_date",
                        "",
                        "a consent date: the patient is randomized "
                        f"(randomization.csv line {randomized[pid]})",
                        "required",
                    )
                )


def _check_cutoff(parsed: Mapping[str, _Parsed], cutoff: dt.date, problems: list[Problem]) -> None:
    for p in parsed.values():
        dates = [f.name for f in p.table.fields if f.type == "date" and f.name in p.header]
        for row in p.rows:
            for name in dates:
                value = row.values[name]
                if _ok(value) and value > cutoff:
                    problems.append(
                        Problem(
                            p.table.filename,
                            row.line,
                            name,
                            row.raw[name],
                            f"a date on or before the data cut-off {cutoff.isoformat()} "
                            f"({TRIAL_FILE})",
                            "cutoff",
                        )
                    )


def _check_blinding(
    parsed: Mapping[str, _Parsed], info: TrialInfo, problems: list[Problem]
) -> None:
    p = parsed.get("randomization")
    if p is None:
        return
    has_arm = "arm" in p.header
    if info.blinded and has_arm:
        problems.append(
            Problem(
                p.table.filename,
                1,
                "arm",
                "arm",
                f"no arm column: {TRIAL_FILE} says the data are blinded",
                "blinding",
            )
        )
    elif not info.blinded and not has_arm:
        problems.append(
            Problem(
                TRIAL_FILE,
                None,
                "blinded",
                "false",
                f"true: {p.table.filename} has no arm column (blinded data)",
                "blinding",
            )
        )


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------


def _dtype(f: Field) -> Any:
    if f.type in ("str", "enum"):
        return pd.StringDtype()
    if f.type == "int":
        return pd.Int64Dtype()
    if f.type == "float":
        return np.dtype("float64")
    if f.type == "bool":
        return np.dtype("bool") if f.required and f.when is None else pd.BooleanDtype()
    return np.dtype("datetime64[ns]")


def _frame(p: _Parsed) -> pd.DataFrame:
    columns = [f for f in p.table.fields if f.name in p.header]
    data: dict[str, pd.Series] = {}
    for f in columns:
        values = [row.values[f.name] for row in p.rows]
        if f.type == "date":
            series = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
        elif f.type == "float":
            series = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        else:
            series = pd.Series(values, dtype=_dtype(f))
        data[f.name] = series
    return pd.DataFrame(data, columns=[f.name for f in columns]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# load_trial
# ---------------------------------------------------------------------------------------------


def load_trial(folder: str | os.PathLike[str]) -> TrialData:
    """Read and validate the trial data in ``folder`` (one CSV per table plus ``trial.json``).

    Returns the complete :class:`TrialData`, or raises :class:`TrialDataError` listing every
    problem found. A folder whose ``randomization.csv`` has no ``arm`` column is blinded data;
    ``trial.json`` must then say ``"blinded": true``.
    """
    root = Path(folder)
    if not root.is_dir():
        raise TrialDataError(
            root, [Problem(str(root), None, None, None, "a folder", "missing_file")]
        )
    problems: list[Problem] = []
    info = _parse_info(root, problems)
    for path in sorted(root.glob("*.csv")):
        if path.stem not in TABLES_BY_NAME:
            problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    None,
                    "only table files: " + ", ".join(t.filename for t in TABLES),
                    "unknown_file",
                )
            )
    parsed: dict[str, _Parsed] = {}
    for t in TABLES:
        p = _parse_table(root, t, problems)
        if p is not None:
            parsed[t.name] = p
    for p in parsed.values():
        _check_required(p, problems)
        _check_unique(p, p.table.primary_key, "primary_key", problems)
        for key in p.table.unique:
            _check_unique(p, key, "unique", problems)
    _check_foreign_keys(parsed, problems)
    _check_consistency(parsed, problems)
    _check_dates(parsed, problems)
    if info is not None:
        _check_cutoff(parsed, info.data_cutoff_date, problems)
        _check_blinding(parsed, info, problems)
    if problems or info is None:
        raise TrialDataError(root, problems)
    return TrialData(info, **{name: _frame(p) for name, p in parsed.items()})


# ---------------------------------------------------------------------------------------------
# write_trial
# ---------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _format(f: Field, value: Any) -> str:
    """One cell as written: the inverse of the loader's parsing, one spelling per value."""
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    if f.type == "bool":
        return "true" if bool(value) else "false"
    if f.type == "date":
        if isinstance(value, dt.datetime | pd.Timestamp | np.datetime64):
            value = pd.Timestamp(value).date()
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if f.type == "int":
        number = float(value)
        return str(int(number)) if number.is_integer() else str(value)
    if f.type == "float":
        text = np.format_float_positional(float(value), trim="-")
        return "0" if text == "-0" else text
    return str(value)


def _sort_key(f: Field, text: str) -> tuple[int, Any]:
    if text == "":
        return (0, 0)
    if f.type in ("int", "float"):
        try:
            return (1, float(text))
        except ValueError:
            return (2, text)
    return (1, text)


def _table_text(t: Table, frame: pd.DataFrame, blinded: bool) -> str | list[Problem]:
    columns = [f for f in t.fields if not (f.blinded and blinded)]
    wanted = [f.name for f in columns]
    problems = [
        Problem(t.filename, None, name, None, "this column in the DataFrame", "missing_column")
        for name in wanted
        if name not in frame.columns
    ]
    problems += [
        Problem(
            t.filename,
            None,
            str(name),
            None,
            "a column of the model" + (" (the data are blinded)" if name == "arm" else ""),
            "header",
        )
        for name in frame.columns
        if name not in wanted
    ]
    if problems:
        return problems
    rows = [
        [_format(f, value) for f, value in zip(columns, record, strict=True)]
        for record in frame[wanted].itertuples(index=False, name=None)
    ]
    order = [wanted.index(k) for k in t.primary_key]
    order += [i for i in range(len(wanted)) if i not in order]
    rows.sort(key=lambda r: [_sort_key(columns[i], r[i]) for i in order])
    lines: list[str] = []

    class _Sink:
        def write(self, s: str) -> int:
            lines.append(s)
            return len(s)

    writer = csv.writer(_Sink(), lineterminator="\n")
    writer.writerow(wanted)
    writer.writerows(rows)
    return "".join(lines)


def _readme(info: TrialInfo) -> str:
    from gvhdtrial.i18n import _

    kind = _("SYNTHETIC") if info.synthetic else _("recorded")
    blinding = _("blinded (no arm column)") if info.blinded else _("unblinded")
    lines = [
        _("# Trial data: %(trial)s") % {"trial": info.trial_id},
        "",
        info.statement,
        "",
        f"- {info.title}",
        "- "
        + _("Data: %(kind)s; cut-off %(cutoff)s; %(blinding)s.")
        % {"kind": kind, "cutoff": info.data_cutoff_date.isoformat(), "blinding": blinding},
    ]
    if info.generator:
        version = f" {info.generator_version}" if info.generator_version else ""
        seed = f", seed {info.seed}" if info.seed is not None else ""
        lines.append(
            "- " + _("Generated by %(program)s.") % {"program": f"{info.generator}{version}{seed}"}
        )
    lines += [
        "",
        _(
            "Written by `gvhdtrial.data.write_trial`; read it with `gvhdtrial.data.load_trial`, "
            "which validates every file. Each field is described in `docs/data_dictionary.md`."
        ),
        "",
        _("Files: %(files)s.") % {"files": ", ".join([TRIAL_FILE, *(t.filename for t in TABLES)])},
        "",
    ]
    return "\n".join(lines)


def readme_text(info: TrialInfo, lang: str = "en") -> str:
    """The data folder's ``README.md`` in ``lang`` (``en``, the one written, or ``zh``)."""
    from gvhdtrial.i18n import language

    with language(lang):
        return _readme(info)


_OWN_FILES = frozenset([TRIAL_FILE, README_FILE, *(t.filename for t in TABLES)])


def write_trial(data: TrialData, folder: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``folder`` atomically and reproducibly; return the folder.

    The files are written to a temporary folder next to ``folder``, validated with
    :func:`load_trial`, and only then renamed into place, replacing any previous data set there.
    Identical data give byte-identical files: columns in model order, rows sorted by primary key
    (then by the other columns), dates ``YYYY-MM-DD``, booleans ``true``/``false``, numbers in
    their shortest exact decimal form, ``\\n`` line ends. A ``README.md`` states what the data
    are (for synthetic data: that they are not the trial's patients).

    Raises :class:`TrialDataError` if the data would not load back (nothing is written then), and
    ``FileExistsError`` if ``folder`` holds files other than a trial data set's.
    """
    target = Path(folder)
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{target} exists and is not a folder")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in _OWN_FILES)
        if foreign:
            raise FileExistsError(
                f"{target} holds files that are not trial data ({', '.join(foreign)}); "
                "write_trial replaces the whole folder, so give it a folder of its own"
            )
    texts: dict[str, str] = {TRIAL_FILE: data.info.to_json(), README_FILE: readme_text(data.info)}
    problems: list[Problem] = []
    for t in TABLES:
        text = _table_text(t, data.table(t.name), data.blinded)
        if isinstance(text, str):
            texts[t.filename] = text
        else:
            problems += text
    if problems:
        raise TrialDataError(target, problems)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name, text in texts.items():
            (tmp / name).write_bytes(text.encode("utf-8"))
        try:
            load_trial(tmp)
        except TrialDataError as exc:
            raise TrialDataError(target, exc.problems) from None
        old = None
        if target.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            old.rmdir()
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if old is not None:
                os.rename(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
    return target
