"""The data dictionary (REDCap style), rendered from the data model.

One row per field: table, field, type, unit, required, allowed values, key, when it applies,
meaning. The shipped copies ``docs/data_dictionary.csv`` and ``docs/data_dictionary.md`` are
generated, never edited by hand::

    python -m gvhdtrial.data.dictionary --out docs/

and a test fails when they are out of date with :mod:`gvhdtrial.data.model`.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import pandas as pd

from gvhdtrial.data.model import (
    DATE_RULES,
    SYNTHETIC_STATEMENT,
    TABLES,
    TRIAL_FIELDS,
    TRIAL_FILE,
    Field,
    Table,
    _num,
)
from gvhdtrial.i18n import gettext, language

COLUMNS: tuple[str, ...] = (
    "table",
    "field",
    "type",
    "unit",
    "required",
    "allowed_values",
    "key",
    "applies_when",
    "meaning",
    "meaning_zh",
    "allowed_values_zh",
)
CSV_NAME = "data_dictionary.csv"
MD_NAME = "data_dictionary.md"


def _allowed(f: Field) -> str:
    if f.type == "enum":
        return " | ".join(
            code if code == label else f"{code} = {label}" for code, label in f.choices.items()
        )
    if f.type == "bool":
        return "true | false"
    if f.type == "date":
        return "YYYY-MM-DD"
    parts = []
    if f.minimum is not None:
        parts.append(f"{'>' if f.minimum_exclusive else '>='} {_num(f.minimum)}")
    if f.maximum is not None:
        parts.append(f"{'<' if f.maximum_exclusive else '<='} {_num(f.maximum)}")
    if f.pattern is not None:
        parts.append(f"pattern {f.pattern}")
    return " and ".join(parts)


def _key(t: Table | None, f: Field) -> str:
    keys = []
    if t is not None and f.name in t.primary_key:
        keys.append(
            "primary key"
            if len(t.primary_key) == 1
            else "primary key (" + ", ".join(t.primary_key) + ")"
        )
    if t is not None:
        for unique in t.unique:
            if f.name in unique:
                keys.append("unique (" + ", ".join(unique) + ")")
    if f.references:
        keys.append("-> " + f.references)
    return "; ".join(keys)


def _required(f: Field) -> str:
    if f.when is not None:
        return f"when {f.when.describe()}" if f.required else "no"
    return "yes" if f.required else "no"


def _meaning(f: Field) -> str:
    return f.meaning + (" (omitted in blinded data)" if f.blinded else "")


def _zh(f: Field) -> tuple[str, str]:
    """The field's meaning and, for an enum, its choices' labels in Chinese (from the core
    catalogue, gvhdtrial/locale): the dictionary carries both languages (issue 11)."""
    with language("zh"):
        meaning = gettext(f.meaning) + ("（设盲数据中省略）" if f.blinded else "")
        allowed = (
            " | ".join(f"{code} = {gettext(label)}" for code, label in f.choices.items())
            if f.type == "enum"
            else ""
        )
    return meaning, allowed


def data_dictionary() -> pd.DataFrame:
    """The data dictionary as a DataFrame, one row per field (``trial.json`` keys first)."""
    rows = [
        ("trial", f.name, f.type, f.unit, _required(f), _allowed(f), "", "", _meaning(f), *_zh(f))
        for f in TRIAL_FIELDS
    ]
    for t in TABLES:
        for f in t.fields:
            rows.append(
                (
                    t.name,
                    f.name,
                    f.type,
                    f.unit,
                    _required(f),
                    _allowed(f),
                    _key(t, f),
                    f.when.describe() if f.when else "",
                    _meaning(f),
                    *_zh(f),
                )
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def render_csv() -> str:
    """``docs/data_dictionary.csv``: the dictionary as CSV (``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(data_dictionary().itertuples(index=False, name=None))
    return out.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|") if text else ""


def render_markdown() -> str:
    """``docs/data_dictionary.md``: the dictionary by table, with the date-order rules."""
    frame = data_dictionary()
    lines = [
        "# Data dictionary",
        "",
        "Generated from `gvhdtrial/data/model.py` by "
        "`python -m gvhdtrial.data.dictionary --out docs/`; do not edit by hand.",
        "",
        "One CSV file per table (`<table>.csv`) plus `trial.json`, read and validated by "
        "`gvhdtrial.data.load_trial`. Raw observations only: stages, grades, steroid-"
        "refractoriness categories, responses and analysis populations are computed by "
        "`gvhdtrial.protocol` and `gvhdtrial.analysis`, never stored.",
        "",
        "Conventions: dates `YYYY-MM-DD`; booleans `true`/`false`; an empty cell is a missing "
        "value (allowed only where *required* is `no`, or where a `when` condition does not "
        "hold, in which case the cell must be empty); no surrounding spaces.",
        "",
        "The reference data set in `data/reference/` is a SYNTHETIC reconstruction that "
        f'reproduces the published tables: "{SYNTHETIC_STATEMENT}".',
        "",
    ]
    sections: list[tuple[str, str, str]] = [
        ("trial", TRIAL_FILE, "Metadata of the data set (one JSON object).")
    ]
    sections += [(t.name, t.filename, t.meaning) for t in TABLES]
    header = ["field", "type", "unit", "required", "allowed values", "key", "meaning", "含义"]
    for name, filename, meaning in sections:
        lines += [f"## {name} (`{filename}`)", "", meaning, ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in frame[frame["table"] == name].itertuples(index=False):
            cells = [
                f"`{row.field}`",
                row.type,
                row.unit,
                row.required,
                row.allowed_values,
                row.key,
                row.meaning,
                row.meaning_zh,
            ]
            lines.append("| " + " | ".join(_md_cell(str(c)) for c in cells) + " |")
        lines.append("")
    lines += [
        "## Date order",
        "",
        "Dates that cannot come before (>=) or after (<=) another date of the same patient. "
        "`patient:<name>` is one of: screening, hsct, agvhd_onset, consent (patients.csv), "
        "randomization (randomization.csv), death (the death event in events.csv). Every date "
        f"must also be on or before `data_cutoff_date` of `{TRIAL_FILE}`.",
        "",
        "| table | date | rule | anchor | why |",
        "|---|---|---|---|---|",
    ]
    for r in DATE_RULES:
        lines.append(f"| {r.table} | `{r.column}` | {r.op} | `{r.anchor}` | {r.reason} |")
    lines.append("")
    return "\n".join(lines)


def write_dictionary(out: str | Path) -> list[Path]:
    """Write ``data_dictionary.csv`` and ``data_dictionary.md`` into folder ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((CSV_NAME, render_csv()), (MD_NAME, render_markdown())):
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the trial data dictionary (CSV, MD).")
    parser.add_argument("--out", default="docs", help="folder to write into (default: docs)")
    args = parser.parse_args(argv)
    for path in write_dictionary(args.out):
        print(path)


if __name__ == "__main__":
    main()
