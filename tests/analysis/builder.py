"""Hand-made trial data for the analysis tests (SYNTHETIC: invented patients).

:class:`PatientSpec` describes one randomized patient in study days (d0 = randomization);
:func:`trial_rows` turns a list of them into the CSV rows of every table, and
:func:`load_specs` writes and loads them through the project's one loader, so the tests run
the real path raw rows -> derivations -> tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gvhdtrial.data import SYNTHETIC_STATEMENT, TABLES, TrialData, load_trial
from tests._trial_rows import (
    AE_DEFAULTS,
    ASSESSMENT_DEFAULTS,
    EVENT_DEFAULTS,
    PATIENT_DEFAULTS,
)

RAND0 = dt.date(2021, 1, 10)
INFUSION_DAYS = (1, 4, 8, 11, 15, 18, 22, 25, 29, 32, 36, 39, 43, 46, 50, 53)

# Raw measurements giving known MAGIC stages (docs/protocol.md section 1).
SKIN3 = {"skin_bsa_percent": "60"}  # skin stage 3 (> 50 % BSA)
SKIN1 = {"skin_bsa_percent": "10"}  # skin stage 1
GUT2 = {"stool_ml_per_day": "1200"}  # lower GI stage 2 (1000-1500 mL, adult)
GUT1 = {"stool_ml_per_day": "700"}  # lower GI stage 1
LIVER2 = {"bilirubin": "4.0"}  # liver stage 2 (> 3.0 - 6.0 mg/dL)
CLEAR: dict[str, str] = {}  # every stage 0


@dataclass
class PatientSpec:
    """One randomized patient, in study days from randomization (d0)."""

    pid: str
    arm: str = "MSC"
    offset: int = 0  # randomization date = RAND0 + offset days
    baseline: dict[str, str] = field(default_factory=lambda: dict(GUT2))
    # steroid course: days before randomization of (dose change, mg/day methylprednisolone)
    steroid_start: int = -10
    doses: list[tuple[int, float]] = field(default_factory=lambda: [(-10, 120.0)])
    course: list[tuple[int, dict[str, str]]] = field(
        default_factory=lambda: [(-10, dict(GUT1)), (-6, dict(GUT2))]
    )  # pre-randomization assessments (the first at steroid start)
    post: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    n_infusions: int = 8
    second_line: str = "basiliximab"
    salvage: tuple[int, str] | None = None
    death: tuple[int, bool] | None = None  # (day, relapse-related)
    discontinuation: tuple[int, str] | None = None
    relapse: int | None = None
    cgvhd: tuple[int, str] | None = None
    last_contact: int = 400
    aes: list[dict[str, Any]] = field(default_factory=list)
    patient: dict[str, str] = field(default_factory=dict)


def _d(spec: PatientSpec, day: int) -> str:
    return (RAND0 + dt.timedelta(days=spec.offset + day)).isoformat()


def trial_rows(specs: list[PatientSpec]) -> dict[str, list[dict[str, str]]]:
    """Rows of every table for ``specs`` (plus one screen failure, ``X999``)."""
    rows: dict[str, list[dict[str, str]]] = {
        "sites": [{"site_id": "S01", "name": "Centre One", "city": "Tianjin", "country": "China"}],
        "patients": [],
        "steroid_doses": [],
        "randomization": [],
        "infusions": [],
        "assessments": [],
        "therapies": [],
        "adverse_events": [],
        "events": [],
    }
    for seq, s in enumerate(specs, start=1):
        rows["patients"].append(
            {
                **PATIENT_DEFAULTS,
                "patient_id": s.pid,
                "site_id": "S01",
                "screening_date": _d(s, -2),
                "age_years": "40",
                "hsct_date": _d(s, -60),
                "agvhd_onset_date": _d(s, s.steroid_start),
                "consent_date": _d(s, -1),
                **s.patient,
            }
        )
        for day, mg in s.doses:
            rows["steroid_doses"].append(
                {
                    "patient_id": s.pid,
                    "date": _d(s, day),
                    "agent": "methylprednisolone",
                    "dose_mg_per_day": f"{mg:g}",
                }
            )
        rows["randomization"].append(
            {
                "patient_id": s.pid,
                "randomization_date": _d(s, 0),
                "stratum": "S01",
                "sequence_number": str(seq),
                "arm": s.arm,
            }
        )
        for k in range(s.n_infusions):
            rows["infusions"].append(
                {
                    "patient_id": s.pid,
                    "infusion_number": str(k + 1),
                    "date": _d(s, INFUSION_DAYS[k]),
                    "kit_numbers": f"K{s.pid}{k:02d}a;K{s.pid}{k:02d}b;K{s.pid}{k:02d}c",
                    "bags": "3",
                    "delivered_cells_1e6_per_kg": "1",
                    "infusion_reaction": "false",
                    "reaction_description": "",
                }
            )
        visits = [
            (day, "steroid_start" if i == 0 else "unscheduled", m)
            for i, (day, m) in enumerate(s.course)
        ]
        visits += [(0, "baseline", s.baseline)] + [(day, f"d{day}", m) for day, m in s.post]
        for day, visit, m in visits:
            rows["assessments"].append(
                {
                    **ASSESSMENT_DEFAULTS,
                    "patient_id": s.pid,
                    "assessment_date": _d(s, day),
                    "visit": visit,
                    **m,
                }
            )
        rows["therapies"].append(
            {
                "patient_id": s.pid,
                "agent": s.second_line,
                "role": "second_line",
                "start_date": _d(s, 0),
                "stop_date": "",
            }
        )
        if s.salvage:
            rows["therapies"].append(
                {
                    "patient_id": s.pid,
                    "agent": s.salvage[1],
                    "role": "salvage",
                    "start_date": _d(s, s.salvage[0]),
                    "stop_date": "",
                }
            )
        events: list[dict[str, str]] = []
        if s.discontinuation:
            events.append(
                {
                    "event_type": "discontinuation",
                    "event_date": _d(s, s.discontinuation[0]),
                    "discontinuation_reason": s.discontinuation[1],
                }
            )
        if s.relapse is not None:
            events.append({"event_type": "relapse", "event_date": _d(s, s.relapse)})
        if s.cgvhd:
            events.append(
                {
                    "event_type": "cgvhd_onset",
                    "event_date": _d(s, s.cgvhd[0]),
                    "cgvhd_nih_severity": s.cgvhd[1],
                }
            )
        if s.death:
            events.append(
                {
                    "event_type": "death",
                    "event_date": _d(s, s.death[0]),
                    "death_cause": "infection",
                    "death_relapse_related": "true" if s.death[1] else "false",
                }
            )
        else:
            events.append({"event_type": "last_contact", "event_date": _d(s, s.last_contact)})
        for i, e in enumerate(sorted(events, key=lambda e: e["event_date"]), start=1):
            rows["events"].append({**EVENT_DEFAULTS, "patient_id": s.pid, "event_id": str(i), **e})
        for i, ae in enumerate(s.aes, start=1):
            onset = ae.pop("day")
            rows["adverse_events"].append(
                {
                    **AE_DEFAULTS,
                    "patient_id": s.pid,
                    "ae_id": str(i),
                    "onset_date": _d(s, onset),
                    "outcome": "fatal" if ae.get("grade") == "5" else "not_recovered",
                    **ae,
                }
            )
    rows["patients"].append(
        {
            **PATIENT_DEFAULTS,
            "patient_id": "X999",
            "site_id": "S01",
            "screening_date": "2021-01-05",
            "age_years": "75",
            "hsct_date": "2020-11-01",
            "agvhd_onset_date": "2020-12-20",
            "nyha_class": "3",
        }
    )
    return rows


def load_specs(tmp: Path, specs: list[PatientSpec], *, blinded: bool = False) -> TrialData:
    """Write ``specs`` as a trial folder and load it with :func:`gvhdtrial.data.load_trial`."""
    rows = trial_rows(specs)
    info = {**valid_info(), "data_cutoff_date": "2023-12-31", "blinded": blinded}
    if blinded:
        for r in rows["randomization"]:
            del r["arm"]
    return load_trial(write_folder(tmp / "trial", rows, info))


def write_folder(folder: Path, rows: dict[str, list[dict[str, str]]], info: dict[str, Any]) -> Path:
    """Write ``rows`` and ``info`` as a trial folder, columns in model order."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        table_rows = rows[t.name]
        columns = [c for c in t.columns if not table_rows or c in table_rows[0]]
        if not table_rows and t.name == "randomization" and info.get("blinded"):
            columns.remove("arm")
        with (folder / t.filename).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in table_rows:
                writer.writerow([row.get(c, "") for c in columns])
    (folder / "trial.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder


def valid_info() -> dict[str, Any]:
    return {
        "trial_id": "TEST-0002",
        "title": "Hand-made analysis test data set",
        "synthetic": True,
        "statement": f"{SYNTHETIC_STATEMENT}: invented patients for the analysis tests.",
        "generator": "tests/analysis/builder.py",
        "generator_version": "1",
        "seed": None,
        "data_cutoff_date": "2023-12-31",
        "blinded": False,
    }
