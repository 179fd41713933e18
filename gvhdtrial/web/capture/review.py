"""The pooled data review, cached by the SHA-256 of the export it comes from (an unchanged
database is not analysed twice). The analysis report is built in ``report_build``."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd
from django.utils.translation import gettext_lazy

from gvhdtrial.data import Problem, TrialDataError
from gvhdtrial.web.capture.exports import database_tables, digests, write_export

_lock = threading.Lock()
_review_cache: dict[str, dict[str, Any]] = {}


def _digest(files: dict[str, str]) -> str:
    return hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    rows = [["" if pd.isna(v) else str(v) for v in rec] for rec in frame.itertuples(index=False)]
    return {"columns": [str(c) for c in frame.columns], "rows": rows}


def _problem(p: Problem) -> dict[str, Any]:
    """A loader problem for the page. The export is blinded (no arm column), so no problem can
    carry an arm; a value in an arm column or of a blinding check is left out all the same."""
    hide = p.column == "arm" or p.check == "blinding"
    return {
        "file": p.file, "line": p.line, "column": p.column or "",
        "value": "" if hide or p.value is None else p.value,
        "expected": p.expected, "check": p.check,
    }  # fmt: skip


def pooled_review(site_code: str | None = None) -> dict[str, Any]:
    """Pooled (blinded) tables of the analysis: response, safety, adverse events, CONSORT;
    with ``site_code``, made from that site's patients only (what a site role may see).

    Data that do not load (a date rule broken, say) give the loader's problems instead of the
    tables (``problems``: file, line, column, value, expected, check), never an exception."""
    from gvhdtrial.analysis import analyse
    from gvhdtrial.data import load_trial
    from gvhdtrial.report.build import interpretation_for
    from gvhdtrial.web.trialdef.services import write_versions

    with tempfile.TemporaryDirectory(prefix="gvhdtrial-review-") as tmp:
        try:
            folder, missing = write_export(
                Path(tmp) / "data", blinded=True, site_code=site_code, for_spreadsheets=False
            )
        except TrialDataError as exc:
            _, frames, missing = database_tables(blinded=True, site_code=site_code)
            n = len(exc.problems)
            return {
                "missing_baseline": len(missing),
                "patients": len(frames["patients"]),
                "problems": [_problem(p) for p in exc.problems],
                "note": f"The captured data break {n} rule{'s' if n != 1 else ''} of the data "
                "model (listed below): the pooled analysis waits until they are resolved.",
            }
        write_versions(folder)  # each patient's definition version: part of what is cached
        key = _digest({**digests(folder), "site": site_code or ""})
        with _lock:
            if key in _review_cache:
                return _review_cache[key]
        trial = load_trial(folder)
        review: dict[str, Any] = {"missing_baseline": len(missing), "patients": len(trial.patients)}
        if len(trial.randomization) == 0:
            review["note"] = gettext_lazy("No patient is randomized yet: nothing to pool.")
        else:
            try:
                # each patient under the definition version in force at randomization
                definition, rules, _ = interpretation_for(folder)
                results = analyse(trial, rules, definition.eligibility)
            except Exception as exc:  # the review must not fail because a table cannot be made
                review["note"] = f"The pooled analysis could not be made: {type(exc).__name__}."
            else:
                review["tables"] = [
                    (gettext_lazy("Response (pooled)"), _table(results.table2)),
                    (gettext_lazy("Safety summary (pooled)"), _table(results.safety_summary)),
                    (gettext_lazy("Adverse events (pooled)"), _table(results.table3)),
                ]
    with _lock:
        _review_cache[key] = review
    return review
