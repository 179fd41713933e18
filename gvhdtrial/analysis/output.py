"""Machine-readable outputs of an analysis, byte for byte reproducible.

``write_tables(results, out_dir)`` writes under ``out_dir/tables/``: ``table1.csv``,
``table2.csv``, ``table3.csv``, ``safety_summary.csv``, ``survival.csv`` (the 2-year summary),
``survival_curves.csv``, ``numbers_at_risk.csv``, ``extras.csv``,
``published_vs_reproduced.csv``, ``posthoc_<key>_{univariable,multivariable}.csv``,
``adsl.csv``, ``consort.json``, ``config.json`` and ``notes.txt``. Floats are written with a
fixed number of decimals, rows in a fixed order, ``\\n`` line ends, UTF-8: two runs on the
same data give identical files.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvhdtrial.analysis import formatting as fmt
from gvhdtrial.analysis.results import AnalysisResults

FLOAT_DECIMALS = 6


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return fmt.fixed(float(value), FLOAT_DECIMALS)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def frame_text(frame: pd.DataFrame) -> str:
    """CSV text of ``frame`` with deterministic cell formatting."""
    text = frame.map(_cell) if len(frame) else frame.astype(str)
    return text.to_csv(index=False, lineterminator="\n")


def _json(value: Any) -> str:
    def default(x: Any) -> Any:
        if isinstance(x, (np.integer,)):
            return int(x)
        if isinstance(x, (np.floating, float)):
            return None if math.isnan(float(x)) else float(x)
        if isinstance(x, (np.bool_,)):
            return bool(x)
        if isinstance(x, tuple):
            return list(x)
        raise TypeError(f"not JSON-serializable: {x!r}")

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=default) + "\n"


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")


def write_tables(results: AnalysisResults, out_dir: str | os.PathLike[str]) -> Path:
    """Write the machine-readable tables of ``results`` into ``out_dir/tables`` (see module)."""
    folder = Path(out_dir) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "table1.csv": results.table1,
        "table2.csv": results.table2,
        "table3.csv": results.table3,
        "safety_summary.csv": results.safety_summary,
        "survival.csv": results.survival_summary,
        "survival_curves.csv": results.survival_curves,
        "numbers_at_risk.csv": results.numbers_at_risk,
        "extras.csv": results.extras,
        "published_vs_reproduced.csv": results.published_vs_reproduced,
        "adsl.csv": results.adsl,
    }
    for key in sorted(results.posthoc):
        res = results.posthoc[key]
        frames[f"posthoc_{_slug(key)}_univariable.csv"] = res.univariable
        frames[f"posthoc_{_slug(key)}_multivariable.csv"] = res.multivariable
    for name, frame in frames.items():
        _write(folder / name, frame_text(frame))
    _write(folder / "consort.json", _json(results.consort))
    meta = {
        "blinded": results.blinded,
        "synthetic_statement": results.synthetic_statement,
        "config": results.config,
        "posthoc": {
            key: {
                "endpoint": r.endpoint,
                "population": r.population,
                "model": r.model,
                "selected": list(r.selected),
                "note": r.note,
            }
            for key, r in sorted(results.posthoc.items())
        },
    }
    _write(folder / "config.json", _json(meta))
    _write(folder / "notes.txt", "".join(f"- {note}\n" for note in results.notes))
    return folder
