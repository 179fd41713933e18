"""Post-hoc analysis: univariable screen, then a multivariable model of the survivors.

The paper ("Statistical analysis"): the post-hoc univariable analysis covers age, sex,
diagnosis, conditioning, donor type, CD34+ dose, prophylaxis, steroid response, grade,
organ involvement, number of organs, baseline steroid dose and second-line agent;
"only variables with p value < 0.1 in the univariable analysis were included in the
multivariable analysis" (docs/protocol.md section 8). Models: logistic (response rates),
Cox (OS), Fine-Gray (FFS, chronic GVHD).

A candidate's univariable p-value tests the whole variable (all its dummy variables at
once): the likelihood-ratio test for logistic and Cox models, the Wald test for
Fine-Gray (whose pseudo-likelihood does not give a valid LR test).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from gvhdtrial.stats._format import box, fmt_p, table
from gvhdtrial.stats.cox import cox
from gvhdtrial.stats.regression import logistic

Model = Literal["logistic", "cox", "fine_gray"]
_EFFECT = {"logistic": "OR", "cox": "HR", "fine_gray": "SHR"}


@dataclass(frozen=True)
class _Fit:
    """What the screen needs from any of the three models."""

    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray | None
    p_term: np.ndarray
    lr: float | None  # likelihood-ratio statistic against the null model, if valid
    n: int
    result: Any


@dataclass(frozen=True)
class SelectionResult:
    """Univariable table, the variables kept (p < threshold) and the multivariable table.

    Tables have one row per model term (a dummy variable per non-reference level of a
    categorical variable), with the effect (OR, HR or subdistribution HR), its Wald CI,
    the term's p-value and the whole variable's p-value (``p_variable``).
    """

    model: Model
    threshold: float
    conf_level: float
    univariable: pd.DataFrame
    selected: list[str]
    multivariable: pd.DataFrame | None
    multivariable_fit: Any
    variable_test: str

    def summary(self) -> str:
        eff = _EFFECT[self.model]
        lines = [
            f"Model: {self.model}; univariable p from the {self.variable_test} test of each "
            f"variable; kept if p < {self.threshold}",
            "",
            "Univariable analysis",
            *_render(self.univariable, eff),
            "",
        ]
        if self.multivariable is None:
            lines.append("No variable passed the screen: no multivariable model.")
        else:
            lines += ["Multivariable analysis", *_render(self.multivariable, eff)]
        return box("Univariable screen and multivariable model", lines, width=90)


def _render(frame: pd.DataFrame, eff: str) -> list[str]:
    rows = [
        [
            str(r.variable),
            str(r.term),
            f"{r.estimate:.2f}",
            f"{r.ci_low:.2f}-{r.ci_high:.2f}",
            fmt_p(r.p_value),
            fmt_p(r.p_variable),
            str(int(r.n)),
        ]
        for r in frame.itertuples()
    ]
    return table(["variable", "term", eff, "95% CI", "p", "p (variable)", "n"], rows)


def _dummies(
    column: pd.Series, reference: object | None, categorical: bool
) -> tuple[pd.DataFrame, str | None]:
    """Numeric columns for one candidate, and the reference level if categorical."""
    name = str(column.name)
    if not categorical:
        return pd.DataFrame({name: column.astype(float)}), None
    if isinstance(column.dtype, pd.CategoricalDtype):
        levels = [lev for lev in column.cat.categories if (column == lev).any()]
    else:
        levels = sorted(column.dropna().unique(), key=lambda v: (str(type(v)), v))
    if reference is not None:
        if reference not in levels:
            raise ValueError(f"reference level {reference!r} of {name!r} not among {levels}")
        levels = [reference, *[lev for lev in levels if lev != reference]]
    if len(levels) < 2:
        raise ValueError(f"categorical variable {name!r} has fewer than 2 levels: {levels}")
    cols = {f"{name}[{lev}]": (column == lev).astype(float) for lev in levels[1:]}
    return pd.DataFrame(cols, index=column.index), str(levels[0])


def _fit(model: Model, y: pd.DataFrame, X: pd.DataFrame, opts: Mapping[str, Any]) -> _Fit:
    if model == "logistic":
        r = logistic(y.iloc[:, 0], X)
        return _Fit(
            terms=r.names[1:],
            coef=r.coef[1:],
            se=r.se[1:],
            cov=r.cov[1:, 1:],
            p_term=r.p_value[1:],
            lr=r.lr_statistic,
            n=r.n,
            result=r,
        )
    if model == "cox":
        r = cox(y.iloc[:, 0], y.iloc[:, 1], X, ties=opts.get("ties", "efron"))
        return _Fit(
            terms=r.names,
            coef=r.coef,
            se=r.se,
            cov=r.cov,
            p_term=r.p_value,
            lr=r.lr_statistic,
            n=r.n,
            result=r,
        )
    # Fine-Gray belongs to the competing-risks half of the engine; imported when asked for.
    from gvhdtrial.stats import fine_gray

    r = fine_gray(
        y.iloc[:, 0].to_numpy(),
        y.iloc[:, 1].to_numpy(),
        X,
        cause=opts.get("cause", 1),
        cencode=opts.get("cencode", 0),
    )
    coef = np.atleast_1d(np.asarray(r.coef, dtype=float))
    se = np.atleast_1d(np.asarray(r.se, dtype=float))
    cov = None
    for attr in ("cov", "var", "covariance"):
        if getattr(r, attr, None) is not None:
            cov = np.atleast_2d(np.asarray(getattr(r, attr), dtype=float))
            break
    p = getattr(r, "p_values", getattr(r, "p_value", None))
    p_term = 2 * stats.norm.sf(np.abs(coef / se)) if p is None else np.atleast_1d(p)
    return _Fit(
        terms=list(X.columns),
        coef=coef,
        se=se,
        cov=cov,
        p_term=np.asarray(p_term, dtype=float),
        lr=None,
        n=len(X),
        result=r,
    )


def _wald_p(fit: _Fit, idx: list[int]) -> float:
    b = fit.coef[idx]
    if len(idx) == 1:
        return float(2 * stats.norm.sf(abs(b[0] / fit.se[idx[0]])))
    if fit.cov is None:
        raise ValueError(
            "a multi-level variable needs the model's covariance matrix for a Wald test"
        )
    v = fit.cov[np.ix_(idx, idx)]
    return float(stats.chi2.sf(b @ np.linalg.solve(v, b), len(idx)))


def _rows(
    fit: _Fit, groups: Mapping[str, list[str]], p_variable: Mapping[str, float], conf_level: float
) -> list[dict[str, Any]]:
    z = stats.norm.ppf(0.5 + conf_level / 2)
    out = []
    for var, terms in groups.items():
        for term in terms:
            j = fit.terms.index(term)
            b, s = fit.coef[j], fit.se[j]
            out.append(
                {
                    "variable": var,
                    "term": term,
                    "coef": b,
                    "se": s,
                    "estimate": math.exp(b),
                    "ci_low": math.exp(b - z * s),
                    "ci_high": math.exp(b + z * s),
                    "p_value": float(fit.p_term[j]),
                    "p_variable": p_variable[var],
                    "n": fit.n,
                }
            )
    return out


def univariable_then_multivariable(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    candidates: Sequence[str],
    model: Model,
    threshold: float = 0.1,
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, object] | None = None,
    forced: Sequence[str] = (),
    conf_level: float = 0.95,
    ties: Literal["efron", "breslow"] = "efron",
    cause: int = 1,
    cencode: int = 0,
) -> SelectionResult:
    """Screen each candidate alone, keep those with p < ``threshold``, fit them together.

    ``outcome`` is the response column for "logistic", and (time, event) or
    (time, status) column names for "cox" and "fine_gray". Non-numeric candidates, and
    those listed in ``categorical``, become dummy variables against a reference level
    (the first category of a pandas Categorical, else the smallest value, unless
    ``reference`` names it). ``forced`` variables (e.g. the arm) enter the multivariable
    model whatever their p-value. Each fit uses the rows complete for its variables.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0, 1, 1],
    ...                   "x": [0.5, -1, 0.2, 1.3, -0.4, 0.9, -1.2, 0.3, 0.8, -0.6],
    ...                   "z": [1, 0, 1, 0, 1, 1, 0, 0, 1, 0]})
    >>> univariable_then_multivariable(d, "y", ["x", "z"], "logistic", threshold=0.5).selected
    ['x', 'z']
    """
    if model not in _EFFECT:
        raise ValueError(f"model must be one of {sorted(_EFFECT)}, got {model!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    out_cols = [outcome] if isinstance(outcome, str) else list(outcome)
    if (model == "logistic") != (len(out_cols) == 1) or len(out_cols) > 2:
        need = "one column" if model == "logistic" else "two columns (time, event/status)"
        raise ValueError(f"outcome for model {model!r} must be {need}, got {outcome!r}")
    missing = [c for c in [*out_cols, *candidates, *forced] if c not in data.columns]
    if missing:
        raise ValueError(f"columns not in data: {missing}")
    reference = dict(reference or {})
    opts = {"ties": ties, "cause": cause, "cencode": cencode}
    variable_test = "Wald" if model == "fine_gray" else "likelihood-ratio"

    def design(variables: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
        rows = data[[*out_cols, *variables]].dropna()
        blocks, groups = [], {}
        for v in variables:
            col = rows[v]
            is_cat = v in categorical or not (
                pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
            )
            block, _ = _dummies(col, reference.get(v), is_cat)
            blocks.append(block)
            groups[v] = list(block.columns)
        return rows[out_cols], pd.concat(blocks, axis=1), groups

    uni_rows: list[dict[str, Any]] = []
    p_uni: dict[str, float] = {}
    for v in candidates:
        y, X, groups = design([v])
        fit = _fit(model, y, X, opts)
        idx = list(range(len(fit.terms)))
        p = float(stats.chi2.sf(fit.lr, len(idx))) if fit.lr is not None else _wald_p(fit, idx)
        p_uni[v] = p
        uni_rows += _rows(fit, groups, {v: p}, conf_level)
    univariable = pd.DataFrame(uni_rows)
    univariable["selected"] = univariable["variable"].map(lambda v: p_uni[v] < threshold)

    selected = [v for v in candidates if p_uni[v] < threshold]
    chosen = [*forced, *[v for v in selected if v not in forced]]
    multivariable = None
    multi_fit = None
    if chosen:
        y, X, groups = design(chosen)
        fit = _fit(model, y, X, opts)
        p_multi = {
            v: _wald_p(fit, [fit.terms.index(t) for t in terms]) for v, terms in groups.items()
        }
        multivariable = pd.DataFrame(_rows(fit, groups, p_multi, conf_level))
        multi_fit = fit.result
    return SelectionResult(
        model=model,
        threshold=threshold,
        conf_level=conf_level,
        univariable=univariable,
        selected=selected,
        multivariable=multivariable,
        multivariable_fit=multi_fit,
        variable_test=variable_test,
    )
