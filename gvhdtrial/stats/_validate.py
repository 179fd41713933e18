"""Input checks shared by the estimators: one clear ValueError per bad argument."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_float_1d(name: str, values: object) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite; element {i} is {arr[i]!r}")
    return arr


def time_event(time: object, event: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated survival times (>= 0) and event indicators (0/1 or bool)."""
    t = as_float_1d("time", time)
    e = as_float_1d("event", event)
    if e.shape != t.shape:
        raise ValueError(f"time and event differ in length: {t.size} vs {e.size}")
    if (t < 0).any():
        i = int(np.flatnonzero(t < 0)[0])
        raise ValueError(f"time must be >= 0; element {i} is {t[i]!r}")
    if not np.isin(e, (0.0, 1.0)).all():
        i = int(np.flatnonzero(~np.isin(e, (0.0, 1.0)))[0])
        raise ValueError(f"event must be 0 (censored) or 1 (event); element {i} is {e[i]!r}")
    return t, e.astype(bool)


def labels(name: str, values: object, n: int) -> np.ndarray:
    """Group or stratum labels of length n (any hashable values, no missing)."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"{name} must be one-dimensional of length {n}, got shape {arr.shape}")
    if pd.isna(arr).any():
        i = int(np.flatnonzero(pd.isna(arr))[0])
        raise ValueError(f"{name} has a missing value at element {i}")
    return arr


def design(X: object, n: int | None = None) -> tuple[np.ndarray, list[str]]:
    """A numeric design matrix (n x p) and its column names."""
    if isinstance(X, pd.Series):
        names = [str(X.name) if X.name is not None else "x"]
        arr = X.to_numpy(dtype=float)[:, None]
    elif isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        nonnum = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if nonnum:
            raise ValueError(f"X has non-numeric columns {nonnum}; code them as dummy variables")
        arr = X.to_numpy(dtype=float)
    else:
        arr = np.asarray(X, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        names = ["x"] if arr.shape[1] == 1 else [f"x{j + 1}" for j in range(arr.shape[1])]
    if arr.ndim != 2:
        raise ValueError(f"X must be two-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"X has {arr.shape[0]} rows but time has {n}")
    if not np.isfinite(arr).all():
        r, c = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"X must be finite; row {r}, column {names[c]!r} is {arr[r, c]!r}")
    return arr, names
