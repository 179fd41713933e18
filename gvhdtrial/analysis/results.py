"""The results of one analysis run: the contract between ``analysis`` and ``report``.

:class:`AnalysisResults` is what :func:`gvhdtrial.analysis.analyse` returns and what the report
(figures, HTML, PDF) and :func:`gvhdtrial.analysis.write_tables` consume. Its fields and their
columns are fixed here; nothing else in the package is part of the contract.

Arms are spelled ``"MSC"`` and ``"control"`` (the codes of ``randomization.arm``); populations
``"ITT"``, ``"PP"`` and ``"safety"``; in blinded mode the only "arm" is ``"pooled"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Columns of :attr:`AnalysisResults.table2` (one row per endpoint x population x subgroup).
TABLE2_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "population",
    "subgroup",
    "msc_x",
    "msc_n",
    "control_x",
    "control_n",
    "test",
    "p_value",
    "odds_ratio",
    "ci_low",
    "ci_high",
)

#: Columns of :attr:`AnalysisResults.survival_curves` (step functions, one row per step).
SURVIVAL_CURVE_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "population",
    "arm",
    "time_months",
    "estimate",
    "lower",
    "upper",
)

#: Columns of :attr:`AnalysisResults.numbers_at_risk`.
NUMBERS_AT_RISK_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "population",
    "arm",
    "time_months",
    "n_at_risk",
)

#: Columns of :attr:`AnalysisResults.survival_summary` (one row per endpoint x population).
SURVIVAL_SUMMARY_COLUMNS: tuple[str, ...] = (
    "endpoint",
    "population",
    "at_months",
    "msc_estimate",
    "msc_lower",
    "msc_upper",
    "control_estimate",
    "control_lower",
    "control_upper",
    "test",
    "p_value",
    "hr",
    "hr_lower",
    "hr_upper",
)

#: Columns of :attr:`AnalysisResults.published_vs_reproduced`.
PUBLISHED_VS_REPRODUCED_COLUMNS: tuple[str, ...] = (
    "quantity",
    "population",
    "arm",
    "source",
    "published",
    "reproduced",
    "difference",
    "exact",
)

#: Columns of :attr:`AnalysisResults.extras` (other numbers of the paper's text).
EXTRAS_COLUMNS: tuple[str, ...] = ("quantity", "population", "arm", "value", "detail")

#: Columns of :attr:`AnalysisResults.safety_summary`.
SAFETY_SUMMARY_COLUMNS: tuple[str, ...] = ("quantity", "arm", "n", "N", "percent")

#: Survival endpoints, in report order: OS (Kaplan-Meier; estimate = survival) and the
#: cumulative incidences (Aalen-Johansen; estimate = incidence of the event of interest),
#: except FFS whose estimate is failure-free survival = 1 - incidence of failure.
SURVIVAL_ENDPOINTS: tuple[str, ...] = ("OS", "FFS", "relapse", "NRM", "cGVHD", "cGVHD_mod_sev")

#: Months at which numbers at risk are given.
AT_RISK_MONTHS: tuple[int, ...] = (0, 6, 12, 18, 24, 30, 36)


@dataclass(frozen=True)
class PosthocResult:
    """One post-hoc selection (Tables S1, S3, S5, S6): univariable then multivariable.

    ``univariable`` has columns ``variable, term, estimate, lower, upper, p_value, selected``;
    ``multivariable`` has ``term, estimate, lower, upper, p_value`` (estimate = odds ratio for
    logistic models, hazard ratio for Cox and Fine-Gray). ``model`` names the model used.
    """

    endpoint: str
    population: str
    model: str
    univariable: pd.DataFrame
    multivariable: pd.DataFrame
    selected: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class AnalysisResults:
    """Everything one analysis run produced (see the module docstring for spellings).

    - ``adsl``: the per-patient analysis dataset, one row per randomized patient;
    - ``table1``: columns ``variable, level, itt_msc, itt_control, pp_msc, pp_control,
      itt_p_value, itt_test, pp_p_value, pp_test`` (cells formatted like the paper);
      blinded: ``variable, level, itt_pooled``;
    - ``table2``: :data:`TABLE2_COLUMNS` (blinded: pooled response rates, ``endpoint,
      population, subgroup, x, n``);
    - ``table3``: ``group, event, msc_any, msc_grade3_4, msc_grade5, control_any,
      control_grade3_4, control_grade5`` (cells "n (%)"), plus the integer counts in
      ``*_n`` columns; blinded: ``pooled_*``;
    - ``safety_summary``: :data:`SAFETY_SUMMARY_COLUMNS`;
    - ``consort``: the CONSORT flow as a JSON-ready dict;
    - ``survival_curves``, ``numbers_at_risk``, ``survival_summary``: see the column tuples;
    - ``posthoc``: ``{"S1:ORR_D28": PosthocResult, ...}``;
    - ``extras``: :data:`EXTRAS_COLUMNS`;
    - ``published_vs_reproduced``: :data:`PUBLISHED_VS_REPRODUCED_COLUMNS`;
    - ``config``: the analysis choices (windows, PP reading, models) as a JSON-ready dict;
    - ``notes``: what a reader must know (PP reading, imputation rules, misprints);
    - ``blinded``: True when the data carry no arm: only pooled tables are produced;
    - ``synthetic_statement``: the data set's own statement of what it is.
    """

    adsl: pd.DataFrame
    table1: pd.DataFrame
    table2: pd.DataFrame
    table3: pd.DataFrame
    safety_summary: pd.DataFrame
    consort: dict[str, Any]
    survival_curves: pd.DataFrame
    numbers_at_risk: pd.DataFrame
    survival_summary: pd.DataFrame
    posthoc: dict[str, PosthocResult]
    extras: pd.DataFrame
    published_vs_reproduced: pd.DataFrame
    config: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    blinded: bool = False
    synthetic_statement: str = ""
