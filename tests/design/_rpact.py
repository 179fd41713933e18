"""The frozen rpact fixtures (tests/fixtures/design_reference.json) and argument mapping."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "design_reference.json"


@cache
def reference() -> dict:
    return json.loads(FIXTURE.read_text())


def snake(name: str) -> str:
    """rpact's camelCase argument name in snake_case (deltaPT1 -> delta_pt1)."""
    name = {"deltaWT": "delta_wt", "deltaPT1": "delta_pt1", "deltaPT0": "delta_pt0"}.get(name, name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def design_kwargs(args: dict) -> dict:
    out = {}
    for key, value in args.items():
        if (
            isinstance(value, list)
            and len(value) == 1
            and key
            not in (
                "informationRates",
                "userAlphaSpending",
                "futilityBounds",
            )
        ):
            value = value[0]
        if key in ("kMax", "sided"):
            value = int(value)
        out[snake(key)] = value
    return out


def arr(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in np.atleast_1d(values)], dtype=float)
