"""Input checking shared by the competing-risks estimators (private).

Every check raises a ValueError that names the argument and the offending row, so a
caller sees at once which record is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]


def as_time(time: Any, name: str = "time") -> FloatArray:
    """Times as a 1-d float array: finite, non-negative."""
    arr = np.asarray(time, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one subject is needed")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} has a missing or infinite value at row {bad[0]}: {arr[bad[0]]}")
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        raise ValueError(f"{name} has a negative value at row {neg[0]}: {arr[neg[0]]}")
    return arr


def as_status(status: Any, n: int, name: str = "status") -> FloatArray:
    """Status codes as a 1-d float array of length n without missing values."""
    arr = np.asarray(status, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} values but time has {n}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} has a missing value at row {bad[0]}")
    return arr


def as_labels(values: Any, n: int, name: str) -> np.ndarray:
    """Group or stratum labels of length n without missing values."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size != n:
        raise ValueError(f"{name} has {arr.size} values but time has {n}")
    bad = np.flatnonzero(pd.isna(arr))
    if bad.size:
        raise ValueError(f"{name} has a missing value at row {bad[0]}")
    return arr


def as_covariates(x: Any, n: int, name: str = "X") -> tuple[FloatArray, tuple[str, ...]]:
    """Covariate matrix (n x p, column-major) and column names (DataFrame columns, else
    x1..xp)."""
    columns: Sequence[Any] | None = getattr(x, "columns", None)
    series_name = getattr(x, "name", None) if columns is None and hasattr(x, "index") else None
    if columns is not None and len(columns) and getattr(x, "ndim", 0) == 2:
        # a DataFrame: one contiguous copy per column (column-major without a transpose)
        arr = np.empty((len(x), len(columns)), order="F")
        for j in range(len(columns)):
            arr[:, j] = np.asarray(x.iloc[:, j], dtype=float)
    else:
        arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a matrix (n x p), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but time has {n}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns")
    bad_rows, bad_cols = np.nonzero(~np.isfinite(arr))
    if bad_rows.size:
        raise ValueError(
            f"{name} has a missing or infinite value at row {bad_rows[0]}, column {bad_cols[0]}"
        )
    if columns is not None:
        names = tuple(str(c) for c in columns)
    elif series_name is not None:
        names = (str(series_name),)
    else:
        names = tuple(f"x{j + 1}" for j in range(arr.shape[1]))
    # column-major: each covariate contiguous (free for a DataFrame's float block)
    return np.asfortranarray(arr), names


def label_codes(labels: np.ndarray) -> tuple[tuple[Any, ...], np.ndarray]:
    """Sorted distinct labels (as R's factor levels) and each row's integer code."""
    codes, uniques = pd.factorize(labels, sort=True)
    return tuple(np.asarray(uniques).tolist()), codes
