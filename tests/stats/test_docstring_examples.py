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


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples failed in {module}"
    assert res.attempted > 0
