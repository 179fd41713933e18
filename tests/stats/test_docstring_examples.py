"""The public API of gvhdtrial.stats is documented with one runnable example per function
(issue 14): every public function's docstring holds a doctest, and every doctest passes."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import gvhdtrial.stats as api

FUNCTIONS = sorted(name for name in api.__all__ if inspect.isfunction(getattr(api, name, None)))
MODULES = sorted({getattr(api, name).__module__ for name in FUNCTIONS})


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_function_has_a_runnable_example(name: str) -> None:
    doc = inspect.getdoc(getattr(api, name)) or ""
    assert ">>> " in doc, f"{name} has no example in its docstring"


# the methods that carry issue 14's features (predictions for new covariates)
FEATURE_METHODS = [
    api.CoxResult.baseline_hazard,
    api.CoxResult.predict_survival,
    api.FineGrayResult.predict,
    api.FineGrayResult.predict_ci,
]


@pytest.mark.parametrize("method", FEATURE_METHODS, ids=lambda m: m.__qualname__)
def test_prediction_method_has_a_runnable_example(method) -> None:
    assert ">>> " in (inspect.getdoc(method) or ""), f"{method.__qualname__} has no example"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples failed in {module}"
    assert res.attempted > 0
