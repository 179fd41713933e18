"""Wald confidence limits of exp(coef), shared by the Cox and logistic results."""

from __future__ import annotations

import numpy as np
from scipy import stats


class WaldRatioLimits:
    """Mixin for results with ``coef``, ``se`` and ``conf_level``: exp(coef +- z se).

    The ratio is a hazard ratio (Cox) or an odds ratio (logistic); R gives the same limits
    with ``exp(confint.default(fit))``.
    """

    coef: np.ndarray
    se: np.ndarray
    conf_level: float

    @property
    def _z_crit(self) -> float:
        return float(stats.norm.ppf(0.5 + self.conf_level / 2))

    @property
    def ci_low(self) -> np.ndarray:
        """Lower Wald limit of the ratio, on the log scale."""
        return np.exp(self.coef - self._z_crit * self.se)

    @property
    def ci_high(self) -> np.ndarray:
        """Upper Wald limit of the ratio, on the log scale."""
        return np.exp(self.coef + self._z_crit * self.se)
