"""The trial data model, its data dictionary and the one validating loader.

Public API (everything else in this package is private):

- :data:`TABLES`, :class:`Table`, :class:`Field`: the CRF tables, declared once
  (``gvhdtrial.data.model``); :data:`TRIAL_FIELDS` for ``trial.json``;
- :func:`load_trial` / :func:`write_trial`: read and validate a folder of CSV files / write one
  atomically and byte-reproducibly; :class:`TrialData` holds one DataFrame per table;
- :class:`TrialDataError` (a ``ValueError``) with ``.problems``, a list of :class:`Problem`;
- :func:`data_dictionary`: the REDCap-style data dictionary as a DataFrame.

The reference data set (``data/reference/``) is a SYNTHETIC reconstruction, not the trial's
patients.
"""

from gvhdtrial.data.model import (
    DATE_RULES,
    SYNTHETIC_STATEMENT,
    TABLES,
    TRIAL_FIELDS,
    DateRule,
    Field,
    Table,
    When,
    table,
)

__all__ = [
    "DATE_RULES",
    "SYNTHETIC_STATEMENT",
    "TABLES",
    "TRIAL_FIELDS",
    "DateRule",
    "Field",
    "Table",
    "When",
    "table",
]
