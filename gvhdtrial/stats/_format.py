"""Plain-text layout shared by the ``summary()`` methods of the results objects."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fmt_p(p: float) -> str:
    """A p-value as reported: four decimals, or ``<0.0001``."""
    if not np.isfinite(p):
        return "NA"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def fmt_num(x: float, digits: int = 4) -> str:
    if x is None or not np.isfinite(x):
        return "NA" if x is None or np.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.{digits}g}" if abs(x) >= 1e5 or (x != 0 and abs(x) < 1e-3) else f"{x:.{digits}f}"


def box(title: str, lines: Sequence[str], width: int = 72) -> str:
    """A titled block framed by rules, as statsmodels' summaries are."""
    rule = "=" * width
    return "\n".join([rule, title.center(width).rstrip(), rule, *lines, rule])


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Right-aligned columns (first column left-aligned) as a list of text lines."""
    cols = [list(map(str, c)) for c in zip(header, *rows, strict=True)]
    widths = [max(len(s) for s in c) for c in cols]
    out = []
    for r, row in enumerate([header, *rows]):
        cells = [
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells))
        if r == 0:
            out.append("-" * len(out[0]))
    return out
