"""Cause-specific Cox models, one per cause, to report beside Fine-Gray.

Registry papers report both (Latouche, Allignol, Beyersmann & Schumacher, J Clin Epidemiol
2013;66:648-53): the cause-specific hazard of cause k treats every other cause as
censoring at its time, so it is the Cox model of ``status == k``; the Fine-Gray model
keeps those subjects in the risk set. Pinned against R ``coxph(Surv(time, status == k) ~ X)``
in tests/stats/test_registry_competing.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gvhdtrial.stats._competing_input import as_status, as_time
from gvhdtrial.stats.cox import CoxResult, cox

__all__ = ["cause_specific_cox"]


def cause_specific_cox(
    time: Any,
    status: Any,
    X: Any,
    cencode: float = 0,
    *,
    causes: Any = None,
    **cox_options: Any,
) -> dict[float, CoxResult]:
    """A Cox model of each cause's hazard, other causes censored at their times.

    ``causes`` defaults to every status code other than ``cencode`` that has an event.
    ``cox_options`` go to :func:`gvhdtrial.stats.cox` (ties, strata, weights, cluster,
    entry, ...).

    >>> fits = cause_specific_cox([2, 3, 3, 5, 6, 7, 8, 9, 10, 12],
    ...                           [1, 2, 0, 1, 1, 2, 0, 1, 2, 0],
    ...                           [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6])
    >>> sorted(fits), round(float(fits[1.0].coef[0]), 4)
    ([1.0, 2.0], 0.647)
    """
    t = as_time(time)
    st = as_status(status, t.size)
    cencode = float(cencode)
    present = [float(c) for c in np.unique(st) if c != cencode]
    wanted = present if causes is None else [float(c) for c in np.atleast_1d(causes)]
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ValueError(
            f"cause {missing[0]:g} has no events in status; causes present: "
            f"{', '.join(f'{c:g}' for c in present) or 'none'}"
        )
    return {c: cox(t, (st == c).astype(float), X, **cox_options) for c in wanted}
