"""Derivations and analysis: raw CRF rows -> analysis datasets -> the paper's tables.

Public API (everything else in this package is private):

- :func:`analyse` (:mod:`gvhdtrial.analysis.pipeline`): one visible pipeline from a
  :class:`gvhdtrial.data.TrialData` to :class:`AnalysisResults`;
- :class:`AnalysisConfig`: the analysis choices (paper's defaults), recorded with the results;
- :class:`AnalysisResults`, :class:`PosthocResult`: the results contract (``results.py``);
- :func:`write_tables`: the machine-readable outputs (CSV, JSON), byte-reproducible;
- :func:`load_published`: the paper's published numbers (package data, ``published/``).
"""

from gvhdtrial.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from gvhdtrial.analysis.output import write_tables
from gvhdtrial.analysis.pipeline import analyse, build_adsl
from gvhdtrial.analysis.published import load_published
from gvhdtrial.analysis.results import (
    AT_RISK_MONTHS,
    SURVIVAL_ENDPOINTS,
    TABLE2_COLUMNS,
    AnalysisResults,
    PosthocResult,
)

__all__ = [
    "AT_RISK_MONTHS",
    "DEFAULT_CONFIG",
    "SURVIVAL_ENDPOINTS",
    "TABLE2_COLUMNS",
    "AnalysisConfig",
    "AnalysisResults",
    "PosthocResult",
    "analyse",
    "build_adsl",
    "load_published",
    "write_tables",
]
