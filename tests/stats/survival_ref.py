"""Loader for the frozen R reference values (tests/fixtures/survival_reference.json).

Made by tests/fixtures/survival_reference.R (R 4.2.2, survival 3.5-3); the tests that use
them never need R. Tolerances: 1e-6 relative for estimates, 1e-8 absolute for p-values.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RTOL = 1e-6
P_ATOL = 1e-8

SURVIVAL_SETS = [
    "small_noties",
    "small_ties",
    "medium_ties",
    "medium_noties",
    "large_someties",
    "six",
]


@cache
def reference() -> dict[str, Any]:
    return json.loads((FIXTURES / "survival_reference.json").read_text())


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "data" / f"survival_{name}.csv")


def arr(values: Any) -> np.ndarray:
    """R's numbers as a float array; R's NA (JSON null) becomes NaN."""
    return np.array([np.nan if v is None else v for v in np.atleast_1d(values)], dtype=float)


def close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), arr(expected), rtol=rtol, atol=atol, equal_nan=True
    )


def close_p(actual: Any, expected: Any) -> None:
    close(actual, expected, rtol=0.0, atol=P_ATOL)
