"""Loader for the frozen R values of the registry-grade models (issue 14).

Made by tests/fixtures/registry_reference.R (versions under "session"; R 4.2.2, survival
3.5-3, cmprsk 2.2-11, mets 1.3.2) from R's own data sets exported to
tests/fixtures/data/registry_*.csv and the seeded simulations of
tests/fixtures/registry_make_data.py. The tests never need R. Tolerances: 1e-6 relative for
estimates, 1e-8 absolute for p-values.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from survival_ref import P_ATOL, RTOL, arr, close, close_p

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
__all__ = ["P_ATOL", "RTOL", "arr", "close", "close_p", "data", "reference"]


@cache
def reference() -> dict[str, Any]:
    return json.loads((FIXTURES / "registry_reference.json").read_text())


@cache
def _data(name: str) -> pd.DataFrame:
    # round_trip: the exact doubles R wrote (pandas 2's fast parser can be 1 ulp off)
    return pd.read_csv(FIXTURES / "data" / f"registry_{name}.csv", float_precision="round_trip")


def data(name: str) -> pd.DataFrame:
    return _data(name).copy()
