"""The trial data model, its data dictionary and the one validating loader.

Public API (everything else in this package is private):

- :data:`TABLES` (:class:`Table` of :class:`Field`), :data:`TRIAL_FIELDS` (``trial.json``),
  :data:`DATE_RULES`, :func:`table`: the CRF tables, declared once in ``model.py``;
- :func:`load_trial` reads and validates a folder (one CSV per table plus ``trial.json``) and
  returns a :class:`TrialData` (one DataFrame per table, plus :class:`TrialInfo`), or raises
  :class:`TrialDataError` (a ``ValueError``) whose ``.problems`` lists every :class:`Problem`;
- :func:`write_trial` writes a :class:`TrialData` atomically and byte-reproducibly;
- :func:`data_dictionary`: the REDCap-style data dictionary as a DataFrame.

The reference data set (``data/reference/``) is a SYNTHETIC reconstruction, not the trial's
patients (:data:`SYNTHETIC_STATEMENT`).
"""

from typing import TYPE_CHECKING

from gvhdtrial.data.loader import (
    Problem,
    TrialData,
    TrialDataError,
    TrialInfo,
    load_trial,
    write_trial,
)
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

if TYPE_CHECKING:
    import pandas


def data_dictionary() -> "pandas.DataFrame":
    """The REDCap-style data dictionary as a DataFrame (see :mod:`gvhdtrial.data.dictionary`)."""
    # Imported here so that ``python -m gvhdtrial.data.dictionary`` runs without a warning.
    from gvhdtrial.data.dictionary import data_dictionary as render

    return render()


__all__ = [
    "DATE_RULES",
    "SYNTHETIC_STATEMENT",
    "TABLES",
    "TRIAL_FIELDS",
    "DateRule",
    "Field",
    "Problem",
    "Table",
    "TrialData",
    "TrialDataError",
    "TrialInfo",
    "When",
    "data_dictionary",
    "load_trial",
    "table",
    "write_trial",
]
