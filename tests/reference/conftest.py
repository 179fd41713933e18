"""The reference trial's attribute table, solved once for the session (about 10 s of CPU each
time): the attribute and the generator tests read the same solve of the default seed."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``reference`` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def solved_attributes() -> pd.DataFrame:
    from reference.attributes import solve_attributes
    from reference.generate import DEFAULT_SEED

    return solve_attributes(DEFAULT_SEED)
